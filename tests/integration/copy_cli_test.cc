// promote copy / resolve end to end: exact digests, multi-arch, mounts, idempotence, tags.
#include <doctest/doctest.h>

#include "util/sha256.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/test_registry.h"
#include "util/subprocess.h"

using namespace promote::testing;

namespace {

// The manifest bytes skopeo (an independent client) fetches for a reference.
std::string SkopeoRaw(const TestRegistry& reg, const std::string& ref) {
  promote::ProcessOptions p;
  p.argv = {"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref};
  auto r = promote::RunProcess(p);
  REQUIRE(r.ok());
  INFO("skopeo stderr: " << r->stderr_data << "\nregistry log: " << reg.log().substr(0, 2000));
  REQUIRE(r->exit_code == 0);
  return r->stdout_data;
}

uint64_t BlobUploads(const TestRegistry& reg) {
  return reg.RequestCount("PUT", "/blobs/uploads/") + reg.RequestCount("PATCH", "/blobs/uploads/");
}

}  // namespace

TEST_CASE("a multi-arch image is copied across registries with the same digest and bytes") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "shop/payment-svc", "sha-2b2e927");
  REQUIRE(img.manifest_digests.size() == 2);

  auto run = RunPromote({"--output", "json", "copy", dev.host() + "/shop/payment-svc:sha-2b2e927",
                         prod.host() + "/shop/payment-svc"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto j = run.Json();
  CHECK(j["schema"] == 1);
  CHECK(j["ok"] == true);
  CHECK(j["digest"] == img.digest);
  CHECK(j["platforms"] == nlohmann::json::array({"linux/amd64", "linux/arm64"}));
  CHECK(j["blobs"]["copied"] == img.blob_digests.size());
  CHECK(j["blobs"]["mounted"] == 0);
  CHECK(j["bytes"]["copied"] == img.blob_bytes);
  CHECK(j["manifests"]["copied"] == 3);
  CHECK(j["tags"]["written"] == nlohmann::json::array({"sha-2b2e927"}));

  // Byte-identical index and children, as another client sees them.
  std::string index = SkopeoRaw(prod, prod.host() + "/shop/payment-svc:sha-2b2e927");
  CHECK(index == img.bytes);
  CHECK("sha256:" + promote::Sha256Hex(index) == img.digest);
  for (const auto& child : img.manifest_digests) {
    std::string bytes = SkopeoRaw(prod, prod.host() + "/shop/payment-svc@" + child);
    CHECK("sha256:" + promote::Sha256Hex(bytes) == child);
  }
}

TEST_CASE("a single-platform Docker schema2 image keeps its digest and reports its platform") {
  TestRegistry dev, prod;
  SampleSpec spec;
  spec.platforms = {"linux/arm64"};
  spec.docker_media_types = true;
  SampleImage img = PushSampleImage(dev, "app", "v1", spec);
  auto run = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app:v1"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto j = run.Json();
  CHECK(j["digest"] == img.digest);
  CHECK(j["media_type"] == "application/vnd.docker.distribution.manifest.v2+json");
  CHECK(j["platforms"] == nlohmann::json::array({"linux/arm64"}));
  CHECK(SkopeoRaw(prod, prod.host() + "/app:v1") == img.bytes);
}

TEST_CASE("resolve prints digest, media type and platforms") {
  TestRegistry dev;
  SampleImage img = PushSampleImage(dev, "team/app", "sha-abc1234");
  auto run = RunPromote({"-o", "json", "resolve", dev.host() + "/team/app:sha-abc1234"});
  REQUIRE(run.exit_code == 0);
  auto j = run.Json();
  CHECK(j["digest"] == img.digest);
  CHECK(j["media_type"] == "application/vnd.oci.image.index.v1+json");
  CHECK(j["platforms"] == nlohmann::json::array({"linux/amd64", "linux/arm64"}));
  CHECK(j["manifests"].size() == 2);

  auto text = RunPromote({"resolve", dev.host() + "/team/app@" + img.digest});
  CHECK(text.exit_code == 0);
  CHECK(text.out.rfind(img.digest, 0) == 0);
}

TEST_CASE("inside one registry, blobs are mounted: no blob bytes move") {
  TestRegistry shared;
  SampleImage img = PushSampleImage(shared, "dev/payment-svc", "sha-2b2e927");
  uint64_t uploads_before = BlobUploads(shared);
  uint64_t blob_gets_before = shared.RequestCount("GET", "/blobs/sha256:");

  auto run = RunPromote({"-o", "json", "copy", shared.host() + "/dev/payment-svc:sha-2b2e927",
                         shared.host() + "/prod/payment-svc"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto j = run.Json();
  CHECK(j["digest"] == img.digest);
  CHECK(j["blobs"]["mounted"] == img.blob_digests.size());
  CHECK(j["blobs"]["copied"] == 0);
  CHECK(j["bytes"]["copied"] == 0);
  CHECK(j["bytes"]["mounted"] == img.blob_bytes);
  CHECK(BlobUploads(shared) == uploads_before);
  CHECK(shared.RequestCount("GET", "/blobs/sha256:") == blob_gets_before);
  CHECK(shared.RequestCount("POST", "mount=sha256") == img.blob_digests.size());
  CHECK(SkopeoRaw(shared, shared.host() + "/prod/payment-svc:sha-2b2e927") == img.bytes);
}

TEST_CASE("re-running a copy writes nothing and skips everything") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1");
  REQUIRE(RunPromote({"copy", dev.host() + "/app:v1", prod.host() + "/app"}).exit_code == 0);
  uint64_t uploads = BlobUploads(prod);
  uint64_t manifest_puts = prod.RequestCount("PUT", "/manifests/");

  auto again = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app"});
  REQUIRE(again.exit_code == 0);
  auto j = again.Json();
  CHECK(j["blobs"]["skipped"] == img.blob_digests.size());
  CHECK(j["blobs"]["copied"] == 0);
  CHECK(j["manifests"]["skipped"] == 3);
  CHECK(j["tags"]["unchanged"] == nlohmann::json::array({"v1"}));
  CHECK(BlobUploads(prod) == uploads);
  CHECK(prod.RequestCount("PUT", "/manifests/") == manifest_puts);
  CHECK(dev.RequestCount("GET", "/blobs/sha256:") <= img.blob_digests.size());
}

TEST_CASE("a tag that names another digest is a conflict unless forced") {
  TestRegistry dev, prod;
  SampleImage a = PushSampleImage(dev, "app", "a", {{"linux/amd64"}, 1, 1000, 1});
  SampleImage b = PushSampleImage(dev, "app", "b", {{"linux/amd64"}, 1, 1000, 2});
  REQUIRE(RunPromote({"copy", dev.host() + "/app:a", prod.host() + "/app:release"}).exit_code == 0);

  auto conflict = RunPromote({"-o", "json", "copy", dev.host() + "/app:b", prod.host() + "/app:release"});
  CHECK(conflict.exit_code == 3);
  auto j = conflict.Json();
  CHECK(j["ok"] == false);
  CHECK(j["error"]["code"] == "conflict");
  CHECK(j["error"]["message"].get<std::string>().find(a.digest) != std::string::npos);
  CHECK(SkopeoRaw(prod, prod.host() + "/app:release") == a.bytes);  // unchanged
  // Refused before anything was written: b's blobs never reached prod.
  CHECK(prod.RequestCount("HEAD", "/blobs/" + b.blob_digests[0]) == 0);

  auto forced = RunPromote({"-o", "json", "copy", "--force", dev.host() + "/app:b", prod.host() + "/app:release"});
  REQUIRE(forced.exit_code == 0);
  CHECK(forced.Json()["tags"]["moved"] == nlohmann::json::array({"release"}));
  CHECK(SkopeoRaw(prod, prod.host() + "/app:release") == b.bytes);
}

TEST_CASE("extra tags, digest-only sources and several images in one call") {
  TestRegistry dev, prod;
  SampleImage one = PushSampleImage(dev, "one", "v1", {{"linux/amd64"}, 2, 2048, 11});
  SampleImage two = PushSampleImage(dev, "two", "v1", {{"linux/amd64", "linux/arm64"}, 1, 2048, 12});
  auto run = RunPromote({"-o", "json", "copy", "--tag", "latest", "--tag", "stage", dev.host() + "/one:v1",
                         prod.host() + "/one", dev.host() + "/two@" + two.digest, prod.host() + "/two"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto j = run.Json();
  REQUIRE(j["results"].size() == 2);
  CHECK(j["results"][0]["digest"] == one.digest);
  CHECK(j["results"][0]["tags"]["written"] == nlohmann::json::array({"latest", "stage"}));
  CHECK(j["results"][1]["digest"] == two.digest);
  CHECK(SkopeoRaw(prod, prod.host() + "/one:stage") == one.bytes);
  CHECK(SkopeoRaw(prod, prod.host() + "/two@" + two.digest) == two.bytes);
}

TEST_CASE("chunked uploads produce the same image") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 2, 10'000, 3});
  auto run = RunPromote({"-o", "json", "copy", "--chunk-size", "4096", dev.host() + "/app:v1", prod.host() + "/app"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.Json()["digest"] == img.digest);
  // 10,000-byte layers in 4 KiB chunks: three PATCHes each.
  CHECK(prod.RequestCount("PATCH", "/blobs/uploads/") >= 6);
  CHECK(SkopeoRaw(prod, prod.host() + "/app:v1") == img.bytes);
}

TEST_CASE("global flags are accepted after the subcommand, as crane and skopeo users write them") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "shop/app", "sha-1234567");
  auto run = RunPromote({"copy", "-o", "json", "--timeout", "60", dev.host() + "/shop/app:sha-1234567",
                         prod.host() + "/shop/app", "--log-level", "warn"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.Json()["digest"] == img.digest);
  auto resolve = RunPromote({"resolve", dev.host() + "/shop/app:sha-1234567", "--output=json"});
  INFO(resolve.out << resolve.err);
  REQUIRE(resolve.exit_code == 0);
  CHECK(resolve.Json()["digest"] == img.digest);
  // --agent after the subcommand is taken too: a bad address is refused as an address, not a flag.
  auto agent = RunPromote({"resolve", "-o", "json", dev.host() + "/shop/app:sha-1234567", "--agent", "bogus://x"});
  CHECK(agent.exit_code == 2);
  CHECK(agent.Json()["error"]["message"].get<std::string>().find("bogus://x") != std::string::npos);
}

TEST_CASE("with -o json a flag error prints the one JSON result too, exit 2") {
  auto unknown = RunPromote({"copy", "-o", "json", "--no-such-flag", "a.example/x:1", "b.example/x"});
  INFO(unknown.out << unknown.err);
  CHECK(unknown.exit_code == 2);
  auto j = unknown.Json();
  CHECK(j["schema"] == 1);
  CHECK(j["command"] == "copy");
  CHECK(j["ok"] == false);
  CHECK(j["error"]["code"] == "invalid_argument");
  CHECK(j["error"]["exit_code"] == 2);
  CHECK(j["error"]["message"].get<std::string>().find("--no-such-flag") != std::string::npos);
  // A missing required flag, -o json before the subcommand.
  auto missing = RunPromote({"-o", "json", "rollback"});
  INFO(missing.out << missing.err);
  CHECK(missing.exit_code == 2);
  CHECK(missing.Json()["command"] == "rollback");
  CHECK(missing.Json()["ok"] == false);
  // --help is no failure and prints no JSON.
  auto help = RunPromote({"-o", "json", "copy", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("\"schema\"") == std::string::npos);
}
