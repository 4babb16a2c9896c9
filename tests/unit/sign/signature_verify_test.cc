#include "sign/signature_verify.h"

#include <doctest/doctest.h>

#include "sign/ecdsa.h"
#include "sign_test_files.h"
#include "util/base64.h"

namespace promote::sign {
namespace {

using testing::CosignFixture;
using testing::ReplaceOnce;

constexpr const char* kDigest = "sha256:5aafdbfea1f9b14602b802cf7afe37a697af73ccba9c73175ca7a5ec11293ba5";
constexpr const char* kOtherDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

PublicKey FixturePublicKey(const char* name) {
  auto key = PublicKey::FromPem(CosignFixture(name), name);
  REQUIRE(key.ok());
  return std::move(key).value();
}

TEST_CASE("the fixture annotation and DER signature are the same signature") {
  CHECK(Base64Decode(CosignFixture("skopeo-made-signature/signature.b64")) ==
        CosignFixture("skopeo-made-signature/signature.der"));
}

TEST_CASE("verifying the skopeo-made signature layer") {
  const std::string payload = CosignFixture("skopeo-made-signature/payload.json");
  const std::string signature = CosignFixture("skopeo-made-signature/signature.b64");
  const PublicKey cosign_pub = FixturePublicKey("cosign.pub");
  const PublicKey sigstore_pub = FixturePublicKey("sigstore.pub");

  struct Case {
    const char* name;
    std::string payload;
    std::string signature;
    const PublicKey* key;
    SignatureExpectation expected;
    Code code;              // kOk when accepted
    const char* message;    // expected substring when refused
  };
  const std::string repo = "127.0.0.1:5000/demo/hello";
  const Case cases[] = {
      {"matchRepository", payload, signature, &cosign_pub, {kDigest, IdentityPolicy::kMatchRepository, repo},
       Code::kOk, ""},
      {"matchRepository given a tagged reference", payload, signature, &cosign_pub,
       {kDigest, IdentityPolicy::kMatchRepository, repo + ":v2"}, Code::kOk, ""},
      {"exact", payload, signature, &cosign_pub, {kDigest, IdentityPolicy::kExact, repo + ":v1"}, Code::kOk, ""},
      {"ignore", payload, signature, &cosign_pub, {kDigest, IdentityPolicy::kIgnore, ""}, Code::kOk, ""},
      {"a different key", payload, signature, &sigstore_pub, {kDigest, IdentityPolicy::kIgnore, ""},
       Code::kGateRefused, "signature does not verify"},
      {"tampered payload", ReplaceOnce(payload, "1795358979", "1795358980"), signature, &cosign_pub,
       {kDigest, IdentityPolicy::kIgnore, ""}, Code::kGateRefused, "signature does not verify"},
      {"signature not base64", payload, "not*base64", &cosign_pub, {kDigest, IdentityPolicy::kIgnore, ""},
       Code::kGateRefused, "is not valid base64"},
      {"wrong digest claim", payload, signature, &cosign_pub, {kOtherDigest, IdentityPolicy::kIgnore, ""},
       Code::kGateRefused, "signature is for manifest sha256:5aafdbfe"},
      {"other repository", payload, signature, &cosign_pub,
       {kDigest, IdentityPolicy::kMatchRepository, "127.0.0.1:5000/demo/other"}, Code::kGateRefused,
       "signature for identity 127.0.0.1:5000/demo/hello:v1 is not accepted"},
      {"other registry", payload, signature, &cosign_pub,
       {kDigest, IdentityPolicy::kMatchRepository, "127.0.0.1:5001/demo/hello"}, Code::kGateRefused,
       "is not accepted"},
      {"exact, other tag", payload, signature, &cosign_pub, {kDigest, IdentityPolicy::kExact, repo + ":v2"},
       Code::kGateRefused, "expected exactly 127.0.0.1:5000/demo/hello:v2"},
      {"exact, repository only", payload, signature, &cosign_pub, {kDigest, IdentityPolicy::kExact, repo},
       Code::kGateRefused, "is not accepted"},
      {"bad expected digest", payload, signature, &cosign_pub, {"sha256:xyz", IdentityPolicy::kIgnore, ""},
       Code::kInvalidArgument, "expected manifest digest"},
      {"bad expected identity", payload, signature, &cosign_pub,
       {kDigest, IdentityPolicy::kMatchRepository, "Not A Reference"}, Code::kInvalidArgument,
       "expected signature identity"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto claims = VerifySimpleSigningLayer(c.payload, c.signature, *c.key, c.expected);
    if (c.code == Code::kOk) {
      REQUIRE_MESSAGE(claims.ok(), claims.status().ToString());
      CHECK(claims->docker_reference == repo + ":v1");
      CHECK(claims->optional["creator"] == "containers/image 5.22.1");
      continue;
    }
    REQUIRE_FALSE(claims.ok());
    CHECK(claims.status().code() == c.code);
    CHECK_MESSAGE(claims.status().message().find(c.message) != std::string::npos, claims.status().message());
  }
}

TEST_CASE("a correctly signed but malformed payload is refused") {
  auto key = PrivateKey::Generate();
  REQUIRE(key.ok());
  const std::string payload = R"({"critical":{"identity":{"docker-reference":"r/a"},"image":{"docker-manifest-digest":")" +
                              std::string(kDigest) + R"("},"type":"cosign container image signature"}})";
  auto signature = SignEcdsaSha256(*key, payload);
  REQUIRE(signature.ok());
  auto claims = VerifySimpleSigningLayer(payload, Base64Encode(*signature), key->public_key(),
                                         {kDigest, IdentityPolicy::kIgnore, ""});
  REQUIRE_FALSE(claims.ok());
  CHECK(claims.status().code() == Code::kGateRefused);
  CHECK(claims.status().message().find("missing field \"optional\"") != std::string::npos);
}

TEST_CASE("a payload we build and sign verifies with a repository-only identity") {
  auto key = PrivateKey::Generate();
  REQUIRE(key.ok());
  auto payload = BuildSimpleSigningPayload("127.0.0.1:5000/demo/hello", kDigest, {{"promoted-to", "prod"}});
  REQUIRE(payload.ok());
  auto signature = SignEcdsaSha256(*key, *payload);
  REQUIRE(signature.ok());
  const SignatureExpectation expected{kDigest, IdentityPolicy::kMatchRepository, "127.0.0.1:5000/demo/hello:sha-2b2e927"};
  auto claims = VerifySimpleSigningLayer(*payload, Base64Encode(*signature), key->public_key(), expected);
  REQUIRE_MESSAGE(claims.ok(), claims.status().ToString());
  CHECK(claims->optional["promoted-to"] == "prod");
}

}  // namespace
}  // namespace promote::sign
