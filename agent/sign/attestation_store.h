// Attestations stored as cosign `attest` stores them: each a DSSE envelope (in-toto statement
// signed with the key) kept as one layer of the "sha256-<hex>.att" manifest beside the image,
// annotated with its predicateType. Used for the promotion record and scan reports; reading
// them back returns the envelopes for sigstore::VerifyAttestationEnvelope. See docs/cosign-format.md §6.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "registry/registry_client.h"
#include "sigstore/dsse.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::sign {

// The .att layer annotation naming the statement's predicate type.
inline constexpr std::string_view kPredicateTypeAnnotation = "predicateType";

struct AttachOutcome {
  std::string attestation_reference;  // "registry/repo:sha256-<hex>.att"
  oci::Digest envelope_digest;        // the layer digest
  oci::Digest attestation_manifest;   // digest of the .att manifest now at the tag
  bool added = false;                 // false: the identical envelope was already attached
  size_t attestations = 0;            // layers in the .att manifest afterwards
};

// Appends `envelope_json` (a DSSE envelope, stored byte for byte) to the .att manifest of
// `subject.digest` in `repo`, with annotations predicateType and an empty
// dev.cosignproject.cosign/signature, as cosign does. Before anything is written the envelope
// must parse, carry an in-toto payload whose statement names subject.digest, and have the
// predicate type `predicate_type` (empty: take it from the statement); otherwise
// kInvalidArgument. The same envelope attached twice is stored once. `scopes` need pull and
// push on `repo`. The envelope's signature is not checked here (the caller signed it).
Result<AttachOutcome> AttachAttestation(registry::RegistryClient& client, const std::string& repo,
                                        const oci::Descriptor& subject, std::string_view envelope_json,
                                        std::string_view predicate_type, const registry::Scopes& scopes,
                                        const CancelToken* cancel = nullptr);
// The same for an envelope in memory (encoded with sigstore::EncodeDsseEnvelope).
Result<AttachOutcome> AttachAttestation(registry::RegistryClient& client, const std::string& repo,
                                        const oci::Descriptor& subject,
                                        const sigstore::DsseEnvelope& envelope,
                                        std::string_view predicate_type, const registry::Scopes& scopes,
                                        const CancelToken* cancel = nullptr);

// One DSSE layer of a .att manifest, unverified.
struct StoredAttestation {
  size_t layer = 0;            // index in the .att manifest
  std::string predicate_type;  // the layer's predicateType annotation ("" when absent)
  oci::Digest envelope_digest;
  std::string envelope;  // the envelope JSON, byte for byte
};

// Reads every DSSE-envelope layer of digest's .att manifest in `repo` (other layer types are
// skipped). A missing tag is an empty list. An envelope blob over sigstore::kMaxEnvelopeBytes, missing or
// not matching its digest is kRegistryError/kDataLoss naming it; registry failures are passed on.
Result<std::vector<StoredAttestation>> ListAttestations(registry::RegistryClient& client,
                                                        const std::string& repo, const oci::Digest& subject,
                                                        const registry::Scopes& scopes,
                                                        const CancelToken* cancel = nullptr);

}  // namespace promote::sign
