// Sigstore bundles (media types application/vnd.dev.sigstore.bundle+json;version=0.1 and 0.2,
// application/vnd.dev.sigstore.bundle.v0.3+json): one signature — a message signature over an
// artifact's digest, or a DSSE envelope — with the material to check it (a public-key hint or a
// certificate), transparency-log entries and RFC 3161 signed timestamps. This file reads and writes the JSON form; checking
// one is bundle_verify.h. cosign v3 stores image signatures and attestations this way, as OCI
// 1.1 referrers of the image.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sigstore/dsse.h"
#include "util/status.h"

namespace promote::sigstore {

inline constexpr std::string_view kBundleMediaTypeV01 = "application/vnd.dev.sigstore.bundle+json;version=0.1";
inline constexpr std::string_view kBundleMediaTypeV02 = "application/vnd.dev.sigstore.bundle+json;version=0.2";
inline constexpr std::string_view kBundleMediaTypeV03 = "application/vnd.dev.sigstore.bundle.v0.3+json";
// The older spelling of v0.3, which sigstore clients also read.
inline constexpr std::string_view kBundleMediaTypeV03Legacy = "application/vnd.dev.sigstore.bundle+json;version=0.3";
// A bundle is a few KiB plus the DSSE payload.
inline constexpr size_t kMaxBundleBytes = 16 * 1024 * 1024;
// Sigstore clients write one timestamp; each costs a certificate-chain check per authority.
inline constexpr size_t kMaxSignedTimestamps = 32;

// True for the four media types above.
bool IsSigstoreBundleMediaType(std::string_view media_type);

enum class BundleContent { kMessageSignature, kDsseEnvelope };
// What the bundle says identifies the signer.
enum class BundleSigner { kPublicKey, kCertificate };

// RFC 6962 inclusion proof of a log entry, with the log's signed checkpoint (a signed note).
struct InclusionProof {
  int64_t log_index = 0;
  std::string root_hash;            // raw bytes
  int64_t tree_size = 0;
  std::vector<std::string> hashes;  // raw bytes, leaf to root
  std::string checkpoint;           // the signed note text; empty when absent
};

// One Rekor entry as a bundle carries it. Byte fields are decoded from base64.
struct TlogEntry {
  int64_t log_index = 0;
  std::string log_id;  // the log's key id: SHA-256 of its public key (raw bytes)
  std::string kind;    // "hashedrekord", "dsse", "intoto"
  std::string version;
  int64_t integrated_time = 0;                  // Unix seconds; 0 when the log does not say
  std::optional<std::string> signed_entry_timestamp;  // the inclusion promise (SET)
  std::optional<InclusionProof> inclusion_proof;
  std::string canonicalized_body;  // the entry as the log holds it (JSON bytes)
};

struct SigstoreBundle {
  std::string media_type;
  BundleSigner signer = BundleSigner::kPublicKey;
  std::string public_key_hint;  // as written; may be empty
  std::string certificate_der;  // the leaf, when signer is kCertificate
  std::vector<TlogEntry> tlog_entries;
  // timestampVerificationData.rfc3161Timestamps[].signedTimestamp, DER as written (parsed and
  // checked by bundle_verify.h through signed_timestamp.h, only against a trusted root).
  std::vector<std::string> rfc3161_timestamps;

  BundleContent content = BundleContent::kMessageSignature;
  // Message signature: the digest of the signed artifact and the signature over the artifact.
  std::string message_digest_algorithm;  // "SHA2_256", "SHA2_384", "SHA2_512"
  std::string message_digest;            // raw bytes
  std::string message_signature;         // raw bytes
  // DSSE envelope.
  DsseEnvelope envelope;
};

// Parses a bundle (at most kMaxBundleBytes, duplicate keys refused). Requires one of the media
// types above, verificationMaterial with exactly one of publicKey / certificate /
// x509CertificateChain, and exactly one of messageSignature / dsseEnvelope, and at most
// kMaxSignedTimestamps timestamps, each with base64 signedTimestamp bytes. Numbers that
// protobuf JSON writes as strings (logIndex, integratedTime, treeSize) are read in either form.
// Problems are kInvalidArgument starting "sigstore bundle: ".
Result<SigstoreBundle> ParseSigstoreBundle(std::string_view json_text);

// The v0.3 bundle promote writes: `envelope` with a public-key hint and no log entries (promote
// signs offline), compact JSON in protobuf field order.
std::string EncodeDsseBundle(const DsseEnvelope& envelope, std::string_view public_key_hint);

// The hint promote writes for a key: base64 of the SHA-256 of its SPKI DER.
std::string PublicKeyHint(std::string_view spki_der);

}  // namespace promote::sigstore
