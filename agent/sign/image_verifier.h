// An image's signatures, read from its registry (each checked by sigstore/signature_verify.h).
// Verifying an image's cosign signatures in a registry: every simple-signing layer of the
// "sha256-<hex>.sig" manifest is checked (signature with the key, then the digest claim, then
// the identity policy), one accepted signature is enough, and each layer's outcome is reported
// so a refusal can say why. See docs/cosign-format.md §3 and §5.
#pragma once

#include <string>
#include <vector>

#include "oci/digest.h"
#include "registry/registry_client.h"
#include "sigstore/ec_key.h"
#include "sigstore/signature_verify.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::sign {

struct IdentityExpectation {
  sigstore::IdentityPolicy policy = sigstore::IdentityPolicy::kMatchRepository;
  std::string identity;  // "registry/repo[:tag]"; unused for kIgnore
};

// The outcome of one layer of the .sig manifest.
struct SignatureOutcome {
  size_t layer = 0;  // index in the .sig manifest
  std::string media_type;
  oci::Digest payload_digest;
  bool verified = false;
  std::string identity;  // the payload's docker-reference, when it could be read
  std::string reason;    // why it was refused; empty when verified
};

struct VerifyReport {
  std::string signature_reference;  // "registry/repo:sha256-<hex>.sig"
  std::vector<SignatureOutcome> signatures;

  bool verified() const;  // at least one signature verified
  size_t verified_count() const;
  // OK when verified(); otherwise kGateRefused saying there are no signatures or why each failed.
  Status ToStatus() const;
};

// Checks every layer of digest's .sig manifest in `repo`. Layers that are not simple-signing,
// lack the signature annotation, are oversize, or fail a check are reported with a reason.
// A missing .sig tag is a report with no signatures. Registry failures (other than that 404)
// are errors; refusals are not — use VerifyReport::ToStatus for the verdict. kInvalidArgument
// when the expectation is unusable (e.g. a malformed expected identity).
Result<VerifyReport> VerifyImage(registry::RegistryClient& client, const std::string& repo,
                                 const oci::Digest& digest, const sigstore::PublicKey& key,
                                 const IdentityExpectation& expected, const registry::Scopes& scopes,
                                 const CancelToken* cancel = nullptr);

}  // namespace promote::sign
