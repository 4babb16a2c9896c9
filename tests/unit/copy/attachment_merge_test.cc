// The union of two versions of one attachment tag: nothing the target holds is lost, what only the
// source has is appended, and only shapes that have no union are conflicts.
#include "copy/attachment_merge.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "oci/cosign_attachment_config.h"

using namespace promote;
using ojson = nlohmann::ordered_json;

namespace {

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kIndexType = "application/vnd.oci.image.index.v1+json";

std::string Hex(char c) { return std::string(64, c); }

ojson Layer(char digest, const std::string& signature) {
  return {{"mediaType", "application/vnd.dev.cosign.simplesigning.v1+json"},
          {"size", 240},
          {"digest", "sha256:" + Hex(digest)},
          {"annotations", {{"dev.cosignproject.cosign/signature", signature}}}};
}

oci::Manifest Sig(const std::vector<ojson>& layers, const std::string& extra_field = "") {
  ojson j = {{"schemaVersion", 2},
             {"mediaType", kManifestType},
             {"config",
              {{"mediaType", "application/vnd.oci.image.config.v1+json"},
               {"size", 10},
               {"digest", "sha256:" + Hex('c')}}},
             {"layers", layers}};
  if (!extra_field.empty()) j["annotations"] = {{extra_field, "kept"}};
  auto m = oci::ParseManifest(j.dump(), kManifestType);
  REQUIRE(m.ok());
  return *m;
}

oci::Manifest Index(const std::vector<char>& children) {
  ojson list = ojson::array();
  for (char c : children)
    list.push_back({{"mediaType", kManifestType}, {"size", 300}, {"digest", "sha256:" + Hex(c)}});
  ojson j = {{"schemaVersion", 2}, {"mediaType", kIndexType}, {"manifests", list}};
  auto m = oci::ParseManifest(j.dump(), kIndexType);
  REQUIRE(m.ok());
  return *m;
}

}  // namespace

TEST_CASE("a .sig gains the source's signatures after its own, and keeps everything else") {
  oci::Manifest target = Sig({Layer('1', "prod-sig")}, "org.example.kept");
  oci::Manifest source = Sig({Layer('1', "prod-sig"), Layer('2', "late-sig")});
  auto merged = copy::MergeAttachment(target, source);
  REQUIRE(merged.ok());
  ojson j = ojson::parse(merged->manifest.bytes);
  REQUIRE(j["layers"].size() == 2);
  CHECK(j["layers"][0] == Layer('1', "prod-sig"));
  CHECK(j["layers"][1] == Layer('2', "late-sig"));
  CHECK(j["annotations"]["org.example.kept"] == "kept");
  CHECK(merged->added.size() == 1);
  CHECK(merged->added.count(*oci::Digest::Parse("sha256:" + Hex('2'))) == 1);
  // The config is cosign's, listing both layers, and the manifest names it.
  CHECK(merged->config == oci::CosignAttachmentConfig({"sha256:" + Hex('1'), "sha256:" + Hex('2')}));
  CHECK(j["config"]["digest"] == oci::Digest::Of(merged->config).str());
  CHECK(j["config"]["size"] == merged->config.size());
  CHECK(merged->manifest.digest == oci::Digest::Of(merged->manifest.bytes));
}

TEST_CASE("one payload signed by two keys is two layers: both are kept") {
  auto merged = copy::MergeAttachment(Sig({Layer('1', "key-a")}), Sig({Layer('1', "key-b")}));
  REQUIRE(merged.ok());
  ojson j = ojson::parse(merged->manifest.bytes);
  REQUIRE(j["layers"].size() == 2);
  CHECK(j["layers"][1]["annotations"]["dev.cosignproject.cosign/signature"] == "key-b");
}

TEST_CASE("an index gains the manifests it lacks, by digest, with no config") {
  auto merged = copy::MergeAttachment(Index({'a', 'b'}), Index({'b', 'c'}));
  REQUIRE(merged.ok());
  ojson j = ojson::parse(merged->manifest.bytes);
  REQUIRE(j["manifests"].size() == 3);
  CHECK(j["manifests"][2]["digest"] == "sha256:" + Hex('c'));
  CHECK(merged->config.empty());
  CHECK(merged->added.size() == 1);
}

TEST_CASE("shapes with no union are conflicts that say why") {
  auto mixed = copy::MergeAttachment(Index({'a'}), Sig({Layer('1', "s")}));
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.status().code() == Code::kConflict);
  CHECK(mixed.status().message().find("cannot be merged") != std::string::npos);

  std::vector<ojson> many, other;
  for (int i = 0; i < 600; ++i) many.push_back(Layer('1', "a" + std::to_string(i)));
  for (int i = 0; i < 600; ++i) other.push_back(Layer('1', "b" + std::to_string(i)));
  auto full = copy::MergeAttachment(Sig(many), Sig(other));
  REQUIRE_FALSE(full.ok());
  CHECK(full.status().code() == Code::kConflict);
  CHECK(full.status().message().find("1200 layers") != std::string::npos);
}

TEST_CASE("a source descriptor without a digest is bad input, not a merge") {
  oci::Manifest source = Sig({Layer('1', "s")});
  ojson j = ojson::parse(source.bytes);
  j["layers"][0].erase("digest");
  source.bytes = j.dump();
  auto merged = copy::MergeAttachment(Sig({Layer('2', "t")}), source);
  REQUIRE_FALSE(merged.ok());
  CHECK(merged.status().code() == Code::kInvalidArgument);
}

TEST_CASE("a target that already holds every source layer, in any key order, gains nothing") {
  ojson reordered = ojson::object();
  ojson layer = Layer('1', "s");
  for (auto it = layer.rbegin(); it != layer.rend(); ++it) reordered[it.key()] = it.value();
  oci::Manifest target = Sig({reordered, Layer('2', "t")});
  auto merged = copy::MergeAttachment(target, Sig({Layer('1', "s")}));
  REQUIRE(merged.ok());
  CHECK(merged->added.empty());
  CHECK(merged->config.empty());
  CHECK(merged->manifest.digest == target.digest);
}
