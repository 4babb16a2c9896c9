// An image's bundles, read from its registry (each checked by sigstore/bundle_verify.h).
// Verifying the Sigstore bundles attached to an image as OCI 1.1 referrers (cosign v3's default
// format): each referrer whose artifactType is a bundle media type is fetched, its bundle layer
// verified with the key (sigstore/bundle_verify.h) against the image digest, and reported one by one, as
// image_verifier.h does for the .sig tag. One verified bundle is enough.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "registry/referrers.h"
#include "registry/registry_client.h"
#include "sigstore/bundle_verify.h"
#include "sigstore/in_toto.h"
#include "sigstore/trusted_root.h"
#include "sigstore/verification_key.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::sign {

// The predicate type of the in-toto statement cosign v3 `sign` puts in its DSSE bundles.
inline constexpr std::string_view kCosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1";

// The outcome of one bundle referrer.
struct BundleOutcome {
  oci::Digest referrer;       // the referrer manifest's digest
  std::string artifact_type;  // as the referrers index lists it
  bool verified = false;
  std::string content;          // "message-signature" / "dsse-envelope" when the bundle parsed
  std::string predicate_type;   // DSSE: the statement's predicate type, when verified
  // What the referrer's dev.sigstore.bundle.predicateType annotation claims (unverified: it lets
  // a reader tell which refused bundles were meant as, say, promotion records).
  std::string annotated_predicate_type;
  std::optional<sigstore::InTotoStatement> statement;  // DSSE: the verified statement
  bool key_only = true;         // verified without a trusted root
  size_t tlog_entries_verified = 0;
  std::vector<sigstore::VerifiedTimestamp>
      timestamps;                             // RFC 3161 timestamps verified against the trusted root
  size_t timestamps_unchecked = 0;            // key-only: timestamps carried but not checked
  std::string reason;           // why it was refused; empty when verified
};

struct BundleReport {
  bool from_api = false;  // the referrers came from the API, not the fallback index
  std::vector<BundleOutcome> bundles;

  size_t verified_count() const;
  // OK when a bundle verified; otherwise kGateRefused saying there are none or why each failed.
  Status ToStatus() const;
};

// The bundle layer of `referrer` (one of digest's referrers in `repo`), byte for byte. A manifest
// whose subject is not `digest`, whose artifactType is not a bundle media type, that has no
// bundle layer or one over sigstore::kMaxBundleBytes is kGateRefused saying so; registry failures are
// passed on.
Result<std::string> FetchBundle(registry::RegistryClient& client, const std::string& repo,
                                const registry::Referrer& referrer, const oci::Digest& digest,
                                const registry::Scopes& scopes, const CancelToken* cancel = nullptr);

// Verifies every bundle referrer of `digest` in `repo`. A bundle counts when it verifies with
// `key` (and, when `trusted_root` is given, its log entries and RFC 3161 timestamps do too), is
// about `digest` (message digest, or statement subject) and, for DSSE, has predicate type
// `predicate_type` (any when empty). A referrer whose manifest does not name `digest` as subject, whose manifest
// artifactType or bundle layer is not a bundle media type, or whose bundle is malformed is
// refused with the reason. Registry failures are errors; refusals are outcomes.
Result<BundleReport> VerifyImageBundles(registry::RegistryClient& client, const std::string& repo,
                                        const oci::Digest& digest, const sigstore::VerificationKey& key,
                                        const sigstore::TrustedRoot* trusted_root,
                                        std::string_view predicate_type, const registry::Scopes& scopes,
                                        const CancelToken* cancel = nullptr);

}  // namespace promote::sign
