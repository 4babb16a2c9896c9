#include "oci/index_subset.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "oci/media_types.h"

using promote::oci::ParseManifest;
using promote::oci::Platform;
using promote::oci::SubsetIndex;

namespace {

std::string D(char c) { return "sha256:" + std::string(64, c); }

std::string Entry(char digest, const std::string& platform_json, const std::string& extra = "") {
  return R"({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" + D(digest) +
         R"(", "size": 100, "platform": )" + platform_json + extra + "}";
}

const std::string kAmd64 = Entry('a', R"({"architecture": "amd64", "os": "linux"})");
const std::string kArm64 = Entry('b', R"({"architecture": "arm64", "os": "linux", "variant": "v8"})");
// Brackets, braces and an escaped quote inside strings must not confuse the cut.
const std::string kArmV7 = Entry('c', R"({"architecture": "arm", "os": "linux", "variant": "v7"})",
                                 R"(, "annotations": {"note": "]}{[ \"x\" ,"})");

// An index as docker buildx writes it: pretty-printed, with fields before and after manifests.
std::string Index(const std::vector<std::string>& entries) {
  std::string s =
      "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"application/vnd.oci.image.index.v1+json\",\n"
      "  \"manifests\": [";
  for (size_t i = 0; i < entries.size(); ++i) s += (i == 0 ? "\n    " : ",\n    ") + entries[i];
  s += "\n  ],\n  \"annotations\": {\"org.opencontainers.image.revision\": \"2b2e927\"}\n}\n";
  return s;
}

promote::oci::Manifest Parse(const std::string& bytes) {
  auto m = ParseManifest(bytes, "application/vnd.oci.image.index.v1+json");
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  return *m;
}

Platform P(std::string os, std::string arch, std::string variant = "") {
  return {std::move(os), std::move(arch), std::move(variant)};
}

}  // namespace

TEST_CASE("a subset keeps the chosen entries' bytes, every other field and the order; the digest is new") {
  auto index = Parse(Index({kAmd64, kArm64, kArmV7}));
  struct Case {
    std::vector<Platform> wanted;
    std::vector<std::string> kept;
    std::vector<std::string> platforms;
  } cases[] = {
      {{P("linux", "amd64"), P("linux", "arm")}, {kAmd64, kArmV7}, {"linux/amd64", "linux/arm/v7"}},
      // Asked in another order: the index's order stays.
      {{P("linux", "arm", "v7"), P("linux", "arm64")}, {kArm64, kArmV7}, {"linux/arm64/v8", "linux/arm/v7"}},
      {{P("linux", "arm64", "v8")}, {kArm64}, {"linux/arm64/v8"}},
      {{P("linux", "arm")}, {kArmV7}, {"linux/arm/v7"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.platforms.front());
    auto subset = SubsetIndex(index, c.wanted);
    REQUIRE_MESSAGE(subset.ok(), subset.status().ToString());
    CHECK(subset->index.bytes == Index(c.kept));
    CHECK(subset->index.digest == promote::oci::Digest::Of(Index(c.kept)));
    CHECK(subset->index.digest != index.digest);
    CHECK(subset->index.media_type == index.media_type);
    CHECK(subset->platforms == c.platforms);
    CHECK(subset->index.children.size() == c.kept.size());
  }
}

TEST_CASE("choosing every platform is the source index itself, same bytes and digest") {
  auto index = Parse(Index({kAmd64, kArm64}));
  auto subset = SubsetIndex(index, {P("linux", "arm64"), P("linux", "amd64")});
  REQUIRE(subset.ok());
  CHECK(subset->index.bytes == index.bytes);
  CHECK(subset->index.digest == index.digest);
  CHECK(subset->platforms == std::vector<std::string>{"linux/amd64", "linux/arm64/v8"});
}

TEST_CASE("compact JSON: the first and last entries can be cut as well as the middle") {
  std::string e1 = R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + D('1') +
                   R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}})";
  std::string e2 = R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + D('2') +
                   R"(","size":2,"platform":{"os":"linux","architecture":"arm64"}})";
  std::string e3 = R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + D('3') +
                   R"(","size":3,"platform":{"os":"linux","architecture":"s390x"}})";
  auto compact = [](const std::vector<std::string>& es) {
    std::string s = R"({"schemaVersion":2,"manifests":[)";
    for (size_t i = 0; i < es.size(); ++i) s += (i ? "," : "") + es[i];
    return s + R"(],"mediaType":"application/vnd.oci.image.index.v1+json"})";
  };
  auto index = Parse(compact({e1, e2, e3}));
  struct Case {
    std::vector<Platform> wanted;
    std::vector<std::string> kept;
  } cases[] = {
      {{P("linux", "amd64")}, {e1}},
      {{P("linux", "s390x")}, {e3}},
      {{P("linux", "arm64")}, {e2}},
      {{P("linux", "amd64"), P("linux", "s390x")}, {e1, e3}},
  };
  for (const auto& c : cases) {
    auto subset = SubsetIndex(index, c.wanted);
    REQUIRE_MESSAGE(subset.ok(), subset.status().ToString());
    CHECK(subset->index.bytes == compact(c.kept));
  }
}

TEST_CASE("buildx attestation manifests follow the image they describe") {
  auto attestation = [](char digest, char of) {
    return R"({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": ")" + D(digest) +
           R"(", "size": 50, "platform": {"architecture": "unknown", "os": "unknown"}, "annotations": )"
           R"({"vnd.docker.reference.digest": ")" +
           D(of) + R"(", "vnd.docker.reference.type": "attestation-manifest"}})";
  };
  auto index = Parse(Index({kAmd64, kArm64, attestation('e', 'a'), attestation('f', 'b')}));
  auto subset = SubsetIndex(index, {P("linux", "arm64")});
  REQUIRE_MESSAGE(subset.ok(), subset.status().ToString());
  CHECK(subset->index.bytes == Index({kArm64, attestation('f', 'b')}));
  CHECK(subset->platforms == std::vector<std::string>{"linux/arm64/v8"});

  // unknown/unknown is not a platform one can ask for, nor one the index is said to have.
  auto unknown = SubsetIndex(index, {P("unknown", "unknown")});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message().find("it has linux/amd64, linux/arm64/v8") != std::string::npos);
  CHECK(unknown.status().message().find("it has linux/amd64, linux/arm64/v8,") == std::string::npos);
}

TEST_CASE("platforms the index lacks are an error naming them and the platforms it has") {
  auto index = Parse(Index({kAmd64, kArm64, kArmV7}));
  struct Case {
    std::vector<Platform> wanted;
    std::string message;
  } cases[] = {
      {{P("linux", "s390x")},
       "platform linux/s390x is not in index " + index.digest.str() +
           "; it has linux/amd64, linux/arm64/v8, linux/arm/v7"},
      {{P("linux", "amd64"), P("windows", "amd64"), P("linux", "arm", "v6")},
       "platforms windows/amd64, linux/arm/v6 are not in index"},
      {{P("linux", "arm64", "v9")}, "platform linux/arm64/v9 is not in"},
      {{}, "no platform given"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    auto subset = SubsetIndex(index, c.wanted);
    REQUIRE_FALSE(subset.ok());
    CHECK(subset.status().code() == promote::Code::kInvalidArgument);
    CHECK(subset.status().message().find(c.message) != std::string::npos);
  }
}

TEST_CASE("the manifests key is found however it is spelled, and refused when it is there twice") {
  std::string escaped = Index({kAmd64, kArm64});
  escaped.replace(escaped.find("\"manifests\""), 11, "\"manifest\\u0073\"");
  auto index = Parse(escaped);
  REQUIRE(index.children.size() == 2);
  auto subset = SubsetIndex(index, {P("linux", "amd64")});
  REQUIRE_MESSAGE(subset.ok(), subset.status().ToString());
  CHECK(subset->index.children.size() == 1);

  // Parsers disagree on which of two keys wins: such an index is not cut at all.
  std::string twice =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" + kAmd64 +
      R"(],"manifests":[)" + kArm64 + "]}";
  auto dup = ParseManifest(twice, "application/vnd.oci.image.index.v1+json");
  REQUIRE(dup.ok());
  auto refused = SubsetIndex(*dup, {P("linux", "amd64")});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == promote::Code::kRegistryError);
  CHECK(refused.status().message().find("more than one manifests key") != std::string::npos);
}

TEST_CASE("an image manifest is not an index to cut") {
  std::string bytes = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                      D('1') + R"(","size":10},"layers":[]})";
  auto m = ParseManifest(bytes, "");
  REQUIRE(m.ok());
  auto subset = SubsetIndex(*m, {P("linux", "amd64")});
  REQUIRE_FALSE(subset.ok());
  CHECK(subset.status().message().find("is not an index") != std::string::npos);
}
