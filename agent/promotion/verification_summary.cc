#include "promotion/verification_summary.h"

#include "sign/bundle_store.h"
#include "sigstore/dsse.h"
#include "sigstore/in_toto.h"

namespace promote::promotion {

nlohmann::json VerificationSummary::ToPredicate() const {
  nlohmann::json policy = {{"uri", policy_uri}};
  if (!policy_sha256.empty()) policy["digest"] = {{"sha256", policy_sha256}};
  nlohmann::json p = {
      {"verifier", {{"id", kPromoteVerifierId}, {"version", {{"promote", promote_version}}}}},
      {"timeVerified", time_verified},
      {"resourceUri", resource_uri},
      {"policy", std::move(policy)},
      {"verificationResult", "PASSED"},
      // One level per track; without a checked provenance promote vouches for no build level.
      {"verifiedLevels", {"SLSA_BUILD_LEVEL_" + std::to_string(build_level.value_or(0))}},
      {"slsaVersion", "1.0"},
  };
  if (!inputs.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& a : inputs) list.push_back({{"uri", a.uri}, {"digest", {{"sha256", a.sha256_hex}}}});
    p["inputAttestations"] = std::move(list);
  }
  if (!environment.empty()) p[std::string(kVsaEnvironmentField)] = environment;
  return p;
}

Result<WrittenSummary> WriteVerificationSummary(registry::RegistryClient& client, const std::string& repo,
                                                const oci::Descriptor& subject,
                                                const VerificationSummary& summary,
                                                const sigstore::PrivateKey& key,
                                                sigstore::SignatureFormat format,
                                                const registry::Scopes& scopes, const CancelToken* cancel) {
  const std::string name = client.host() + "/" + repo;
  if (format == sigstore::SignatureFormat::kBundle) {
    PROMOTE_ASSIGN_OR_RETURN(sign::BundleAttachOutcome attached,
                             sign::AttachStatementBundle(client, repo, subject, name, kVsaPredicateType,
                                                         summary.ToPredicate(), key, summary.time_verified, scopes,
                                                         cancel));
    return WrittenSummary{name + "@" + attached.referrer.str(), attached.bundle};
  }
  PROMOTE_ASSIGN_OR_RETURN(std::string statement, sigstore::BuildInTotoStatement(
                                                      kVsaPredicateType, name, subject.digest.str(),
                                                      summary.ToPredicate(), sigstore::kInTotoStatementV1));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::DsseEnvelope envelope,
                           sigstore::SignDsse(sigstore::kInTotoPayloadType, statement, key));
  PROMOTE_ASSIGN_OR_RETURN(sign::AttachOutcome attached,
                           sign::AttachAttestation(client, repo, subject, envelope, kVsaPredicateType, scopes, cancel));
  return WrittenSummary{attached.attestation_reference, attached.envelope_digest};
}

}  // namespace promote::promotion
