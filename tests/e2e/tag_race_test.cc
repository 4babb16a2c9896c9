// Races for one immutable tag (issue 20, hole 3): two writers of different digests start at the
// same moment, as real CLI processes or as two callers of one agent. Exactly one may win: it
// exits 0 and the tag names its digest; the other exits 3 with error code `conflict` naming the
// winner's digest, and leaves no record claiming the tag.
#include <doctest/doctest.h>

#include <algorithm>
#include <latch>
#include <map>
#include <thread>

#include "sigstore/cosign_key.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

constexpr int kRounds = 20;
const std::string kShaA = "2b2e927abcdef0123456789abcdef01234567890";
const std::string kShaB = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";

// One round's verdict: which contender won (0 or 1), after checking that exactly one did, that the
// other was refused as a conflict naming the winner's digest, and that the tag names the winner.
int CheckOneWinner(const std::pair<CliRun, CliRun>& runs, const std::string& digest_a,
                   const std::string& digest_b, const std::string& tag_digest) {
  const CliRun* r[2] = {&runs.first, &runs.second};
  const std::string digests[2] = {digest_a, digest_b};
  INFO("A: exit " << r[0]->exit_code << " " << r[0]->out << r[0]->err);
  INFO("B: exit " << r[1]->exit_code << " " << r[1]->out << r[1]->err);
  int winners = (r[0]->exit_code == 0) + (r[1]->exit_code == 0);
  CHECK(winners == 1);
  if (winners != 1) return -1;
  int w = r[0]->exit_code == 0 ? 0 : 1;
  const CliRun& loser = *r[1 - w];
  CHECK(loser.exit_code == 3);
  auto j = loser.Json();
  CHECK(j["ok"] == false);
  CHECK(j["error"]["code"] == "conflict");
  CHECK(j["error"]["message"].get<std::string>().find(digests[w]) != std::string::npos);
  CHECK(tag_digest == digests[w]);
  return w;
}

// dev and stage with a signing key; stage takes the release version from the branch.
struct ReleasePipeline {
  TempDir dir;
  std::string config_path;
  std::map<std::string, std::string> env;

  ReleasePipeline(const TestRegistry& dev, const TestRegistry& stage) {
    const std::string password = "key-" + RandomPassword();
    auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
    REQUIRE(pair.ok());
    env = {{"PROMOTE_SIGNING_KEY", dir.Write("cosign.key", pair->private_key_pem, 0600)},
           {"PROMOTE_KEY_PASSWORD", password}};
    config_path = dir.Write("promote.yaml",
                            "version: 1\nimage: app\nsigning:\n  key: env:PROMOTE_SIGNING_KEY\n"
                            "  password: env:PROMOTE_KEY_PASSWORD\nenvironments:\n"
                            "  - name: dev\n    registry: " +
                                dev.host() +
                                "\n    repository: app\n"
                                "    mutable-tags: [latest]\n"
                                "  - name: stage\n    registry: " +
                                stage.host() +
                                "\n    repository: app\n"
                                "    mutable-tags: [stage]\n");
  }
  CliRun Run(const std::vector<std::string>& args) const {
    std::vector<std::string> full = {"-o", "json", "run", "--config", config_path};
    full.insert(full.end(), args.begin(), args.end());
    return RunPromote(full, env);
  }
};

}  // namespace

TEST_CASE(
    "two CLI copies of different digests to one new tag: one wins, the other is a conflict (20 rounds)") {
  TestRegistry src, dst;
  SampleImage a = PushSampleImage(src, "app", "a", {{"linux/amd64"}, 1, 1000, 51});
  SampleImage b = PushSampleImage(src, "app", "b", {{"linux/amd64"}, 1, 1000, 52});
  // Both images are in the target already (untagged), so each round is the tag race alone.
  for (const auto* img : {&a, &b}) {
    REQUIRE(RunPromote({"-o", "json", "copy", src.host() + "/app@" + img->digest, dst.host() + "/app"})
                .exit_code == 0);
  }
  int wins[2] = {0, 0};
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    const std::string tag = "v1.0." + std::to_string(round);
    auto runs = RunTogether(
        [&] {
          return RunPromote({"-o", "json", "copy", src.host() + "/app:a", dst.host() + "/app:" + tag});
        },
        [&] {
          return RunPromote({"-o", "json", "copy", src.host() + "/app:b", dst.host() + "/app:" + tag});
        });
    int w = CheckOneWinner(runs, a.digest, b.digest, TagDigest(dst, "app", tag));
    if (w >= 0) wins[w]++;
  }
  MESSAGE("copy race: A won " << wins[0] << ", B won " << wins[1] << " of " << kRounds);
  CHECK(wins[0] + wins[1] == kRounds);
}

TEST_CASE("two copies through one agent of different digests to one new tag: one wins (20 rounds)") {
  TestRegistry src, dst;
  SampleImage a = PushSampleImage(src, "app", "a", {{"linux/amd64"}, 1, 1000, 53});
  SampleImage b = PushSampleImage(src, "app", "b", {{"linux/amd64"}, 1, 1000, 54});
  TestAgent agent("listen: [unix://{dir}/agent.sock]\nlog: {format: json, level: info}\n");
  const std::string addr = agent.Address("unix://");
  for (const auto* img : {&a, &b}) {
    REQUIRE(RunPromote({"--agent", addr, "-o", "json", "copy", src.host() + "/app@" + img->digest,
                        dst.host() + "/app"})
                .exit_code == 0);
  }
  int wins[2] = {0, 0};
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    const std::string tag = "v2.0." + std::to_string(round);
    auto copy = [&](const std::string& from) {
      return RunPromote(
          {"--agent", addr, "-o", "json", "copy", src.host() + "/app:" + from, dst.host() + "/app:" + tag});
    };
    auto runs = RunTogether([&] { return copy("a"); }, [&] { return copy("b"); });
    int w = CheckOneWinner(runs, a.digest, b.digest, TagDigest(dst, "app", tag));
    if (w >= 0) wins[w]++;
  }
  MESSAGE("agent copy race: A won " << wins[0] << ", B won " << wins[1] << " of " << kRounds);
  CHECK(wins[0] + wins[1] == kRounds);
}

TEST_CASE(
    "two release promotions of different commits to one version tag: one wins, no record for the loser (20 "
    "rounds)") {
  TestRegistry dev, stage;
  SampleImage a = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 55});
  SampleImage b = PushSampleImage(dev, "app", "sha-9f8e7d6", {{"linux/amd64"}, 1, 1000, 56});
  ReleasePipeline p(dev, stage);
  REQUIRE(p.Run({"--branch", "develop", "--sha", kShaA}).exit_code == 0);
  REQUIRE(p.Run({"--branch", "develop", "--sha", kShaB}).exit_code == 0);

  std::map<std::string, std::string> winner_of;  // branch -> digest
  int wins[2] = {0, 0};
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    const std::string branch = "release/v1.0." + std::to_string(round);
    auto runs = RunTogether(
        [&] {
          return p.Run({"--branch", branch, "--sha", kShaA});
        },
        [&] {
          return p.Run({"--branch", branch, "--sha", kShaB});
        });
    int w =
        CheckOneWinner(runs, a.digest, b.digest, TagDigest(stage, "app", "v1.0." + std::to_string(round)));
    if (w < 0) continue;
    wins[w]++;
    winner_of[branch] = w == 0 ? a.digest : b.digest;
    const CliRun& loser = w == 0 ? runs.second : runs.first;
    auto lj = loser.Json();
    CHECK(lj["status"] == "refused");
    CHECK(lj["record"].is_null());
    CHECK(lj["tags"]["refused"] == nlohmann::json::array({"v1.0." + std::to_string(round)}));
  }
  MESSAGE("run race: A won " << wins[0] << ", B won " << wins[1] << " of " << kRounds);
  CHECK(wins[0] + wins[1] == kRounds);

  // The records in stage: every one is for a release its digest won (a promotion of a commit
  // is recorded once; re-releasing it under another version finds that record and adds none).
  std::map<std::string, int> records_of;  // digest -> valid stage records
  for (const auto& [sha, digest] : {std::pair{kShaA, a.digest}, std::pair{kShaB, b.digest}}) {
    auto h = RunPromote({"-o", "json", "history", "--config", p.config_path, "--sha", sha}, p.env);
    INFO(h.err);
    REQUIRE(h.exit_code == 0);
    auto hj = h.Json();
    for (const auto& e : hj["environments"]) {
      if (e["env"] != "stage") continue;
      for (const auto& r : e["records"]) {
        if (r["valid"] != true) continue;
        const std::string branch = r["git"]["branch"];
        CAPTURE(branch);
        CHECK(winner_of[branch] == digest);
        records_of[digest]++;
      }
    }
  }
  for (const auto& d : {a.digest, b.digest}) {
    bool won = std::any_of(winner_of.begin(), winner_of.end(), [&](const auto& w) { return w.second == d; });
    CHECK(records_of[d] == (won ? 1 : 0));
  }
}

// Writers this host cannot keep apart (another machine): the read-back after the write decides.
// The proxy plays the other writer's timing: the tag looks free at both checks, our PUT is
// answered 201 but is overwritten at once (it is never forwarded), so the read-back finds B.
TEST_CASE(
    "a write overwritten by another host's writer before the read-back is a conflict naming the winner") {
  TestRegistry src, dst;
  SampleImage a = PushSampleImage(src, "app", "a", {{"linux/amd64"}, 1, 1000, 57});
  SampleImage b = PushSampleImage(src, "app", "b", {{"linux/amd64"}, 1, 1000, 58});
  REQUIRE(RunPromote({"-o", "json", "copy", src.host() + "/app:b", dst.host() + "/app:v1"}).exit_code == 0);
  FaultProxy proxy(dst.base_url());
  proxy.SetRules(nlohmann::json::array(
      {{{"method", "HEAD"}, {"path", "/manifests/v1$"}, {"fault", "status"}, {"status", 404}, {"times", 2}},
       {{"method", "PUT"}, {"path", "/manifests/v1$"}, {"fault", "status"}, {"status", 201}, {"times", 1}}}));
  auto run = RunPromote({"-o", "json", "copy", src.host() + "/app:a", proxy.host() + "/app:v1"});
  INFO(run.out << run.err);
  CHECK(proxy.Hits().size() == 3);  // both checks saw the tag free, and the PUT was made
  CHECK(run.exit_code == 3);
  auto j = run.Json();
  CHECK(j["error"]["code"] == "conflict");
  const std::string message = j["error"]["message"];
  CHECK(message.find("at the same time") != std::string::npos);
  CHECK(message.find(b.digest) != std::string::npos);
  CHECK(j["tags"]["refused"] == nlohmann::json::array({"v1"}));
  CHECK(TagDigest(dst, "app", "v1") == b.digest);
}

TEST_CASE("a registry refusing to overwrite a tag another writer just claimed (Harbor, ECR) is a conflict") {
  struct Case {
    int status;
    std::string error;
  } cases[] = {{412, "PRECONDITION"}, {400, "TAG_INVALID"}, {409, "TAG_IMMUTABLE"}};
  TestRegistry src, dst;
  PushSampleImage(src, "app", "a", {{"linux/amd64"}, 1, 1000, 59});
  SampleImage b = PushSampleImage(src, "app", "b", {{"linux/amd64"}, 1, 1000, 60});
  REQUIRE(RunPromote({"-o", "json", "copy", src.host() + "/app:b", dst.host() + "/app:v1"}).exit_code == 0);
  for (const auto& c : cases) {
    CAPTURE(c.error);
    FaultProxy proxy(dst.base_url());  // a new one: rule hit counts are per proxy
    proxy.SetRules(nlohmann::json::array(
        {{{"method", "HEAD"}, {"path", "/manifests/v1$"}, {"fault", "status"}, {"status", 404}, {"times", 2}},
         {{"method", "PUT"},
          {"path", "/manifests/v1$"},
          {"fault", "status"},
          {"status", c.status},
          {"error", c.error}}}));
    auto run = RunPromote({"-o", "json", "copy", src.host() + "/app:a", proxy.host() + "/app:v1"});
    INFO(run.out << run.err);
    CHECK(run.exit_code == 3);
    auto j = run.Json();
    CHECK(j["error"]["code"] == "conflict");
    const std::string message = j["error"]["message"];
    CHECK(message.find(b.digest) != std::string::npos);
    CHECK(message.find(c.error) != std::string::npos);  // the registry's own words are kept
    CHECK(TagDigest(dst, "app", "v1") == b.digest);
  }
}
