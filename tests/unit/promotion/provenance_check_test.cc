#include "promotion/provenance_check.h"

#include <doctest/doctest.h>

#include "tests/support/slsa_provenance.h"

namespace promote::promotion {
namespace {

using testing::kGeneratorBuilder;
using testing::SlsaV02Predicate;
using testing::SlsaV1Predicate;

const std::string kCommit = "2b2e927abcdef0123456789abcdef01234567890";
const std::string kOther = "ffffffffabcdef0123456789abcdef0123456789";

sigstore::InTotoStatement Statement(std::string_view predicate_type, nlohmann::json predicate) {
  sigstore::InTotoStatement s;
  s.type = std::string(sigstore::kInTotoStatementV1);
  s.predicate_type = std::string(predicate_type);
  s.subjects = {{"app", {{"sha256", std::string(64, 'a')}}}};
  s.predicate = std::move(predicate);
  return s;
}

TEST_CASE("the source commit and builder are read where the v1 and v0.2 generators write them") {
  auto v1 = ReadProvenanceFacts(Statement(kSlsaProvenanceV1, SlsaV1Predicate(kCommit)));
  REQUIRE_MESSAGE(v1.ok(), v1.status().ToString());
  CHECK(v1->builder_id == kGeneratorBuilder);
  CHECK(v1->commits == std::vector<std::string>{kCommit});

  auto v02 = ReadProvenanceFacts(Statement(kSlsaProvenanceV02, SlsaV02Predicate(kCommit)));
  REQUIRE_MESSAGE(v02.ok(), v02.status().ToString());
  CHECK(v02->builder_id == kGeneratorBuilder);
  CHECK(v02->commits == std::vector<std::string>{kCommit});  // materials and configSource name it once

  // v1 with the source as an external parameter (the BYOB / container-based builders' shape),
  // in upper case: commits are compared in lower case.
  auto byob = SlsaV1Predicate(kOther);
  byob["buildDefinition"]["externalParameters"]["source"] = {
      {"uri", "git+https://github.com/shop/payment-svc@refs/heads/main"},
      {"digest", {{"sha1", "2B2E927ABCDEF0123456789ABCDEF01234567890"}}}};
  auto facts = ReadProvenanceFacts(Statement(kSlsaProvenanceV1, byob));
  REQUIRE(facts.ok());
  CHECK(facts->commits == std::vector<std::string>{kOther, kCommit});
}

TEST_CASE("provenance judged against the promoted commit and the builder pattern") {
  const std::string generator = "https://github.com/slsa-framework/slsa-github-generator/*@refs/tags/v*";
  auto no_commit = SlsaV1Predicate(kCommit);
  no_commit["buildDefinition"].erase("resolvedDependencies");
  auto sha256_only = SlsaV02Predicate(kCommit);
  sha256_only["materials"][0]["digest"] = {{"sha256", std::string(64, 'b')}};
  sha256_only["invocation"].erase("configSource");
  auto no_builder = SlsaV1Predicate(kCommit);
  no_builder["runDetails"].erase("builder");
  auto builder_not_string = SlsaV02Predicate(kCommit);
  builder_not_string["builder"]["id"] = 42;

  struct Case {
    std::string name;
    sigstore::InTotoStatement statement;
    ProvenanceExpectation expect;
    std::string check;  // "" passes
    std::string reason_part;
  } cases[] = {
      {"good v1", Statement(kSlsaProvenanceV1, SlsaV1Predicate(kCommit)), {kCommit, ""}, "", ""},
      {"good v0.2", Statement(kSlsaProvenanceV02, SlsaV02Predicate(kCommit)), {kCommit, generator}, "", ""},
      {"a short promoted SHA is a prefix",
       Statement(kSlsaProvenanceV1, SlsaV1Predicate(kCommit)),
       {"2b2e927", generator},
       "",
       ""},
      {"wrong commit v1",
       Statement(kSlsaProvenanceV1, SlsaV1Predicate(kOther)),
       {kCommit, ""},
       "commit",
       "built from commit " + kOther + ", not " + kCommit},
      {"wrong commit v0.2",
       Statement(kSlsaProvenanceV02, SlsaV02Predicate(kOther)),
       {kCommit, ""},
       "commit",
       "not " + kCommit},
      {"a SHA sharing only a shorter prefix",
       Statement(kSlsaProvenanceV1, SlsaV1Predicate(kCommit)),
       {"2b2e927f", ""},
       "commit",
       "not 2b2e927f"},
      {"no source commit",
       Statement(kSlsaProvenanceV1, no_commit),
       {kCommit, ""},
       "commit",
       "names no source commit"},
      {"a sha256 material is not a commit",
       Statement(kSlsaProvenanceV02, sha256_only),
       {kCommit, ""},
       "commit",
       "names no source commit"},
      {"builder mismatch",
       Statement(kSlsaProvenanceV1, SlsaV1Predicate(kCommit, "https://evil.example/builder")),
       {kCommit, generator},
       "builder-id",
       "the builder 'https://evil.example/builder' does not match"},
      {"no builder id v1",
       Statement(kSlsaProvenanceV1, no_builder),
       {kCommit, ""},
       "predicate",
       "runDetails.builder.id is missing"},
      {"builder id not a string v0.2",
       Statement(kSlsaProvenanceV02, builder_not_string),
       {kCommit, ""},
       "predicate",
       "predicate.builder.id is missing or not a string"},
      {"not provenance",
       Statement("https://slsa.dev/verification_summary/v1", SlsaV1Predicate(kCommit)),
       {kCommit, ""},
       "predicate",
       "is not SLSA provenance"},
      {"predicate not an object",
       Statement(kSlsaProvenanceV1, nlohmann::json::array()),
       {kCommit, ""},
       "predicate",
       "not a JSON object"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    ProvenanceJudgement j = JudgeProvenance(c.statement, c.expect);
    CHECK(j.check == c.check);
    CHECK(j.passed() == c.check.empty());
    INFO(j.reason);
    CHECK(j.reason.find(c.reason_part) != std::string::npos);
  }
}

TEST_CASE("only the two SLSA provenance predicate types count as provenance") {
  CHECK(IsSlsaProvenance("https://slsa.dev/provenance/v0.2"));
  CHECK(IsSlsaProvenance("https://slsa.dev/provenance/v1"));
  CHECK_FALSE(IsSlsaProvenance("https://slsa.dev/provenance/v0.1"));
  CHECK_FALSE(IsSlsaProvenance("https://slsa.dev/provenance/v1?draft"));
  CHECK_FALSE(IsSlsaProvenance("https://slsa.dev/verification_summary/v1"));
}

}  // namespace
}  // namespace promote::promotion
