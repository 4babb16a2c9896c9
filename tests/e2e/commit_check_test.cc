// The commit a promotion is for is checked, not trusted: the image's own statement of its commit
// (org.opencontainers.image.revision), the commit recorded where it came from, and a stage order
// that names where a commit is when it is not where it should be. Real registries, the real CLI.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "sigstore/cosign_key.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

const std::string kShaA = "2b2e927abcdef0123456789abcdef01234567890";
// Another commit whose first 7 (and 12) characters are the same as kShaA's.
const std::string kShaB = "2b2e927abcdeffffffffffffffffffffffffffff";
const std::string kRevision = "org.opencontainers.image.revision";

struct Pipeline {
  TempDir dir;
  TestRegistry dev, stage, prod;
  std::string config_path;
  std::map<std::string, std::string> env;

  // `tags` is promote.yaml's tags: block (may be ""), `stage_extra` lines under stage.
  explicit Pipeline(const std::string& tags = "", const std::string& stage_extra = "") {
    const std::string password = "key-" + RandomPassword();
    auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
    REQUIRE(pair.ok());
    env = {{"PROMOTE_SIGNING_KEY", dir.Write("cosign.key", pair->private_key_pem, 0600)},
           {"PROMOTE_KEY_PASSWORD", password}};
    config_path = dir.Write(
        "promote.yaml", "version: 1\nimage: app\n" + tags +
                            "signing: {key: env:PROMOTE_SIGNING_KEY, password: env:PROMOTE_KEY_PASSWORD}\n"
                            "environments:\n  - {name: dev, registry: \"" + dev.host() + "\", repository: shop/app}\n"
                            "  - name: stage\n    registry: \"" + stage.host() + "\"\n    repository: shop/app\n" +
                            stage_extra + "  - {name: prod, registry: \"" + prod.host() + "\", repository: shop/app}\n");
  }

  CliRun Run(const std::string& branch, const std::string& sha, const std::string& to) const {
    return RunPromote({"-o", "json", "run", "-c", config_path, "--branch", branch, "--sha", sha, "--to", to}, env);
  }

  uint64_t Writes(const TestRegistry& reg) const {
    return reg.RequestCount("PUT", "") + reg.RequestCount("POST", "") + reg.RequestCount("PATCH", "");
  }
};

SampleSpec Labelled(const std::string& revision, uint64_t seed) {
  SampleSpec spec{{"linux/amd64", "linux/arm64"}, 1, 1200, seed};
  if (!revision.empty()) spec.labels[kRevision] = revision;
  return spec;
}

std::string Message(const CliRun& run) { return run.Json()["error"]["message"].get<std::string>(); }

}  // namespace

TEST_CASE("an image built from another commit than --sha is refused; a short --sha becomes the stated commit") {
  Pipeline p;
  // Tagged for kShaA's prefix, but built from kShaB: the two commits share sha-2b2e927.
  PushSampleImage(p.dev, "shop/app", "sha-2b2e927", Labelled(kShaB, 41));
  const uint64_t pushed = p.Writes(p.dev);
  auto wrong = p.Run("develop", kShaA, "dev");
  INFO(wrong.out << wrong.err);
  CHECK(wrong.exit_code == 3);
  CHECK(wrong.Json()["error"]["code"] == "gate_refused");
  CHECK(Message(wrong).find("built from commit " + kShaB + " (" + kRevision + "), not " + kShaA) != std::string::npos);
  CHECK(p.Writes(p.dev) == pushed);  // no record, no tag

  // The commit the image states, given short: accepted, and recorded in full.
  auto right = p.Run("develop", "2b2e927", "dev");
  INFO(right.out << right.err);
  REQUIRE(right.exit_code == 0);
  const nlohmann::json result = right.Json();
  CHECK(result["sha"] == kShaB);
  bool gate = false;
  for (const auto& g : result["gates"]) gate |= g["name"] == "revision" && g["verdict"] == "passed";
  CHECK(gate);
}

TEST_CASE("require-revision: an image that states no commit is refused") {
  Pipeline p("", "    require-revision: true\n    stage-order: false\n");
  PushSampleImage(p.dev, "shop/app", "sha-2b2e927", Labelled("", 42));
  auto run = p.Run("release/1.0", kShaA, "stage");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 3);
  CHECK(Message(run).find("states no commit") != std::string::npos);
  CHECK(Message(run).find("require-revision: true") != std::string::npos);
  CHECK(p.Writes(p.stage) == 0);
}

TEST_CASE("a SHA tag shared by two commits: stage refuses the commit dev did not record") {
  Pipeline p;
  PushSampleImage(p.dev, "shop/app", "sha-2b2e927", Labelled("", 43));  // states no commit
  auto dev = p.Run("develop", kShaA, "dev");
  INFO(dev.out << dev.err);
  REQUIRE(dev.exit_code == 0);
  auto collision = p.Run("release/1.0", kShaB, "stage");
  INFO(collision.out << collision.err);
  CHECK(collision.exit_code == 3);
  CHECK(Message(collision).find("recorded in 'dev' for commit " + kShaA + ", not " + kShaB) != std::string::npos);
  CHECK(p.Writes(p.stage) == 0);
  auto right = p.Run("release/1.0", kShaA, "stage");
  INFO(right.out << right.err);
  CHECK(right.exit_code == 0);
}

TEST_CASE("stage order speaks plainly: a commit missing from the previous environment names where it is") {
  Pipeline p;
  PushSampleImage(p.dev, "shop/app", "sha-2b2e927", Labelled("", 44));
  REQUIRE(p.Run("develop", kShaA, "dev").exit_code == 0);
  auto skip = p.Run("main", kShaA, "prod");
  INFO(skip.out << skip.err);
  CHECK(skip.exit_code == 3);
  CHECK(skip.Json()["error"]["code"] == "gate_refused");
  CHECK(Message(skip).find("2b2e927 is in dev but not in 'stage'") != std::string::npos);
  CHECK(Message(skip).find("promote it to 'stage' first") != std::string::npos);

  // A commit that is nowhere was never built: not found (exit 4), as before.
  auto nowhere = p.Run("main", "1111111", "prod");
  CHECK(nowhere.exit_code == 4);
  CHECK(nowhere.Json()["error"]["code"] == "not_found");
  CHECK(p.Writes(p.prod) == 0);
}

TEST_CASE("the {sha12} tag template round trip, and a SHA too short for it") {
  Pipeline p("tags: {immutable: \"sha-{sha12}\"}\n");
  PushSampleImage(p.dev, "shop/app", "sha-2b2e927abcde", Labelled(kShaA, 45));
  REQUIRE(p.Run("develop", kShaA, "dev").exit_code == 0);
  auto stage = p.Run("release/1.0", kShaA, "stage");
  INFO(stage.out << stage.err);
  REQUIRE(stage.exit_code == 0);
  TestRegistryClient client(p.stage);
  auto head = client.get().HeadManifest("shop/app", "sha-2b2e927abcde",
                                        {promote::registry::RepositoryScope("shop/app", "pull")});
  REQUIRE(head.ok());
  CHECK(head->has_value());

  auto short_sha = p.Run("release/1.0", "2b2e927", "stage");
  CHECK(short_sha.exit_code == 2);
  CHECK(Message(short_sha).find("needs at least 12 characters") != std::string::npos);
}
