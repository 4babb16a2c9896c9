#include "sigstore/signature_verify.h"

#include <doctest/doctest.h>

#include "sigstore/ecdsa.h"
#include "sigstore_test_files.h"
#include "util/base64.h"

namespace promote::sigstore {
namespace {

using testing::CosignFixture;
using testing::kFixtureImageDigest;
using testing::ReplaceOnce;

constexpr const char* kOtherDigest =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

PublicKey FixturePublicKey(const char* name) {
  auto key = PublicKey::FromPem(CosignFixture(name), name);
  REQUIRE(key.ok());
  return std::move(key).value();
}

TEST_CASE("the fixture annotation and DER signature are the same signature") {
  CHECK(Base64Decode(CosignFixture("skopeo-made-signature/signature.b64")) ==
        CosignFixture("skopeo-made-signature/signature.der"));
}

TEST_CASE("the skopeo-made signature layer verifies only with its key and intact bytes") {
  const std::string payload = CosignFixture("skopeo-made-signature/payload.json");
  const std::string signature = CosignFixture("skopeo-made-signature/signature.b64");
  const PublicKey cosign_pub = FixturePublicKey("cosign.pub");
  const PublicKey sigstore_pub = FixturePublicKey("sigstore.pub");
  const SignatureExpectation any_identity{kFixtureImageDigest, IdentityPolicy::kIgnore, ""};

  struct Case {
    const char* name;
    std::string payload;
    std::string signature;
    const PublicKey* key;
    const char* error;  // nullptr: accepted
  };
  const Case cases[] = {
      {"as published", payload, signature, &cosign_pub, nullptr},
      {"a different key", payload, signature, &sigstore_pub, "signature does not verify"},
      {"tampered payload", ReplaceOnce(payload, "1795358979", "1795358980"), signature, &cosign_pub,
       "signature does not verify"},
      {"signature not base64", payload, "not*base64", &cosign_pub, "is not valid base64"},
      {"empty signature", payload, "", &cosign_pub, "signature does not verify"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto claims = VerifySimpleSigningLayer(c.payload, c.signature, *c.key, any_identity);
    if (c.error == nullptr) {
      REQUIRE_MESSAGE(claims.ok(), claims.status().ToString());
      CHECK(claims->docker_reference == "127.0.0.1:5000/demo/hello:v1");
      CHECK(claims->optional["creator"] == "containers/image 5.22.1");
      continue;
    }
    REQUIRE_FALSE(claims.ok());
    CHECK(claims.status().code() == Code::kGateRefused);
    CHECK_MESSAGE(claims.status().message().find(c.error) != std::string::npos, claims.status().message());
  }
}

TEST_CASE("the skopeo-made signature's claims are checked against the expectation") {
  const std::string payload = CosignFixture("skopeo-made-signature/payload.json");
  const std::string signature = CosignFixture("skopeo-made-signature/signature.b64");
  const PublicKey key = FixturePublicKey("cosign.pub");
  const std::string repo = "127.0.0.1:5000/demo/hello";  // the payload claims repo + ":v1"
  using enum IdentityPolicy;

  struct Case {
    SignatureExpectation expected;
    Code code;
    const char* message;  // expected substring when refused
  };
  const Case cases[] = {
      {{kFixtureImageDigest, kMatchRepository, repo}, Code::kOk, ""},
      {{kFixtureImageDigest, kMatchRepository, repo + ":v2"}, Code::kOk, ""},
      {{kFixtureImageDigest, kMatchRepository, repo + "@" + kOtherDigest}, Code::kOk, ""},
      {{kFixtureImageDigest, kExact, repo + ":v1"}, Code::kOk, ""},
      {{kFixtureImageDigest, kIgnore, ""}, Code::kOk, ""},
      {{kFixtureImageDigest, kIgnore, "anything/else"}, Code::kOk, ""},
      {{kOtherDigest, kIgnore, ""}, Code::kGateRefused, "signature is for manifest sha256:5aafdbfe"},
      {{kOtherDigest, kMatchRepository, repo}, Code::kGateRefused, "signature is for manifest"},
      {{kFixtureImageDigest, kMatchRepository, "127.0.0.1:5000/demo/other"},
       Code::kGateRefused,
       "signature for identity 127.0.0.1:5000/demo/hello:v1 is not accepted: expected repository "
       "127.0.0.1:5000/demo/other"},
      {{kFixtureImageDigest, kMatchRepository, "127.0.0.1:5001/demo/hello"}, Code::kGateRefused, "is not accepted"},
      {{kFixtureImageDigest, kMatchRepository, "demo/hello"}, Code::kGateRefused, "is not accepted"},
      {{kFixtureImageDigest, kExact, repo + ":v2"}, Code::kGateRefused, "expected exactly 127.0.0.1:5000/demo/hello:v2"},
      {{kFixtureImageDigest, kExact, repo}, Code::kGateRefused, "is not accepted"},
      {{"sha256:xyz", kIgnore, ""}, Code::kInvalidArgument, "expected manifest digest"},
      {{kFixtureImageDigest, kMatchRepository, "Not A Reference"}, Code::kInvalidArgument, "expected signature identity"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.expected.identity);
    CAPTURE(c.expected.manifest_digest);
    auto claims = VerifySimpleSigningLayer(payload, signature, key, c.expected);
    if (c.code == Code::kOk) {
      CHECK_MESSAGE(claims.ok(), claims.status().ToString());
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
  const std::string payload =
      R"({"critical":{"identity":{"docker-reference":"r/a"},"image":{"docker-manifest-digest":")" +
      std::string(kFixtureImageDigest) + R"("},"type":"cosign container image signature"}})";
  auto signature = SignEcdsaSha256(*key, payload);
  REQUIRE(signature.ok());
  auto claims = VerifySimpleSigningLayer(payload, Base64Encode(*signature), key->public_key(),
                                         {kFixtureImageDigest, IdentityPolicy::kIgnore, ""});
  REQUIRE_FALSE(claims.ok());
  CHECK(claims.status().code() == Code::kGateRefused);
  CHECK(claims.status().message().find("missing field \"optional\"") != std::string::npos);
}

TEST_CASE("a payload we build and sign verifies with a repository-only identity") {
  auto key = PrivateKey::Generate();
  REQUIRE(key.ok());
  auto payload = BuildSimpleSigningPayload("127.0.0.1:5000/demo/hello", kFixtureImageDigest, {{"promoted-to", "prod"}});
  REQUIRE(payload.ok());
  auto signature = SignEcdsaSha256(*key, *payload);
  REQUIRE(signature.ok());
  const SignatureExpectation expected{kFixtureImageDigest, IdentityPolicy::kMatchRepository,
                                      "127.0.0.1:5000/demo/hello:sha-2b2e927"};
  auto claims = VerifySimpleSigningLayer(*payload, Base64Encode(*signature), key->public_key(), expected);
  REQUIRE_MESSAGE(claims.ok(), claims.status().ToString());
  CHECK(claims->optional["promoted-to"] == "prod");
}

}  // namespace
}  // namespace promote::sigstore
