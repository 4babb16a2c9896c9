#include "promotion/verification_summary.h"

#include <doctest/doctest.h>

#include "sigstore/in_toto.h"
#include "tests/support/vsa_spec.h"

namespace promote::promotion {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'c');

VerificationSummary Summary() {
  VerificationSummary s;
  s.resource_uri = "prod.registry:5000/shop/payment-svc@" + kDigest;
  s.environment = "prod";
  s.time_verified = "2025-03-04T05:06:07.089Z";
  s.policy_uri = "promote.yaml#environments/prod";
  s.policy_sha256 = std::string(64, 'd');
  s.promote_version = "1.4.0";
  return s;
}

// The statement WriteVerificationSummary signs, parsed back.
nlohmann::json StatementOf(const VerificationSummary& s) {
  auto text = sigstore::BuildInTotoStatement(kVsaPredicateType, "prod.registry:5000/shop/payment-svc",
                                             kDigest, s.ToPredicate(), sigstore::kInTotoStatementV1);
  REQUIRE(text.ok());
  return nlohmann::json::parse(*text);
}

TEST_CASE("the verification summary follows the SLSA VSA v1 schema field by field") {
  VerificationSummary s = Summary();
  s.inputs = {
      {"stage.registry:5000/shop/payment-svc:sha256-" + std::string(64, 'c') + ".att", std::string(64, 'e')},
      {"dev.registry:5000/shop/payment-svc:sha256-" + std::string(64, 'c') + ".att", std::string(64, 'f')}};
  s.build_level = 3;
  nlohmann::json st = StatementOf(s);
  testing::CheckVerificationSummaryAgainstSpec(st);

  const nlohmann::json& p = st["predicate"];
  CHECK(st["subject"][0]["digest"]["sha256"] == std::string(64, 'c'));
  CHECK(p["verifier"] ==
        nlohmann::json{{"id", "https://promote.dev/verifier"}, {"version", {{"promote", "1.4.0"}}}});
  CHECK(p["timeVerified"] == "2025-03-04T05:06:07.089Z");
  CHECK(p["resourceUri"] == "prod.registry:5000/shop/payment-svc@" + kDigest);
  CHECK(p["policy"] == nlohmann::json{{"uri", "promote.yaml#environments/prod"},
                                      {"digest", {{"sha256", std::string(64, 'd')}}}});
  REQUIRE(p["inputAttestations"].size() == 2);
  CHECK(p["inputAttestations"][0]["uri"] == s.inputs[0].uri);
  CHECK(p["inputAttestations"][0]["digest"] == nlohmann::json{{"sha256", std::string(64, 'e')}});
  CHECK(p["inputAttestations"][1]["digest"] == nlohmann::json{{"sha256", std::string(64, 'f')}});
  CHECK(p["verificationResult"] == "PASSED");
  CHECK(p["verifiedLevels"] == nlohmann::json{"SLSA_BUILD_LEVEL_3"});
  CHECK(p["slsaVersion"] == "1.0");
  CHECK(p["https://promote.dev/verification_summary/environment"] == "prod");
  CHECK_FALSE(p.contains("dependencyLevels"));
}

TEST_CASE("without a provenance gate no build level is claimed, and no inputs means no inputAttestations") {
  VerificationSummary s = Summary();
  s.policy_sha256.clear();
  nlohmann::json st = StatementOf(s);
  testing::CheckVerificationSummaryAgainstSpec(st);
  const nlohmann::json& p = st["predicate"];
  CHECK(p["verifiedLevels"] == nlohmann::json{"SLSA_BUILD_LEVEL_0"});
  // "MAY be absent if the verifier does not support this feature. If non-empty, … all": empty is absent.
  CHECK_FALSE(p.contains("inputAttestations"));
  CHECK(p["policy"] == nlohmann::json{{"uri", "promote.yaml#environments/prod"}});
}

}  // namespace
}  // namespace promote::promotion
