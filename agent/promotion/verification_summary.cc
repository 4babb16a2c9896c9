#include "promotion/verification_summary.h"

#include "sign/dsse.h"
#include "sign/in_toto.h"

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

Result<sign::AttachOutcome> WriteVerificationSummary(registry::RegistryClient& client,
                                                     const std::string& repo, const oci::Descriptor& subject,
                                                     const VerificationSummary& summary,
                                                     const sign::PrivateKey& key,
                                                     const registry::Scopes& scopes,
                                                     const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(
      std::string statement,
      sign::BuildInTotoStatement(kVsaPredicateType, client.host() + "/" + repo, subject.digest.str(),
                                 summary.ToPredicate(), sign::kInTotoStatementV1));
  PROMOTE_ASSIGN_OR_RETURN(sign::DsseEnvelope envelope,
                           sign::SignDsse(sign::kInTotoPayloadType, statement, key));
  return sign::AttachAttestation(client, repo, subject, envelope, kVsaPredicateType, scopes, cancel);
}

}  // namespace promote::promotion
