// An image's attestations, read from its registry (each checked by sigstore/attestation_verify.h).
// Verifying the attestations stored beside an image (.att): each DSSE layer is checked with the
// key and for a statement naming the image digest; the verified statements are returned, so a
// caller (the promotion history, a gate) can read the predicates it trusts. Mirrors
// image_verifier.h for signatures.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "registry/registry_client.h"
#include "sigstore/ec_key.h"
#include "sigstore/in_toto.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::sign {

struct AttestationOutcome {
  size_t layer = 0;            // index in the .att manifest
  std::string predicate_type;  // the layer's predicateType annotation
  oci::Digest envelope_digest;
  bool verified = false;
  std::optional<sigstore::InTotoStatement> statement;  // set when verified
  std::string reason;                        // why it was refused; empty when verified
};

struct AttestationReport {
  std::string attestation_reference;  // "registry/repo:sha256-<hex>.att"
  std::vector<AttestationOutcome> attestations;

  size_t verified_count() const;
  // OK when some attestation verified; otherwise kGateRefused with each layer's reason.
  Status ToStatus() const;
};

// Lists digest's attestations in `repo` (ListAttestations) and verifies each whose predicate
// type equals `predicate_type` (all when empty) with sigstore::VerifyAttestationEnvelope. Layers whose
// annotation names another predicate type are left out; a verified statement whose own
// predicateType differs from the annotation is refused. Registry failures are errors;
// refusals are outcomes.
Result<AttestationReport> VerifyImageAttestations(registry::RegistryClient& client, const std::string& repo,
                                                  const oci::Digest& digest, const sigstore::PublicKey& key,
                                                  std::string_view predicate_type,
                                                  const registry::Scopes& scopes,
                                                  const CancelToken* cancel = nullptr);

}  // namespace promote::sign
