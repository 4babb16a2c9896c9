// Writing Sigstore bundles beside an image as OCI 1.1 referrers, the way cosign v3 stores them:
// an image manifest with artifactType and layer media type
// application/vnd.dev.sigstore.bundle.v0.3+json, the empty config, the image as `subject`, and
// the annotations dev.sigstore.bundle.content / dev.sigstore.bundle.predicateType /
// org.opencontainers.image.created. Pushed through registry/referrers.h (API or fallback index).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "registry/referrers.h"
#include "registry/registry_client.h"
#include "sigstore/ec_key.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::sign {

struct BundleAttachOutcome {
  oci::Digest referrer;      // the referrer manifest's digest
  oci::Digest bundle;        // the bundle blob's digest
  registry::PushedReferrer pushed;
};

// Signs an in-toto statement about `subject` (name `subject_name`, predicate `predicate_type`
// and `predicate`) with `key` as a DSSE envelope, wraps it in a v0.3 bundle with the key's hint
// and no log entries, and attaches it to `subject` in `repo`. `created` is the RFC 3339 time for
// org.opencontainers.image.created. kInvalidArgument for an empty predicate type; registry
// failures as the client reports them. `scopes` need pull and push on `repo`.
Result<BundleAttachOutcome> AttachStatementBundle(
    registry::RegistryClient& client, const std::string& repo, const oci::Descriptor& subject,
    std::string_view subject_name, std::string_view predicate_type, const nlohmann::json& predicate,
    const sigstore::PrivateKey& key, std::string_view created, const registry::Scopes& scopes,
    const CancelToken* cancel = nullptr);

struct BundleSignOutcome {
  std::string reference;  // "registry/repo@sha256:<referrer manifest>"
  oci::Digest referrer;
  bool added = false;     // false: a bundle by this key was already there, and is the one named
};

// Signs `subject` the way cosign v3 `sign` does with a key: a DSSE bundle over an in-toto
// statement of type kCosignSignPredicateType (bundle_image_verifier.h) naming `identity`
// ("registry/repo") and the digest, attached with AttachStatementBundle. When a bundle of that
// type already verifies with `key`'s public half on `subject`, nothing is written (added=false),
// so signing again is a no-op as it is for .sig (image_signer.h).
Result<BundleSignOutcome> SignImageBundle(registry::RegistryClient& client, const std::string& repo,
                                          const oci::Descriptor& subject, std::string_view identity,
                                          const sigstore::PrivateKey& key, std::string_view created,
                                          const registry::Scopes& scopes,
                                          const CancelToken* cancel = nullptr);

// Attaches `bundle_json` (a Sigstore bundle, stored byte for byte) to `subject` as a referrer
// with the annotations above. Lower level than AttachStatementBundle, for tests and for bundles
// made elsewhere.
Result<BundleAttachOutcome> AttachBundle(registry::RegistryClient& client, const std::string& repo,
                                         const oci::Descriptor& subject, std::string_view bundle_json,
                                         std::string_view content, std::string_view predicate_type,
                                         std::string_view created, const registry::Scopes& scopes,
                                         const CancelToken* cancel = nullptr);

}  // namespace promote::sign
