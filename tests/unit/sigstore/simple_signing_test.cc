#include "sigstore/simple_signing.h"

#include <doctest/doctest.h>

#include "sigstore_test_files.h"

namespace promote::sigstore {
namespace {

using testing::CosignFixture;
using testing::kFixtureImageDigest;
using testing::ReplaceOnce;

TEST_CASE("payload bytes are exactly what cosign writes") {
  struct Case {
    const char* name;
    std::string reference;
    std::map<std::string, std::string> annotations;
    std::string expected;
  };
  const std::string critical =
      std::string(R"({"critical":{"identity":{"docker-reference":"127.0.0.1:5000/demo/hello"},)") +
      R"("image":{"docker-manifest-digest":")" + kFixtureImageDigest +
      R"("},"type":"cosign container image signature"},)";
  const Case cases[] = {
      {"no annotations", "127.0.0.1:5000/demo/hello", {}, critical + R"("optional":null})"},
      {"annotations sorted",
       "127.0.0.1:5000/demo/hello",
       {{"sha", "2b2e927"}, {"env", "prod"}},
       critical + R"("optional":{"env":"prod","sha":"2b2e927"}})"},
      {"Go escaping",
       "127.0.0.1:5000/demo/hello",
       {{"note", "a<b> & \"c\""}},
       critical + R"("optional":{"note":"a\u003cb\u003e \u0026 \"c\""}})"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto payload = BuildSimpleSigningPayload(c.reference, kFixtureImageDigest, c.annotations);
    REQUIRE(payload.ok());
    CHECK(*payload == c.expected);
    auto claims = ParseSimpleSigningPayload(*payload);
    REQUIRE_MESSAGE(claims.ok(), claims.status().ToString());
    CHECK(claims->docker_reference == c.reference);
    CHECK(claims->manifest_digest == kFixtureImageDigest);
    if (c.annotations.empty()) {
      CHECK(claims->optional.is_null());
    } else {
      for (const auto& [k, v] : c.annotations) CHECK(claims->optional[k] == v);
    }
  }
}

TEST_CASE("the builder refuses a bad digest or an empty identity") {
  CHECK(BuildSimpleSigningPayload("", kFixtureImageDigest).status().code() == Code::kInvalidArgument);
  for (const char* digest :
       {"", "sha256:abc", "sha512:5aafdbfea1f9b14602b802cf7afe37a697af73ccba9c73175ca7a5ec11293ba5",
        "sha256:5AAFDBFEA1F9B14602B802CF7AFE37A697AF73CCBA9C73175CA7A5EC11293BA5"}) {
    CAPTURE(digest);
    auto payload = BuildSimpleSigningPayload("reg/app", digest);
    REQUIRE_FALSE(payload.ok());
    CHECK(payload.status().message().find("is not sha256:<64 lowercase hex>") != std::string::npos);
  }
}

TEST_CASE("the skopeo-made payload parses") {
  auto claims = ParseSimpleSigningPayload(CosignFixture("skopeo-made-signature/payload.json"));
  REQUIRE_MESSAGE(claims.ok(), claims.status().ToString());
  CHECK(claims->docker_reference == "127.0.0.1:5000/demo/hello:v1");
  CHECK(claims->manifest_digest == kFixtureImageDigest);
  CHECK(claims->optional["creator"] == "containers/image 5.22.1");
  CHECK(claims->optional["timestamp"] == 1795358979);
}

TEST_CASE("payload parsing is as strict as containers/image") {
  const std::string good = CosignFixture("skopeo-made-signature/payload.json");
  auto edit = [&](const std::string& from, const std::string& to) { return ReplaceOnce(good, from, to); };
  struct Case {
    const char* name;
    std::string payload;
    const char* error;
  };
  const Case cases[] = {
      {"not JSON", "nope", "malformed JSON"},
      {"array", "[]", "must be a JSON object"},
      {"trailing data", good + "{}", "malformed JSON"},
      {"trailing newline is fine for JSON", good + "\n", nullptr},
      {"optional missing",
       edit(",\"optional\":{\"creator\":\"containers/image 5.22.1\",\"timestamp\":1795358979}", ""),
       "missing field \"optional\""},
      {"optional null", edit("{\"creator\":\"containers/image 5.22.1\",\"timestamp\":1795358979}", "null"),
       nullptr},
      {"optional unknown keys ignored", edit("\"creator\"", "\"x-extra\":[1],\"creator\""), nullptr},
      {"optional is an array",
       edit("{\"creator\":\"containers/image 5.22.1\",\"timestamp\":1795358979}", "[]"),
       "optional must be null or an object"},
      {"creator not a string", edit("\"containers/image 5.22.1\"", "5"), "optional.creator must be a string"},
      {"timestamp fractional", edit("1795358979", "1795358979.5"), "optional.timestamp must be an integer"},
      {"timestamp string", edit("1795358979", "\"1795358979\""), "optional.timestamp must be an integer"},
      {"timestamp integral float", edit("1795358979", "1795358979.0"), nullptr},
      {"extra top-level key", edit("{\"critical\"", "{\"x\":1,\"critical\""), "unknown field \"x\""},
      {"extra critical key", edit("\"type\":", "\"x\":1,\"type\":"), "critical: unknown field \"x\""},
      {"critical missing type", edit(",\"type\":\"cosign container image signature\"", ""),
       "critical: missing field \"type\""},
      {"wrong type", edit("cosign container image signature", "atomic container signature"),
       "critical.type must be \"cosign container image signature\""},
      {"extra image key", edit("{\"docker-manifest-digest\"", "{\"x\":1,\"docker-manifest-digest\""),
       "critical.image: unknown field \"x\""},
      {"extra identity key", edit("{\"docker-reference\"", "{\"x\":1,\"docker-reference\""),
       "critical.identity: unknown field \"x\""},
      {"digest uppercase", edit("5aafdbfea1f9", "5AAFDBFEA1F9"), "docker-manifest-digest must be sha256"},
      {"digest short", edit("ba5\"", "\""), "docker-manifest-digest must be sha256"},
      {"digest not a string", edit(std::string("\"") + kFixtureImageDigest + "\"", "1"),
       "docker-manifest-digest must be sha256"},
      {"reference not a string", edit("\"127.0.0.1:5000/demo/hello:v1\"", "[]"),
       "docker-reference must be a non-empty string"},
      {"reference empty", edit("127.0.0.1:5000/demo/hello:v1", ""),
       "docker-reference must be a non-empty string"},
      {"duplicate key", edit("{\"critical\"", "{\"optional\":null,\"critical\""),
       "duplicate JSON key \"optional\""},
      {"duplicate nested key", edit("\"type\":", "\"image\":{},\"type\":"), "duplicate JSON key \"image\""},
      {"huge", good + std::string(70 * 1024, ' '), "more than the limit"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto claims = ParseSimpleSigningPayload(c.payload);
    if (c.error == nullptr) {
      CHECK_MESSAGE(claims.ok(), claims.status().ToString());
      continue;
    }
    REQUIRE_FALSE(claims.ok());
    CHECK(claims.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(claims.status().message().find(c.error) != std::string::npos, claims.status().message());
    CHECK(claims.status().message().rfind("simple-signing payload", 0) == 0);
  }
}

TEST_CASE("-a timestamp is written as the integer verifiers read, and anything else is refused") {
  auto payload = BuildSimpleSigningPayload("reg/app", kFixtureImageDigest,
                                           {{"timestamp", "1795358979"}, {"env", "prod"}});
  REQUIRE(payload.ok());
  CHECK(payload->find(R"("optional":{"env":"prod","timestamp":1795358979})") != std::string::npos);
  auto claims = ParseSimpleSigningPayload(*payload);  // as strict as containers/image
  REQUIRE_MESSAGE(claims.ok(), claims.status().ToString());
  CHECK(claims->optional["timestamp"] == 1795358979);
  for (const char* bad :
       {"", "soon", "1795358979.5", "017", "+5", "1e9", "99999999999999999999", " 1", "1 "}) {
    CAPTURE(bad);
    auto refused = BuildSimpleSigningPayload("reg/app", kFixtureImageDigest, {{"timestamp", bad}});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == Code::kInvalidArgument);
    CHECK(refused.status().message().find("timestamp") != std::string::npos);
  }
}

}  // namespace
}  // namespace promote::sigstore
