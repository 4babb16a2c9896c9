#include "sigstore/transparency_log.h"

#include <nlohmann/json.hpp>

#include "util/base64.h"
#include "util/sha256.h"

namespace promote::sigstore {
namespace {

using json = nlohmann::json;

std::string Sha256Bytes(std::string_view data) {
  auto raw = Sha256Raw(data);
  return std::string(reinterpret_cast<const char*>(raw.data()), raw.size());
}

std::string ToHex(std::string_view bytes) {
  return HexEncode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// Lowercase or uppercase hex to bytes; empty for anything else.
std::string HexDecodeOrEmpty(std::string_view hex) {
  if (hex.size() % 2 != 0) return "";
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string NodeHash(const std::string& left, const std::string& right) {
  return Sha256Bytes(std::string(1, '\x01') + left + right);
}

const json& At(const json& doc, std::initializer_list<const char*> path) {
  static const json kNull;
  const json* node = &doc;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return kNull;
    node = &(*node)[key];
  }
  return *node;
}

std::string StringAt(const json& doc, std::initializer_list<const char*> path) {
  const json& v = At(doc, path);
  return v.is_string() ? v.get<std::string>() : "";
}

std::string Base64At(const json& doc, std::initializer_list<const char*> path) {
  auto bytes = Base64Decode(StringAt(doc, path));
  return bytes ? *bytes : "";
}

bool NamesSignature(const EntryBinding& binding, const std::string& sig) {
  if (sig.empty()) return false;
  for (const auto& s : binding.signatures) {
    if (s == sig) return true;
  }
  return false;
}

// The signatures a DSSE-like body lists, decoded (intoto 0.0.2 base64-encodes them twice).
std::vector<std::string> BodySignatures(const json& list, const char* field, bool twice) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const json& s : list) {
    std::string sig = Base64At(s, {field});
    if (twice) sig = Base64Decode(sig).value_or("");
    out.push_back(std::move(sig));
  }
  return out;
}

Status CheckDsseBody(const std::string& payload_hash, const std::vector<std::string>& sigs,
                     const EntryBinding& binding) {
  if (binding.payload_sha256.empty() || payload_hash != binding.payload_sha256) {
    return GateRefused("its payload hash is not that of the bundle's DSSE payload");
  }
  for (const auto& sig : sigs) {
    if (NamesSignature(binding, sig)) return OkStatus();
  }
  return GateRefused("it records another signature than the bundle's");
}

// The body must record this bundle's signature (and digest or payload).
Status CheckBody(const TlogEntry& entry, const EntryBinding& binding) {
  json body = json::parse(entry.canonicalized_body, nullptr, false);
  if (!body.is_object()) return GateRefused("its canonicalized body is not JSON");
  if (StringAt(body, {"kind"}) != entry.kind || StringAt(body, {"apiVersion"}) != entry.version) {
    return GateRefused("its body is of another kind or version than the entry says");
  }
  const json& spec = At(body, {"spec"});
  const std::string kv = entry.kind + " " + entry.version;
  if (kv == "hashedrekord 0.0.1") {
    if (StringAt(spec, {"data", "hash", "value"}) != ToHex(binding.signed_digest)) {
      return GateRefused("it records another artifact digest than the bundle's");
    }
    if (!NamesSignature(binding, Base64At(spec, {"signature", "content"}))) {
      return GateRefused("it records another signature than the bundle's");
    }
    return OkStatus();
  }
  if (kv == "hashedrekord 0.0.2") {
    const json& v = spec.contains("hashedRekordV002") ? spec["hashedRekordV002"] : At(spec, {"hashedRekordV0_0_2"});
    if (Base64At(v, {"data", "digest"}) != binding.signed_digest) {
      return GateRefused("it records another artifact digest than the bundle's");
    }
    if (!NamesSignature(binding, Base64At(v, {"signature", "content"}))) {
      return GateRefused("it records another signature than the bundle's");
    }
    return OkStatus();
  }
  if (kv == "intoto 0.0.2") {
    const json& content = At(spec, {"content"});
    auto hash = HexDecodeOrEmpty(StringAt(content, {"payloadHash", "value"}));
    return CheckDsseBody(hash, BodySignatures(At(content, {"envelope", "signatures"}), "sig", true), binding);
  }
  if (kv == "dsse 0.0.1") {
    auto hash = HexDecodeOrEmpty(StringAt(spec, {"payloadHash", "value"}));
    return CheckDsseBody(hash, BodySignatures(At(spec, {"signatures"}), "signature", false), binding);
  }
  if (kv == "dsse 0.0.2") {
    const json& v = spec.contains("dsseV002") ? spec["dsseV002"] : At(spec, {"dsseV0_0_2"});
    return CheckDsseBody(Base64At(v, {"payloadHash", "digest"}), BodySignatures(At(v, {"signatures"}), "content", false),
                         binding);
  }
  return GateRefused("entry kind " + kv + " is not one promote can check");
}

// The signed entry timestamp: the log's signature over the canonical JSON of the entry's
// body, time, log id and index (keys sorted, compact), as Rekor signs it.
Status CheckPromise(const TlogEntry& entry, const TransparencyLogKey& log) {
  json payload = {{"body", Base64Encode(entry.canonicalized_body)},
                  {"integratedTime", entry.integrated_time},
                  {"logID", ToHex(entry.log_id)},
                  {"logIndex", entry.log_index}};
  if (!log.key.Verify(payload.dump(), *entry.signed_entry_timestamp).ok()) {
    return GateRefused("its signed entry timestamp does not verify with the log's key");
  }
  return OkStatus();
}

// A checkpoint is a signed note: "<origin>\n<tree size>\n<base64 root hash>\n[...]\n\n" then
// signature lines "\u2014 <name> <base64(4-byte key hint || signature)>". The hint is the first
// four bytes of the log id.
Status CheckCheckpoint(const InclusionProof& proof, const TransparencyLogKey& log) {
  const std::string& note = proof.checkpoint;
  const size_t split = note.find("\n\n");
  if (split == std::string::npos) return GateRefused("its checkpoint is not a signed note");
  const std::string body = note.substr(0, split + 1);
  std::vector<std::string> lines;
  for (size_t start = 0; start < body.size();) {
    size_t end = body.find('\n', start);
    lines.push_back(body.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() < 3 || lines[1] != std::to_string(proof.tree_size) ||
      Base64Decode(lines[2]).value_or("") != proof.root_hash) {
    return GateRefused("its checkpoint is for another tree size or root hash than the inclusion proof");
  }
  const std::string dash = "\xE2\x80\x94 ";  // U+2014 EM DASH and a space
  for (size_t start = split + 2; start < note.size();) {
    size_t end = note.find('\n', start);
    if (end == std::string::npos) end = note.size();
    std::string line = note.substr(start, end - start);
    start = end + 1;
    if (line.rfind(dash, 0) != 0) continue;
    const size_t space = line.rfind(' ');
    auto sig = Base64Decode(line.substr(space + 1));
    if (!sig || sig->size() <= 4 || sig->compare(0, 4, log.log_id, 0, 4) != 0) continue;
    if (log.key.Verify(body, sig->substr(4)).ok()) return OkStatus();
  }
  return GateRefused("its checkpoint carries no signature of the log that verifies");
}

Status CheckProof(const TlogEntry& entry, const TransparencyLogKey& log) {
  const InclusionProof& proof = *entry.inclusion_proof;
  const std::string leaf = Sha256Bytes(std::string(1, '\0') + entry.canonicalized_body);
  PROMOTE_ASSIGN_OR_RETURN(std::string root,
                           RootFromInclusionProof(proof.log_index, proof.tree_size, leaf, proof.hashes));
  if (root != proof.root_hash) return GateRefused("its inclusion proof does not lead to the proof's root hash");
  if (proof.checkpoint.empty()) return GateRefused("its inclusion proof has no checkpoint");
  return CheckCheckpoint(proof, log);
}

Status CheckEntry(const TlogEntry& entry, const TrustedRoot& root, const EntryBinding& binding,
                  bool require_promise, bool require_proof) {
  const TransparencyLogKey* log = root.FindLog(entry.log_id);
  if (log == nullptr) return GateRefused("its log (key id " + ToHex(entry.log_id) + ") is not in the trusted root");
  if (entry.integrated_time != 0 &&
      (entry.integrated_time < log->valid_from || (log->valid_until && entry.integrated_time > *log->valid_until))) {
    return GateRefused("its integrated time " + std::to_string(entry.integrated_time) +
                       " is outside the validity of the log's key");
  }
  if (require_promise && !entry.signed_entry_timestamp) return GateRefused("it has no signed entry timestamp");
  if (require_proof && !entry.inclusion_proof) return GateRefused("it has no inclusion proof");
  if (!entry.signed_entry_timestamp && !entry.inclusion_proof) {
    return GateRefused("it has neither a signed entry timestamp nor an inclusion proof");
  }
  if (entry.signed_entry_timestamp) PROMOTE_RETURN_IF_ERROR(CheckPromise(entry, *log));
  if (entry.inclusion_proof) PROMOTE_RETURN_IF_ERROR(CheckProof(entry, *log));
  return CheckBody(entry, binding);
}

}  // namespace

EntryBinding BindingOf(const SigstoreBundle& bundle) {
  EntryBinding binding;
  if (bundle.content == BundleContent::kMessageSignature) {
    binding.signatures.push_back(bundle.message_signature);
    binding.signed_digest = bundle.message_digest;
    return binding;
  }
  for (const auto& sig : bundle.envelope.signatures) binding.signatures.push_back(sig.signature);
  binding.signed_digest = Sha256Bytes(PreAuthEncoding(bundle.envelope.payload_type, bundle.envelope.payload));
  binding.payload_sha256 = Sha256Bytes(bundle.envelope.payload);
  return binding;
}

Status VerifyTlogEntry(const TlogEntry& entry, const TrustedRoot& root, const EntryBinding& binding,
                       bool require_promise, bool require_proof) {
  Status st = CheckEntry(entry, root, binding, require_promise, require_proof);
  if (st.ok()) return st;
  return GateRefused("transparency-log entry " + std::to_string(entry.log_index) + ": " + st.message());
}

Result<std::string> RootFromInclusionProof(int64_t index, int64_t size, const std::string& leaf_hash,
                                           const std::vector<std::string>& path) {
  if (index < 0 || size <= 0 || index >= size) {
    return GateRefused("inclusion proof index " + std::to_string(index) + " is outside a tree of " +
                       std::to_string(size));
  }
  // RFC 9162 section 2.1.3.2.
  uint64_t fn = static_cast<uint64_t>(index);
  uint64_t sn = static_cast<uint64_t>(size - 1);
  std::string r = leaf_hash;
  for (const std::string& p : path) {
    if (sn == 0) return GateRefused("inclusion proof is longer than the tree is deep");
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return GateRefused("inclusion proof is shorter than the tree is deep");
  return r;
}

}  // namespace promote::sigstore
