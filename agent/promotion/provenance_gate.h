// The provenance gate (promote.yaml `gates.provenance`): the source digest must carry a SLSA
// provenance attestation signed with the gate's key, naming the digest as its subject, the
// promoted commit as its source and, optionally, a builder matching a pattern. Finding envelopes
// (FindCosignProvenance: the cosign .att layers beside the image; FindBundleProvenance: Sigstore
// bundle referrers, as cosign v3 attests) is apart from judging them (JudgeProvenanceEnvelopes),
// so both carriers are judged the same way.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "oci/digest.h"
#include "policy/promote_config.h"
#include "promotion/gate_result.h"
#include "promotion/provenance_check.h"
#include "promotion/verification_summary.h"
#include "registry/registry_client.h"
#include "sigstore/ec_key.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::promotion {

// One DSSE envelope that may hold provenance, and where it was found.
struct ProvenanceEnvelope {
  std::string reference;        // "registry/repo:sha256-<hex>.att", or "registry/repo@<referrer digest>"
  size_t layer = 0;             // its place in the .att manifest (0 for a bundle)
  oci::Digest envelope_digest;  // of what was stored: the envelope, or the bundle holding it
  std::string envelope;         // the DSSE envelope JSON
  std::string problem;          // set when what was stored holds no readable envelope
};

// The SLSA provenance layers (predicateType annotation v0.2 or v1) of digest's .att manifest in
// `repo`; an image without one has none. Registry failures are passed on.
Result<std::vector<ProvenanceEnvelope>> FindCosignProvenance(registry::RegistryClient& client,
                                                             const std::string& repo,
                                                             const oci::Digest& digest,
                                                             const registry::Scopes& scopes,
                                                             const CancelToken* cancel = nullptr);

// The Sigstore bundle referrers of `digest` in `repo` (API or fallback index) whose
// dev.sigstore.bundle.predicateType annotation is SLSA provenance, each with its DSSE envelope
// (a bundle that does not parse or holds a message signature has a `problem` instead). Registry
// failures are passed on.
Result<std::vector<ProvenanceEnvelope>> FindBundleProvenance(registry::RegistryClient& client,
                                                             const std::string& repo, const oci::Digest& digest,
                                                             const registry::Scopes& scopes,
                                                             const CancelToken* cancel = nullptr);

struct ProvenanceGateOutcome {
  GateResult gate;                       // name "provenance"
  std::vector<InputAttestation> inputs;  // the provenance accepted (empty when refused)
  std::optional<int> build_level;        // the gate's build-level, when it passed
};

// Judges each envelope in turn: "envelope" (a DSSE envelope with an in-toto payload), "signature"
// (verifies with `key`), "subject" (names `subject_digest`), then the statement (JudgeProvenance:
// "predicate", "commit", "builder-id"). The first that passes every check passes the gate; when
// none does, the gate is refused and its detail names, for each envelope, the check that failed
// ("missing" when there is none). `where` names the place searched, for the refusal.
ProvenanceGateOutcome JudgeProvenanceEnvelopes(const std::vector<ProvenanceEnvelope>& envelopes,
                                               const sigstore::PublicKey& key,
                                               const std::string& subject_digest,
                                               const ProvenanceExpectation& expect, int build_level,
                                               const std::string& where);

// The gate as a promotion runs it: the .att and bundle provenance of `digest` in `repo`, judged
// with the public key `key_pem` (the gate's key file as the request carries it) against `gate` and the
// promoted `commit`. A key that does not parse is kInvalidArgument naming gate.public_key;
// registry failures are passed on; a refusal is an outcome, not an error.
Result<ProvenanceGateOutcome> RunProvenanceGate(registry::RegistryClient& client, const std::string& repo,
                                                const oci::Digest& digest,
                                                const policy::ProvenanceGateConfig& gate,
                                                const std::string& key_pem, const std::string& commit,
                                                const registry::Scopes& scopes,
                                                const CancelToken* cancel = nullptr);

}  // namespace promote::promotion
