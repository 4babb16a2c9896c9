#include "sigstore/sigstore_bundle.h"

#include <charconv>

#include "sigstore/go_json.h"
#include "util/base64.h"
#include "util/read_file.h"
#include "util/sha256.h"
#include "util/strict_json.h"

namespace promote::sigstore {
namespace {

using json = nlohmann::json;

Status BadBundle(std::string_view why) { return InvalidArgument("sigstore bundle: " + std::string(why)); }

const json* Member(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

Result<const json*> Object(const json& object, const char* name, std::string_view where) {
  const json* member = Member(object, name);
  if (member == nullptr || !member->is_object()) {
    return BadBundle(std::string(where) + name + " is missing or not an object");
  }
  return member;
}

Result<std::string> String(const json& object, const char* name, std::string_view where) {
  const json* member = Member(object, name);
  if (member == nullptr || !member->is_string()) return BadBundle(std::string(where) + name + " is missing or not a string");
  return member->get<std::string>();
}

// A protobuf `bytes` field: std base64 (protobuf JSON also allows URL-safe).
Result<std::string> Bytes(const json& object, const char* name, std::string_view where) {
  PROMOTE_ASSIGN_OR_RETURN(std::string text, String(object, name, where));
  if (auto bytes = Base64Decode(text)) return std::move(*bytes);
  if (auto bytes = Base64UrlDecode(text)) return std::move(*bytes);
  return BadBundle(std::string(where) + name + " is not valid base64");
}

// A protobuf int64: a JSON string of digits (as protobuf writes it) or a number. Absent is 0.
Result<int64_t> Int64(const json& object, const char* name, std::string_view where) {
  const json* member = Member(object, name);
  if (member == nullptr) return int64_t{0};
  if (member->is_number_integer()) return member->get<int64_t>();
  if (member->is_string()) {
    const std::string& s = member->get_ref<const std::string&>();
    int64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return value;
  }
  return BadBundle(std::string(where) + name + " is not an integer");
}

Result<InclusionProof> ParseInclusionProof(const json& doc) {
  constexpr std::string_view kWhere = "tlogEntries[].inclusionProof.";
  InclusionProof proof;
  PROMOTE_ASSIGN_OR_RETURN(proof.log_index, Int64(doc, "logIndex", kWhere));
  PROMOTE_ASSIGN_OR_RETURN(proof.root_hash, Bytes(doc, "rootHash", kWhere));
  PROMOTE_ASSIGN_OR_RETURN(proof.tree_size, Int64(doc, "treeSize", kWhere));
  if (const json* hashes = Member(doc, "hashes")) {
    if (!hashes->is_array()) return BadBundle("tlogEntries[].inclusionProof.hashes is not an array");
    for (const json& h : *hashes) {
      auto bytes = h.is_string() ? Base64Decode(h.get<std::string>()) : std::nullopt;
      if (!bytes) return BadBundle("tlogEntries[].inclusionProof.hashes holds something other than base64");
      proof.hashes.push_back(std::move(*bytes));
    }
  }
  if (const json* checkpoint = Member(doc, "checkpoint")) {
    if (!checkpoint->is_object()) return BadBundle("tlogEntries[].inclusionProof.checkpoint is not an object");
    PROMOTE_ASSIGN_OR_RETURN(proof.checkpoint, String(*checkpoint, "envelope", "tlogEntries[].inclusionProof.checkpoint."));
  }
  return proof;
}

Result<TlogEntry> ParseTlogEntry(const json& doc) {
  constexpr std::string_view kWhere = "tlogEntries[].";
  if (!doc.is_object()) return BadBundle("each of tlogEntries must be an object");
  TlogEntry entry;
  PROMOTE_ASSIGN_OR_RETURN(entry.log_index, Int64(doc, "logIndex", kWhere));
  PROMOTE_ASSIGN_OR_RETURN(const json* log_id, Object(doc, "logId", kWhere));
  if (Member(*log_id, "keyId") != nullptr) {
    PROMOTE_ASSIGN_OR_RETURN(entry.log_id, Bytes(*log_id, "keyId", "tlogEntries[].logId."));
  }
  PROMOTE_ASSIGN_OR_RETURN(const json* kind, Object(doc, "kindVersion", kWhere));
  PROMOTE_ASSIGN_OR_RETURN(entry.kind, String(*kind, "kind", "tlogEntries[].kindVersion."));
  PROMOTE_ASSIGN_OR_RETURN(entry.version, String(*kind, "version", "tlogEntries[].kindVersion."));
  PROMOTE_ASSIGN_OR_RETURN(entry.integrated_time, Int64(doc, "integratedTime", kWhere));
  if (const json* promise = Member(doc, "inclusionPromise"); promise != nullptr && promise->is_object() &&
                                                           Member(*promise, "signedEntryTimestamp") != nullptr) {
    PROMOTE_ASSIGN_OR_RETURN(entry.signed_entry_timestamp,
                             Bytes(*promise, "signedEntryTimestamp", "tlogEntries[].inclusionPromise."));
  }
  if (const json* proof = Member(doc, "inclusionProof")) {
    if (!proof->is_object()) return BadBundle("tlogEntries[].inclusionProof is not an object");
    PROMOTE_ASSIGN_OR_RETURN(entry.inclusion_proof, ParseInclusionProof(*proof));
  }
  PROMOTE_ASSIGN_OR_RETURN(entry.canonicalized_body, Bytes(doc, "canonicalizedBody", kWhere));
  return entry;
}

// timestampVerificationData: the RFC 3161 timestamps' bytes, kept for bundle_verify.h.
Status ParseTimestampData(const json& data, SigstoreBundle* bundle) {
  if (!data.is_object()) return BadBundle("verificationMaterial.timestampVerificationData is not an object");
  const json* timestamps = Member(data, "rfc3161Timestamps");
  if (timestamps == nullptr) return OkStatus();
  if (!timestamps->is_array()) return BadBundle("timestampVerificationData.rfc3161Timestamps is not an array");
  if (timestamps->size() > kMaxSignedTimestamps) {
    return BadBundle("timestampVerificationData.rfc3161Timestamps holds " + std::to_string(timestamps->size()) +
                     " timestamps, more than " + std::to_string(kMaxSignedTimestamps));
  }
  for (size_t i = 0; i < timestamps->size(); ++i) {
    const std::string where = "timestampVerificationData.rfc3161Timestamps[" + std::to_string(i) + "].";
    if (!(*timestamps)[i].is_object()) return BadBundle(where.substr(0, where.size() - 1) + " is not an object");
    PROMOTE_ASSIGN_OR_RETURN(std::string der, Bytes((*timestamps)[i], "signedTimestamp", where));
    if (der.empty()) return BadBundle(where + "signedTimestamp is empty");
    bundle->rfc3161_timestamps.push_back(std::move(der));
  }
  return OkStatus();
}

Status ParseVerificationMaterial(const json& material, SigstoreBundle* bundle) {
  const json* key = Member(material, "publicKey");
  const json* cert = Member(material, "certificate");
  const json* chain = Member(material, "x509CertificateChain");
  if ((key != nullptr) + (cert != nullptr) + (chain != nullptr) != 1) {
    return BadBundle("verificationMaterial must hold exactly one of publicKey, certificate, x509CertificateChain");
  }
  if (key != nullptr) {
    if (!key->is_object()) return BadBundle("verificationMaterial.publicKey is not an object");
    if (Member(*key, "hint") != nullptr) {
      PROMOTE_ASSIGN_OR_RETURN(bundle->public_key_hint, String(*key, "hint", "verificationMaterial.publicKey."));
    }
  } else if (cert != nullptr) {
    bundle->signer = BundleSigner::kCertificate;
    if (!cert->is_object()) return BadBundle("verificationMaterial.certificate is not an object");
    PROMOTE_ASSIGN_OR_RETURN(bundle->certificate_der, Bytes(*cert, "rawBytes", "verificationMaterial.certificate."));
  } else {
    bundle->signer = BundleSigner::kCertificate;
    const json* certs = chain->is_object() ? Member(*chain, "certificates") : nullptr;
    if (certs == nullptr || !certs->is_array() || certs->empty() || !(*certs)[0].is_object()) {
      return BadBundle("verificationMaterial.x509CertificateChain.certificates must be a non-empty array");
    }
    PROMOTE_ASSIGN_OR_RETURN(bundle->certificate_der, Bytes((*certs)[0], "rawBytes", "x509CertificateChain."));
  }
  if (const json* entries = Member(material, "tlogEntries")) {
    if (!entries->is_array()) return BadBundle("verificationMaterial.tlogEntries is not an array");
    for (const json& e : *entries) {
      PROMOTE_ASSIGN_OR_RETURN(TlogEntry entry, ParseTlogEntry(e));
      bundle->tlog_entries.push_back(std::move(entry));
    }
  }
  if (const json* data = Member(material, "timestampVerificationData")) {
    PROMOTE_RETURN_IF_ERROR(ParseTimestampData(*data, bundle));
  }
  return OkStatus();
}

Status ParseMessageSignature(const json& doc, SigstoreBundle* bundle) {
  constexpr std::string_view kWhere = "messageSignature.";
  PROMOTE_ASSIGN_OR_RETURN(bundle->message_signature, Bytes(doc, "signature", kWhere));
  // v0.1-v0.3 all carry the digest; sigstore clients never sign without one.
  PROMOTE_ASSIGN_OR_RETURN(const json* digest, Object(doc, "messageDigest", kWhere));
  PROMOTE_ASSIGN_OR_RETURN(bundle->message_digest_algorithm,
                           String(*digest, "algorithm", "messageSignature.messageDigest."));
  PROMOTE_ASSIGN_OR_RETURN(bundle->message_digest, Bytes(*digest, "digest", "messageSignature.messageDigest."));
  return OkStatus();
}

}  // namespace

bool IsSigstoreBundleMediaType(std::string_view media_type) {
  return media_type == kBundleMediaTypeV01 || media_type == kBundleMediaTypeV02 ||
         media_type == kBundleMediaTypeV03 || media_type == kBundleMediaTypeV03Legacy;
}

Result<SigstoreBundle> ParseSigstoreBundle(std::string_view json_text) {
  PROMOTE_RETURN_IF_ERROR(CheckInputSize(json_text, kMaxBundleBytes, "sigstore bundle"));
  PROMOTE_ASSIGN_OR_RETURN(json doc, ParseStrictJson(json_text, "sigstore bundle"));
  if (!doc.is_object()) return BadBundle("must be a JSON object");
  SigstoreBundle bundle;
  const json* media_type = Member(doc, "mediaType");
  if (media_type == nullptr || !media_type->is_string()) {
    return BadBundle("mediaType is missing (not a Sigstore bundle; cosign's older bundle annotation is not one)");
  }
  bundle.media_type = media_type->get<std::string>();
  if (!IsSigstoreBundleMediaType(bundle.media_type)) {
    return BadBundle("unsupported mediaType '" + bundle.media_type + "'; expected version 0.1, 0.2 or 0.3");
  }
  PROMOTE_ASSIGN_OR_RETURN(const json* material, Object(doc, "verificationMaterial", ""));
  PROMOTE_RETURN_IF_ERROR(ParseVerificationMaterial(*material, &bundle));
  const json* message = Member(doc, "messageSignature");
  const json* envelope = Member(doc, "dsseEnvelope");
  if ((message != nullptr) == (envelope != nullptr)) {
    return BadBundle("must hold exactly one of messageSignature and dsseEnvelope");
  }
  if (message != nullptr) {
    if (!message->is_object()) return BadBundle("messageSignature is not an object");
    PROMOTE_RETURN_IF_ERROR(ParseMessageSignature(*message, &bundle));
  } else {
    bundle.content = BundleContent::kDsseEnvelope;
    auto parsed = ParseDsseEnvelope(envelope->dump());
    if (!parsed.ok()) return BadBundle(parsed.status().message());
    bundle.envelope = std::move(*parsed);
  }
  return bundle;
}

std::string EncodeDsseBundle(const DsseEnvelope& envelope, std::string_view public_key_hint) {
  std::string out = "{\"mediaType\":";
  AppendGoJsonString(out, kBundleMediaTypeV03);
  out += ",\"verificationMaterial\":{\"publicKey\":{\"hint\":";
  AppendGoJsonString(out, public_key_hint);
  out += "},\"tlogEntries\":[],\"timestampVerificationData\":{\"rfc3161Timestamps\":[]}},\"dsseEnvelope\":{\"payload\":";
  AppendGoJsonString(out, Base64Encode(envelope.payload));
  out += ",\"payloadType\":";
  AppendGoJsonString(out, envelope.payload_type);
  out += ",\"signatures\":[";
  bool first = true;
  for (const DsseSignature& sig : envelope.signatures) {
    if (!first) out += ',';
    first = false;
    out += "{\"sig\":";
    AppendGoJsonString(out, Base64Encode(sig.signature));
    out += ",\"keyid\":";
    AppendGoJsonString(out, sig.keyid);
    out += '}';
  }
  out += "]}}";
  return out;
}

std::string PublicKeyHint(std::string_view spki_der) {
  auto raw = Sha256Raw(spki_der);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

}  // namespace promote::sigstore
