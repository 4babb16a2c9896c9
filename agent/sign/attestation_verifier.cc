#include "sign/attestation_verifier.h"

#include "sign/attestation_store.h"
#include "sign/cosign_attachment.h"
#include "sigstore/attestation_verify.h"

namespace promote::sign {

size_t AttestationReport::verified_count() const {
  size_t n = 0;
  for (const auto& a : attestations) n += a.verified ? 1 : 0;
  return n;
}

Status AttestationReport::ToStatus() const {
  if (verified_count() > 0) return OkStatus();
  if (attestations.empty()) {
    return Status(Code::kGateRefused,
                  "no attestations: " + attestation_reference + " holds none of the requested type");
  }
  std::string msg = "none of the " + std::to_string(attestations.size()) + " attestations at " +
                    attestation_reference + " is accepted";
  for (const auto& a : attestations) msg += "; [" + std::to_string(a.layer) + "] " + a.reason;
  return Status(Code::kGateRefused, msg);
}

Result<AttestationReport> VerifyImageAttestations(registry::RegistryClient& client, const std::string& repo,
                                                  const oci::Digest& digest, const sigstore::PublicKey& key,
                                                  std::string_view predicate_type,
                                                  const registry::Scopes& scopes, const CancelToken* cancel) {
  AttestationReport report;
  report.attestation_reference =
      client.host() + "/" + repo + ":" + AttachmentTag(digest, kAttestationTagSuffix);
  PROMOTE_ASSIGN_OR_RETURN(std::vector<StoredAttestation> stored,
                           ListAttestations(client, repo, digest, scopes, cancel));
  for (auto& s : stored) {
    if (!predicate_type.empty() && s.predicate_type != predicate_type) continue;
    AttestationOutcome outcome;
    outcome.layer = s.layer;
    outcome.predicate_type = s.predicate_type;
    outcome.envelope_digest = s.envelope_digest;
    auto statement = sigstore::VerifyAttestationEnvelope(s.envelope, key, digest.str());
    if (!statement.ok()) {
      if (statement.status().code() != Code::kGateRefused) return statement.status();
      outcome.reason = statement.status().message();
    } else if (statement->predicate_type != s.predicate_type) {
      outcome.reason = "statement predicate type '" + statement->predicate_type +
                       "' differs from the layer annotation '" + s.predicate_type + "'";
    } else {
      outcome.verified = true;
      outcome.statement = std::move(*statement);
    }
    report.attestations.push_back(std::move(outcome));
  }
  return report;
}

}  // namespace promote::sign
