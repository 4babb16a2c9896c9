#include "sigstore/bundle_verify.h"

#include <openssl/evp.h>

#include "oci/digest.h"
#include "sigstore/transparency_log.h"
#include "util/sha256.h"
#include "util/unsigned_bytes.h"

namespace promote::sigstore {
namespace {

std::string Hex(std::string_view bytes) { return HexEncode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()); }

// The digest of `data` with a bundle's hash algorithm name; nullopt for an unknown one.
std::optional<std::string> DigestWith(std::string_view algorithm, std::string_view data) {
  const char* name = algorithm == "SHA2_256" ? "SHA256" : algorithm == "SHA2_384" ? "SHA384"
                     : algorithm == "SHA2_512" ? "SHA512" : nullptr;
  if (name == nullptr) return std::nullopt;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_get_digestbyname(name), nullptr) != 1) return std::nullopt;
  return std::string(reinterpret_cast<char*>(out), len);
}

Status VerifyMessageSignature(const SigstoreBundle& bundle, const VerificationKey& key,
                              const BundleExpectation& expected) {
  if (!DigestWith(bundle.message_digest_algorithm, "")) {
    return GateRefused("message digest algorithm '" + bundle.message_digest_algorithm + "' is not supported");
  }
  if (!expected.artifact_digest.empty()) {
    if (bundle.message_digest_algorithm != "SHA2_256" ||
        "sha256:" + Hex(bundle.message_digest) != expected.artifact_digest) {
      return GateRefused("the message digest is not " + expected.artifact_digest);
    }
  }
  if (expected.artifact) {
    if (DigestWith(bundle.message_digest_algorithm, *expected.artifact) != bundle.message_digest) {
      return GateRefused("the message digest is not the digest of the artifact");
    }
    return key.Verify(*expected.artifact, bundle.message_signature);
  }
  return key.VerifyDigest(bundle.message_digest, bundle.message_signature);
}

// `signed_by_key` receives the envelope signatures that verify with `key`: what a timestamp
// must be over.
Status VerifyEnvelope(const SigstoreBundle& bundle, const VerificationKey& key, const BundleExpectation& expected,
                      VerifiedBundle* out, std::vector<std::string_view>* signed_by_key) {
  const DsseEnvelope& envelope = bundle.envelope;
  const std::string pae = PreAuthEncoding(envelope.payload_type, envelope.payload);
  for (const auto& sig : envelope.signatures) {
    if (key.Verify(pae, sig.signature).ok()) signed_by_key->push_back(sig.signature);
  }
  if (signed_by_key->empty()) return GateRefused("no DSSE signature verifies with the given public key");
  out->payload_type = envelope.payload_type;
  out->payload = envelope.payload;
  std::string digest = expected.artifact_digest;
  if (digest.empty() && expected.artifact) digest = "sha256:" + Sha256Hex(*expected.artifact);
  if (envelope.payload_type != kInTotoPayloadType) {
    if (!digest.empty()) {
      return GateRefused("DSSE payload type '" + envelope.payload_type + "' is not an in-toto statement, so it names no artifact");
    }
    return OkStatus();
  }
  auto statement = ParseInTotoStatement(envelope.payload);
  if (!statement.ok()) return GateRefused(statement.status().message());
  if (!digest.empty()) {
    Status subject = CheckSubjectDigest(*statement, digest);
    if (!subject.ok()) return subject.code() == Code::kInvalidArgument ? subject : GateRefused(subject.message());
  }
  out->statement = std::move(*statement);
  return OkStatus();
}

Status VerifyLog(const SigstoreBundle& bundle, const TrustedRoot& root, VerifiedBundle* out) {
  if (bundle.tlog_entries.empty()) {
    return GateRefused("the bundle has no transparency-log entry, and a trusted root asks for one");
  }
  const bool v01 = bundle.media_type == kBundleMediaTypeV01;
  const EntryBinding binding = BindingOf(bundle);
  std::string problems;
  for (const TlogEntry& entry : bundle.tlog_entries) {
    Status st = VerifyTlogEntry(entry, root, binding, v01, !v01);
    if (!st.ok()) {
      problems += (problems.empty() ? "" : "; ") + st.message();
      continue;
    }
    ++out->tlog_entries_verified;
    if (entry.integrated_time != 0 && (out->integrated_time == 0 || entry.integrated_time < out->integrated_time)) {
      out->integrated_time = entry.integrated_time;
    }
  }
  if (out->tlog_entries_verified == 0) return GateRefused(problems);
  return OkStatus();
}

// Each timestamp must verify: one that does not is a claim about the signature that is false
// or that nobody trusted vouches for, and sigstore clients refuse such a bundle too.
Status VerifyTimestamps(const SigstoreBundle& bundle, const TrustedRoot& root,
                        const std::vector<std::string_view>& signatures, VerifiedBundle* out) {
  for (size_t i = 0; i < bundle.rfc3161_timestamps.size(); ++i) {
    const std::string where = "RFC 3161 timestamp " + std::to_string(i + 1) + " of " +
                              std::to_string(bundle.rfc3161_timestamps.size()) + ": ";
    auto timestamp = SignedTimestamp::Parse(bundle.rfc3161_timestamps[i]);
    if (!timestamp.ok()) return GateRefused(where + "its signedTimestamp " + timestamp.status().message());
    bool covered = false;
    for (std::string_view signature : signatures) covered = covered || timestamp->Covers(signature);
    if (!covered) return GateRefused(where + "it is not over this bundle's signature (message imprint mismatch)");
    auto verified = timestamp->VerifyWith(root.timestamp_authorities);
    if (!verified.ok()) return GateRefused(where + verified.status().message());
    out->timestamps.push_back(std::move(*verified));
  }
  return OkStatus();
}

}  // namespace

const char* BundleContentName(BundleContent content) {
  return content == BundleContent::kMessageSignature ? "message-signature" : "dsse-envelope";
}

Result<VerifiedBundle> VerifySigstoreBundle(const SigstoreBundle& bundle, const VerificationKey& key,
                                            const BundleExpectation& expected) {
  if (!expected.artifact_digest.empty() && !oci::Digest::Parse(expected.artifact_digest).ok()) {
    return InvalidArgument("expected artifact digest '" + expected.artifact_digest + "' is not sha256:<64 lowercase hex>");
  }
  if (bundle.signer == BundleSigner::kCertificate) {
    return GateRefused("the bundle is signed with a certificate (keyless); promote verifies bundles with a public key "
                       "and trusts no certificate identity");
  }
  VerifiedBundle out;
  out.content = bundle.content;
  std::vector<std::string_view> signatures;
  Status signature = OkStatus();
  if (bundle.content == BundleContent::kMessageSignature) {
    signature = VerifyMessageSignature(bundle, key, expected);
    signatures.push_back(bundle.message_signature);
  } else {
    signature = VerifyEnvelope(bundle, key, expected, &out, &signatures);
  }
  if (!signature.ok()) return signature;
  if (expected.trusted_root == nullptr) {
    out.timestamps_unchecked = bundle.rfc3161_timestamps.size();
    return out;
  }
  out.key_only = false;
  PROMOTE_RETURN_IF_ERROR(VerifyLog(bundle, *expected.trusted_root, &out));
  PROMOTE_RETURN_IF_ERROR(VerifyTimestamps(bundle, *expected.trusted_root, signatures, &out));
  return out;
}

}  // namespace promote::sigstore
