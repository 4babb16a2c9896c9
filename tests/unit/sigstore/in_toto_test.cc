#include "sigstore/in_toto.h"

#include <doctest/doctest.h>

#include "sigstore/attestation_verify.h"
#include "sigstore/dsse.h"
#include "sigstore_test_files.h"

namespace promote::sigstore {
namespace {

using testing::kFixtureImageDigest;
using testing::ReplaceOnce;

constexpr const char* kHex = "5aafdbfea1f9b14602b802cf7afe37a697af73ccba9c73175ca7a5ec11293ba5";
constexpr const char* kOtherDigest =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

TEST_CASE("statements are built as cosign attest writes them") {
  const nlohmann::json predicate = {{"Timestamp", "2025-01-02T03:04:05Z"}, {"Data", "scan <ok> & clean"}};
  auto statement = BuildInTotoStatement("https://cosign.sigstore.dev/attestation/v1",
                                        "127.0.0.1:5000/demo/hello", kFixtureImageDigest, predicate);
  REQUIRE(statement.ok());
  CHECK(*statement ==
        std::string(R"({"_type":"https://in-toto.io/Statement/v0.1",)") +
            R"("predicateType":"https://cosign.sigstore.dev/attestation/v1",)" +
            R"("subject":[{"name":"127.0.0.1:5000/demo/hello","digest":{"sha256":")" + kHex + R"("}}],)" +
            R"("predicate":{"Data":"scan \u003cok\u003e \u0026 clean","Timestamp":"2025-01-02T03:04:05Z"}})");

  auto parsed = ParseInTotoStatement(*statement);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
  CHECK(parsed->type == kInTotoStatementV01);
  CHECK(parsed->predicate_type == "https://cosign.sigstore.dev/attestation/v1");
  REQUIRE(parsed->subjects.size() == 1);
  CHECK(parsed->subjects[0].name == "127.0.0.1:5000/demo/hello");
  CHECK(parsed->predicate == predicate);
  CHECK(CheckSubjectDigest(*parsed, kFixtureImageDigest).ok());
  CHECK(CheckSubjectDigest(*parsed, kOtherDigest).code() == Code::kGateRefused);
  CHECK(CheckSubjectDigest(*parsed, "sha256:nothex").code() == Code::kInvalidArgument);

  CHECK(BuildInTotoStatement("", "n", kFixtureImageDigest, {}).status().code() == Code::kInvalidArgument);
  CHECK(BuildInTotoStatement("p", "n", "sha256:123", {}).status().code() == Code::kInvalidArgument);
}

TEST_CASE("v1 statements in any key order and layout are accepted") {
  const std::string v1 = std::string(R"({
    "predicate": {"buildType": "x"},
    "subject": [
      {"digest": {"sha512": "abcd"}, "name": "other"},
      {"name": "app", "digest": {"sha256": ")") +
                         kHex + R"("}}
    ],
    "predicateType": "https://slsa.dev/provenance/v1",
    "_type": "https://in-toto.io/Statement/v1"
  })";
  auto parsed = ParseInTotoStatement(v1);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
  CHECK(parsed->type == kInTotoStatementV1);
  REQUIRE(parsed->subjects.size() == 2);
  CHECK(parsed->subjects[0].digest.at("sha512") == "abcd");
  CHECK(CheckSubjectDigest(*parsed, kFixtureImageDigest).ok());
}

TEST_CASE("malformed statements are refused") {
  const std::string good =
      std::string(R"({"_type":"https://in-toto.io/Statement/v0.1","predicateType":"p",)") +
      R"("subject":[{"name":"n","digest":{"sha256":"h"}}],"predicate":{}})";
  REQUIRE(ParseInTotoStatement(good).ok());
  struct Case {
    const char* name;
    std::string json;
    const char* error;
  };
  const Case cases[] = {
      {"not JSON", "]", "malformed JSON"},
      {"unknown _type", ReplaceOnce(good, "Statement/v0.1", "Statement/v2"), "unsupported _type"},
      {"_type missing", ReplaceOnce(good, R"("_type":"https://in-toto.io/Statement/v0.1",)", ""),
       "_type is missing"},
      {"predicateType missing", ReplaceOnce(good, R"("predicateType":"p",)", ""), "predicateType is missing"},
      {"subject empty", ReplaceOnce(good, R"({"name":"n","digest":{"sha256":"h"}})", ""), "non-empty array"},
      {"subject name missing", ReplaceOnce(good, R"("name":"n",)", ""), "subject.name"},
      {"digest not object", ReplaceOnce(good, R"({"sha256":"h"})", "\"h\""), "subject.digest is missing"},
      {"digest value not string", ReplaceOnce(good, R"("h")", "1"), "subject.digest.sha256 must be a string"},
      {"duplicate key",
       ReplaceOnce(good, R"("predicateType":"p")", R"("predicateType":"p","predicateType":"q")"),
       "duplicate JSON key"},
      // Copying such a predicate into the statement overflowed the stack.
      {"deeply nested predicate",
       ReplaceOnce(good, R"("predicate":{})", R"("predicate":)" + std::string(200000, '[') + std::string(200000, ']')),
       "JSON nested deeper than 1000 levels"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto parsed = ParseInTotoStatement(c.json);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(parsed.status().message().find(c.error) != std::string::npos, parsed.status().message());
  }
}

TEST_CASE("attestation envelopes verify end to end") {
  auto key = PrivateKey::Generate();
  auto other = PrivateKey::Generate();
  REQUIRE(key.ok());
  REQUIRE(other.ok());
  auto statement =
      BuildInTotoStatement("https://example.com/promotion/v1", "reg/app", kFixtureImageDigest, {{"env", "prod"}});
  REQUIRE(statement.ok());
  auto envelope = SignDsse(kInTotoPayloadType, *statement, *key);
  REQUIRE(envelope.ok());
  const std::string json = EncodeDsseEnvelope(*envelope);

  auto verified = VerifyAttestationEnvelope(json, key->public_key(), kFixtureImageDigest);
  REQUIRE_MESSAGE(verified.ok(), verified.status().ToString());
  CHECK(verified->predicate["env"] == "prod");

  auto wrong_key = VerifyAttestationEnvelope(json, other->public_key(), kFixtureImageDigest);
  CHECK(wrong_key.status().code() == Code::kGateRefused);
  auto wrong_digest = VerifyAttestationEnvelope(json, key->public_key(), kOtherDigest);
  CHECK(wrong_digest.status().code() == Code::kGateRefused);
  CHECK(wrong_digest.status().message().find("no subject has digest") != std::string::npos);

  auto wrong_type_envelope = SignDsse("application/json", *statement, *key);
  REQUIRE(wrong_type_envelope.ok());
  auto wrong_type =
      VerifyAttestationEnvelope(EncodeDsseEnvelope(*wrong_type_envelope), key->public_key(), kFixtureImageDigest);
  CHECK(wrong_type.status().code() == Code::kGateRefused);
  CHECK(wrong_type.status().message().find("payloadType") != std::string::npos);

  auto garbage = VerifyAttestationEnvelope("{}", key->public_key(), kFixtureImageDigest);
  CHECK(garbage.status().code() == Code::kGateRefused);
  CHECK(VerifyAttestationEnvelope(json, key->public_key(), "sha256:x").status().code() ==
        Code::kInvalidArgument);
}

}  // namespace
}  // namespace promote::sigstore
