// promote copy --platform: a subset of a multi-platform index as a new index, checked against the
// real registry; platforms an image lacks are usage errors that write nothing.
#include <doctest/doctest.h>

#include <set>

#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/test_registry.h"
#include "util/sha256.h"

using namespace promote::testing;

namespace {

const std::vector<std::string> kThree = {"linux/amd64", "linux/arm64", "linux/ppc64le"};

// The manifest a reference names at a registry, as its bytes (empty when it is not there).
std::string Fetch(const TestRegistry& reg, const std::string& repo, const std::string& id) {
  TestRegistryClient c(reg);
  auto m = c.get().GetManifest(repo, id, {promote::registry::RepositoryScope(repo, "pull")});
  if (!m.ok()) {
    REQUIRE(m.status().code() == promote::Code::kNotFound);
    return "";
  }
  return m->bytes;
}

std::vector<std::string> Platforms(const nlohmann::json& index) {
  std::vector<std::string> out;
  for (const auto& m : index["manifests"]) {
    out.push_back(m["platform"]["os"].get<std::string>() + "/" +
                  m["platform"]["architecture"].get<std::string>());
  }
  return out;
}

}  // namespace

TEST_CASE(
    "--platform twice copies a subset of a 3-platform index: a new index of exactly those, its own digest") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "shop/app", "sha-2b2e927", {kThree, 2, 2048, 31});
  REQUIRE(img.manifest_digests.size() == 3);
  const nlohmann::json source = nlohmann::json::parse(img.bytes);
  REQUIRE(Platforms(source) == kThree);

  // Asked in another order than the index's: the index's order is kept.
  auto run = RunPromote({"-o", "json", "copy", "--platform", "linux/ppc64le", "--platform", "linux/amd64",
                         dev.host() + "/shop/app:sha-2b2e927", prod.host() + "/shop/app"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  auto j = run.Json();
  const std::string digest = j["digest"];
  CHECK(digest != img.digest);
  CHECK(j["source_digest"] == img.digest);
  CHECK(j["subset_of"] == img.digest);
  CHECK(j["platforms"] == nlohmann::json::array({"linux/amd64", "linux/ppc64le"}));
  CHECK(j["media_type"] == "application/vnd.oci.image.index.v1+json");
  CHECK(j["target"] == prod.host() + "/shop/app@" + digest);
  CHECK(j["tags"]["written"] == nlohmann::json::array({"sha-2b2e927"}));
  CHECK(j["manifests"]["copied"] == 3);  // two images and the new index
  CHECK(j["attachments"]["not_carried"][0]["subject"] == img.digest);

  // The registry holds the new index under the tag: exactly the chosen platforms, its bytes
  // the source's with the arm64 entry cut out (same fields, same indentation), its digest theirs.
  const std::string bytes = Fetch(prod, "shop/app", "sha-2b2e927");
  REQUIRE_FALSE(bytes.empty());
  CHECK("sha256:" + promote::Sha256Hex(bytes) == digest);
  const nlohmann::json got = nlohmann::json::parse(bytes);
  CHECK(Platforms(got) == std::vector<std::string>{"linux/amd64", "linux/ppc64le"});
  auto expected = nlohmann::ordered_json::parse(img.bytes);  // the source's field order
  expected["manifests"].erase(1);
  CHECK(bytes == expected.dump(3));
  CHECK(Fetch(prod, "shop/app", img.digest).empty());  // the source index is not there
  // The chosen images are there byte for byte; the other one and its layers are not.
  CHECK(Fetch(prod, "shop/app", img.manifest_digests[0]) == Fetch(dev, "shop/app", img.manifest_digests[0]));
  CHECK(Fetch(prod, "shop/app", img.manifest_digests[2]) == Fetch(dev, "shop/app", img.manifest_digests[2]));
  CHECK(Fetch(prod, "shop/app", img.manifest_digests[1]).empty());
  CHECK(j["blobs"]["copied"] == img.blob_digests.size() / 3 * 2);

  // The same subset again is the same digest, and nothing is written.
  uint64_t puts = prod.RequestCount("PUT", "");
  auto again = RunPromote({"-o", "json", "copy", "--platform", "linux/amd64,linux/ppc64le",
                           dev.host() + "/shop/app:sha-2b2e927", prod.host() + "/shop/app"});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(again.Json()["digest"] == digest);
  CHECK(again.Json()["tags"]["unchanged"] == nlohmann::json::array({"sha-2b2e927"}));
  CHECK(prod.RequestCount("PUT", "") == puts);

  // Every platform chosen is the source index itself: same digest, no subset.
  auto all = RunPromote({"-o", "json", "copy", "--platform", "linux/amd64,linux/arm64,linux/ppc64le",
                         dev.host() + "/shop/app:sha-2b2e927", prod.host() + "/shop/all"});
  INFO(all.err);
  REQUIRE(all.exit_code == 0);
  CHECK(all.Json()["digest"] == img.digest);
  CHECK(all.Json()["subset_of"].is_null());
  CHECK(Fetch(prod, "shop/all", "sha-2b2e927") == img.bytes);
}

TEST_CASE("a platform the image lacks is exit 2 naming it and the ones there; nothing is written") {
  TestRegistry dev, prod;
  SampleImage index = PushSampleImage(dev, "app", "multi", {kThree, 1, 512, 32});
  SampleImage single = PushSampleImage(dev, "app", "single", {{"linux/arm64"}, 1, 512, 33});
  struct Case {
    std::vector<std::string> args;
    std::string message_part;
  } cases[] = {
      {{"--platform", "linux/s390x", dev.host() + "/app:multi"},
       "platform linux/s390x is not in index " + index.digest +
           "; it has linux/amd64, linux/arm64, linux/ppc64le"},
      {{"--platform", "linux/amd64", "--platform", "windows/amd64", "--platform", "linux/riscv64",
        dev.host() + "/app:multi"},
       "platforms windows/amd64, linux/riscv64 are not in index"},
      {{"--platform", "linux/arm64/v9", dev.host() + "/app:multi"}, "platform linux/arm64/v9 is not in"},
      {{"--platform", "linux/amd64", dev.host() + "/app:single"},
       "platform linux/amd64 is not in image " + single.digest + "; it is a single image for linux/arm64"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message_part);
    std::vector<std::string> args = {"-o", "json", "copy"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.push_back(prod.host() + "/app");
    auto run = RunPromote(args);
    INFO(run.err);
    CHECK(run.exit_code == 2);
    auto j = run.Json();
    CHECK(j["error"]["code"] == "invalid_argument");
    CHECK(j["error"]["message"].get<std::string>().find(c.message_part) != std::string::npos);
  }
  CHECK(prod.RequestCount("PUT", "") + prod.RequestCount("POST", "") + prod.RequestCount("PATCH", "") == 0);

  // A single image of the platform asked for is copied as it is: same digest, no subset.
  auto same = RunPromote(
      {"-o", "json", "copy", "--platform", "linux/arm64", dev.host() + "/app:single", prod.host() + "/app"});
  INFO(same.err);
  REQUIRE(same.exit_code == 0);
  CHECK(same.Json()["digest"] == single.digest);
  CHECK(same.Json()["subset_of"].is_null());
  CHECK(Fetch(prod, "app", "single") == single.bytes);
}
