// promote copy when things go wrong: corrupted blobs, missing images, bad references, a registry
// that disappears mid-copy. In every case: a clear error and no target tag on a partial image.
#include <doctest/doctest.h>

#include <fstream>
#include <thread>

#include "copy/image_copier.h"
#include "registry/credentials.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

}  // namespace

TEST_CASE("a source blob corrupted on the registry's disk fails the copy and writes no tag") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64", "linux/arm64"}, 2, 50'000, 9});
  // Flip one byte of a layer in the source registry's storage: it now serves wrong content.
  std::string path = dev.BlobDataPath(img.blob_digests[0]);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f);
    f.seekg(100);
    char c = 0;
    f.read(&c, 1);
    f.seekp(100);
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  auto run = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app"});
  CHECK(run.exit_code == 4);
  auto j = run.Json();
  CHECK(j["error"]["code"] == "data_loss");
  CHECK(j["error"]["message"].get<std::string>().find(img.blob_digests[0]) != std::string::npos);
  CHECK_FALSE(HasTag(prod, "app", "v1"));
  CHECK(prod.RequestCount("PUT", "/manifests/") == 0);
  // The held-back last byte means the corrupt blob never completed at the target.
  TestRegistryClient c(prod);
  auto digest = promote::oci::Digest::Parse(img.blob_digests[0]);
  auto exists = c.get().BlobExists("app", *digest, {promote::registry::RepositoryScope("app", "pull")});
  REQUIRE(exists.ok());
  CHECK_FALSE(*exists);
}

TEST_CASE("missing images and repositories are not-found errors") {
  TestRegistry dev, prod;
  PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 100, 1});
  struct Case {
    std::string source;
  } cases[] = {{dev.host() + "/app:nope"},
               {dev.host() + "/nothing/here:v1"},
               {dev.host() + "/app@sha256:0000000000000000000000000000000000000000000000000000000000000000"}};
  for (const auto& c : cases) {
    CAPTURE(c.source);
    auto run = RunPromote({"-o", "json", "copy", c.source, prod.host() + "/app"});
    CHECK(run.exit_code == 4);
    CHECK(run.Json()["error"]["code"] == "not_found");
  }
  CHECK(prod.RequestCount("PUT", "/manifests/") == 0);
}

TEST_CASE("malformed references and flags are usage errors (exit 2) that touch no registry") {
  TestRegistry prod;
  const std::string p = prod.host();
  struct Case {
    std::vector<std::string> args;
    std::string message_part;
  } cases[] = {
      {{"copy", "Bad/Repo:v1", p + "/app"}, "lowercase"},
      {{"copy", p + "/app:v1", p + "/App"}, "lowercase"},
      {{"copy", p + "/app:bad tag", p + "/x"}, "whitespace"},
      {{"copy", p + "/app@sha256:1234", p + "/x"}, "64 hex"},
      {{"copy", p + "/app:v1", p + "/x@sha256:" + std::string(64, 'a')}, "must not name a digest"},
      {{"copy", "https://" + p + "/app:v1", p + "/x"}, "URL scheme"},
      {{"copy", p + "/app:v1"}, "pairs"},
      {{"copy", "--tag", "-bad", p + "/app:v1", p + "/x"}, "must start"},
      {{"copy", "--platform", "linux", p + "/app:v1", p + "/x"}, "platform 'linux': needs two or three"},
      {{"copy", "--platform", "Linux/AMD64", p + "/app:v1", p + "/x"}, "platform 'Linux/AMD64'"},
      {{"copy", "--platform", "linux/amd64,", p + "/app:v1", p + "/x"}, "platform '': empty"},
      {{"copy", "--platform", "linux/arm/v7/x", p + "/app:v1", p + "/x"}, "os/arch[/variant]"},
      {{"resolve", ""}, "empty"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"-o", "json"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CAPTURE(c.args.back());
    auto run = RunPromote(args);
    CHECK(run.exit_code == 2);
    auto j = run.Json();
    CHECK(j["error"]["code"] == "invalid_argument");
    CHECK(j["error"]["message"].get<std::string>().find(c.message_part) != std::string::npos);
  }
  auto unknown_flag = RunPromote({"copy", "--no-such-flag", p + "/a:v1", p + "/b"});
  CHECK(unknown_flag.exit_code == 2);
  CHECK(prod.RequestCount("PUT", "") == 0);
  CHECK(prod.RequestCount("POST", "") == 0);
}

TEST_CASE("a target registry that goes away mid-copy: clear error, and no tag once it is back") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64", "linux/arm64"}, 6, 200'000, 10});

  auto keychain = std::make_shared<promote::registry::StaticKeychain>();
  promote::registry::RegistryOptions ropts;
  ropts.retry.max_attempts = 2;
  ropts.retry.initial_backoff = std::chrono::milliseconds(10);
  promote::registry::RegistryPool pool(keychain, {}, ropts);
  promote::copy::CopyProgress progress;
  promote::copy::CopyOptions options;
  options.jobs = 2;
  options.blob.max_attempts = 1;
  options.progress = &progress;
  auto src = promote::oci::ParseReference(dev.host() + "/app:v1");
  auto dst = promote::oci::ParseReference(prod.host() + "/app");
  REQUIRE(src.ok());
  REQUIRE(dst.ok());

  // Stop the target once the first blob has landed: the copy is then surely in flight.
  std::thread killer([&] {
    while (progress.blobs_done.load() < 1) std::this_thread::yield();
    prod.Stop();
  });
  promote::copy::ImageCopier copier(&pool, options);
  auto report = copier.Copy({*src, *dst});
  killer.join();
  REQUIRE_FALSE(report.status.ok());
  CHECK(report.status.code() == promote::Code::kUnavailable);
  CHECK(report.status.message().find(prod.host()) != std::string::npos);

  prod.Restart();
  CHECK_FALSE(HasTag(prod, "app", "v1"));
  // And the same copy, re-run, completes with the right digest.
  auto rerun = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app"});
  REQUIRE(rerun.exit_code == 0);
  CHECK(rerun.Json()["digest"] == img.digest);
}

TEST_CASE("a registry that is not there is an unavailable error naming it") {
  TestRegistry dev;
  PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 100, 1});
  std::string gone;
  {
    TestRegistry temp;
    gone = temp.host();
  }
  auto run = RunPromote({"-o", "json", "--log-level", "off", "copy", "--retries", "1", dev.host() + "/app:v1",
                         gone + "/app"});
  CHECK(run.exit_code == 4);
  auto j = run.Json();
  CHECK(j["error"]["code"] == "unavailable");
  CHECK(j["error"]["message"].get<std::string>().find(gone) != std::string::npos);
}
