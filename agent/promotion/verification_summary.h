// The SLSA verification summary (VSA, https://slsa.dev/verification_summary/v1) a promotion writes
// beside its promotion record: promote, as the verifier, says that the image at the target
// reference passed the environment's policy, which attestations it read, and the SLSA Build level
// established (only where the provenance gate checked one). Admission controllers (Kyverno,
// sigstore policy-controller) can require "a VSA for prod from this key" without knowing promote.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/manifest.h"
#include "registry/registry_client.h"
#include "sign/attestation_store.h"
#include "sigstore/ec_key.h"
#include "sigstore/signature_format.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::promotion {

inline constexpr std::string_view kVsaPredicateType = "https://slsa.dev/verification_summary/v1";
// The verifier's identity: stable across releases (policies pin it); the version is beside it.
inline constexpr std::string_view kPromoteVerifierId = "https://promote.dev/verifier";
// Extension field (a URI, as the spec asks of extensions): the environment promoted into.
inline constexpr std::string_view kVsaEnvironmentField =
    "https://promote.dev/verification_summary/environment";

// An attestation a gate read (a ResourceDescriptor): where it is and its SHA-256.
struct InputAttestation {
  std::string uri;         // "registry/repo:sha256-<hex>.att"
  std::string sha256_hex;  // of the DSSE envelope's bytes

  bool operator==(const InputAttestation& o) const { return uri == o.uri && sha256_hex == o.sha256_hex; }
};

struct VerificationSummary {
  std::string resource_uri;   // the target reference by digest: "registry/repo@sha256:<hex>"
  std::string environment;    // the environment promoted into
  std::string time_verified;  // RFC 3339 UTC
  std::string policy_uri;  // the promote.yaml applied and its environment: "promote.yaml#environments/prod"
  std::string policy_sha256;  // hex SHA-256 of that promote.yaml ("" when unknown)
  std::vector<InputAttestation> inputs;
  std::optional<int> build_level;  // SLSA Build level the provenance gate established
  std::string promote_version = PROMOTE_VERSION;

  // The predicate, field by field as the SLSA v1.0 spec names them: verifier {id, version},
  // timeVerified, resourceUri, policy {uri, digest}, inputAttestations (left out when empty),
  // verificationResult "PASSED" (a refused promotion writes no summary), verifiedLevels
  // (["SLSA_BUILD_LEVEL_<n>"], or ["SLSA_BUILD_LEVEL_0"] when no build level was checked),
  // slsaVersion "1.0", and the environment extension field.
  nlohmann::json ToPredicate() const;
};

// Where a summary was written: "host/repo:sha256-<hex>.att" and its DSSE envelope's digest
// (kCosign), or "host/repo@<referrer digest>" and its bundle's digest (kBundle).
struct WrittenSummary {
  std::string reference;
  oci::Digest envelope_digest;
};

// Signs the summary as an in-toto v1 statement about `subject` (named client.host()/repo) with
// `key` and writes it in `format`, as the promotion record is: appended to the digest's .att
// manifest in `repo` (kCosign) or attached as a DSSE bundle referrer (kBundle). `scopes` need
// pull and push on `repo`.
Result<WrittenSummary> WriteVerificationSummary(
    registry::RegistryClient& client, const std::string& repo, const oci::Descriptor& subject,
    const VerificationSummary& summary, const sigstore::PrivateKey& key, sigstore::SignatureFormat format,
    const registry::Scopes& scopes, const CancelToken* cancel = nullptr);

}  // namespace promote::promotion
