#include "oci/manifest.h"

#include <doctest/doctest.h>

#include "oci/media_types.h"

using promote::oci::ParseManifest;
namespace mt = promote::oci::media_type;

namespace {
const std::string kD1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const std::string kD2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
}  // namespace

TEST_CASE("an image manifest keeps its exact bytes and lists config then layers") {
  // Odd spacing on purpose: bytes must survive untouched.
  std::string bytes = R"({"schemaVersion":2,  "mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + kD1 + R"(","size":10},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" + kD2 + R"(","size":20}]})";
  auto m = ParseManifest(bytes, "application/vnd.oci.image.manifest.v1+json");
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  CHECK(m->bytes == bytes);
  CHECK(m->digest == promote::oci::Digest::Of(bytes));
  CHECK_FALSE(m->is_index());
  auto blobs = m->Blobs();
  REQUIRE(blobs.size() == 2);
  CHECK(blobs[0].digest.str() == kD1);
  CHECK(blobs[1].size == 20);
}

TEST_CASE("an index lists its children with platforms; type comes from the body when the header is generic") {
  std::string bytes = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
    "manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":")" + kD1 +
                      R"(","size":5,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]})";
  auto m = ParseManifest(bytes, "application/json; charset=utf-8");
  REQUIRE(m.ok());
  CHECK(m->media_type == mt::kDockerManifestList);
  CHECK(m->is_index());
  REQUIRE(m->children.size() == 1);
  CHECK(m->children[0].platform->str() == "linux/arm64/v8");
}

TEST_CASE("bad manifests are refused") {
  struct Case {
    std::string bytes, content_type, message_part;
  };
  const Case cases[] = {
      {"not json", "", "not valid JSON"},
      {"[1,2]", "", "not a JSON object"},
      {R"({"schemaVersion":1,"fsLayers":[]})", "", "schema 1"},
      {R"({"schemaVersion":2})", "", "unknown manifest type"},
      {R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]})", "", "no config"},
      {R"({"config":{"digest":"sha256:bad","size":1},"layers":[]})", "", "config.digest"},
      {R"({"config":{"digest":")" + kD1 + R"(","size":-1},"layers":[]})", "", "size"},
      {R"({"config":{"digest":")" + kD1 + R"(","size":1},"layers":{}})", "", "not an array"},
      {R"({"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})", std::string(mt::kOciManifest),
       "contradicts"},
      {std::string(4 * 1024 * 1024 + 1, ' '), "", "larger than 4 MiB"},
      // Found with scripts/fuzz's harness: a mistyped platform field threw out of the parser.
      {R"({"manifests":[{"digest":")" + kD1 + R"(","size":1,"platform":{"os":1}}]})", "", "platform.os is not a string"},
      // Deep nesting parses, but copying or dumping the value would overflow the stack.
      {R"({"config":{"digest":")" + kD1 + R"(","size":1},"x":)" + std::string(100000, '[') +
           std::string(100000, ']') + "}",
       "", "nested deeper than 1000 levels"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.bytes.substr(0, 80));
    auto m = ParseManifest(c.bytes, c.content_type);
    REQUIRE_FALSE(m.ok());
    CHECK(m.status().message().find(c.message_part) != std::string::npos);
  }
}
