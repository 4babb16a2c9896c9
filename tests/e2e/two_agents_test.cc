// Several agents behind one Service (issue 17): two agent processes share the registries and the
// signing key, and promote the same application at the same moment, round after round: two
// different commits into one environment (one release version: one wins, the other is refused as
// a conflict, exit 3) and the same commit twice (both succeed). After every round, every tag of the
// target names a digest that has a valid promotion record there, and no immutable tag has moved.
#include <doctest/doctest.h>

#include <cstdlib>
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

// Every tag of repo `repo` at `reg`, with the digest it names.
std::map<std::string, std::string> Tags(const TestRegistry& reg, const std::string& repo) {
  TestRegistryClient c(reg);
  const promote::registry::Scopes pull = {promote::registry::RepositoryScope(repo, "pull")};
  auto tags = c.get().ListTags(repo, pull);
  REQUIRE(tags.ok());
  std::map<std::string, std::string> out;
  for (const auto& t : *tags) {
    auto head = c.get().HeadManifest(repo, t, pull);
    REQUIRE(head.ok());
    REQUIRE(head->has_value());
    out[t] = (*head)->digest.str();
  }
  return out;
}

}  // namespace

TEST_CASE("two agents promoting one application at once end coherent (20 rounds)") {
  TestRegistry dev, stage;
  SampleImage a = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 91});
  SampleImage b = PushSampleImage(dev, "app", "sha-9f8e7d6", {{"linux/amd64"}, 1, 1000, 92});
  const std::map<std::string, std::string> sha_of = {{a.digest, kShaA}, {b.digest, kShaB}};

  TempDir dir;
  const std::string password = "key-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
  REQUIRE(pair.ok());
  const std::string key = dir.Write("cosign.key", pair->private_key_pem, 0600);
  const std::string pub = dir.Write("cosign.pub", pair->public_key_pem);
  const std::string agent_yaml =
      "listen: [unix://{dir}/agent.sock]\nlog: {format: json, level: info}\n"
      "signing: {key: file:" +
      key + ", password: env:TWO_AGENTS_KEY_PASSWORD}\n";
  ::setenv("TWO_AGENTS_KEY_PASSWORD", password.c_str(), 1);
  TestAgent one(agent_yaml), two(agent_yaml);
  ::unsetenv("TWO_AGENTS_KEY_PASSWORD");
  const std::string agents[2] = {one.Address("unix://"), two.Address("unix://")};

  const std::string config = dir.Write("promote.yaml",
                                       "version: 1\nimage: app\nenvironments:\n"
                                       "  - name: dev\n    registry: " +
                                           dev.host() +
                                           "\n    repository: app\n"
                                           "    mutable-tags: [latest]\n"
                                           "  - name: stage\n    registry: " +
                                           stage.host() +
                                           "\n    repository: app\n"
                                           "    mutable-tags: [stage]\n    sign: true\n");
  auto run = [&](int agent, const std::string& branch, const std::string& sha) {
    return RunPromote(
        {"--agent", agents[agent], "-o", "json", "run", "-c", config, "--branch", branch, "--sha", sha});
  };
  // Both commits are in dev (recorded), so stage may take either.
  REQUIRE(run(0, "develop", kShaA).exit_code == 0);
  REQUIRE(run(1, "develop", kShaB).exit_code == 0);

  // The stage records that are valid (signed by the key), as digest -> count.
  auto valid_records = [&] {
    std::map<std::string, int> out;
    for (const auto& sha : {kShaA, kShaB}) {
      auto h = RunPromote({"-o", "json", "history", "-c", config, "--sha", sha, "--key", pub});
      INFO(h.out << h.err);
      REQUIRE(h.exit_code == 0);
      const auto hj = h.Json();
      for (const auto& e : hj["environments"]) {
        if (e["env"] != "stage") continue;
        for (const auto& r : e["records"]) {
          if (r["valid"] == true) out[r["digest"].get<std::string>()]++;
        }
      }
    }
    return out;
  };

  std::map<std::string, std::string> immutable;  // tag -> the digest it first named
  int wins[2] = {0, 0};
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    // Two commits, one release version: exactly one agent wins it.
    const std::string version = "v1.0." + std::to_string(round);
    auto race = RunTogether([&] { return run(0, "release/" + version, kShaA); },
                            [&] { return run(1, "release/" + version, kShaB); });
    INFO("agent one: exit " << race.first.exit_code << " " << race.first.out << race.first.err);
    INFO("agent two: exit " << race.second.exit_code << " " << race.second.out << race.second.err);
    const int winners = (race.first.exit_code == 0) + (race.second.exit_code == 0);
    CHECK(winners == 1);
    if (winners == 1) {
      const int w = race.first.exit_code == 0 ? 0 : 1;
      const CliRun& loser = w == 0 ? race.second : race.first;
      wins[w]++;
      CHECK(loser.exit_code == 3);
      CHECK(loser.Json()["error"]["code"] == "conflict");
      CHECK(loser.Json()["record"].is_null());
    }
    // One commit, released twice at once under one version: both succeed.
    const std::string again = "v2.0." + std::to_string(round);
    const std::string& sha = round % 2 == 0 ? kShaA : kShaB;
    auto twice = RunTogether([&] { return run(0, "release/" + again, sha); },
                             [&] { return run(1, "release/" + again, sha); });
    INFO("same commit, agent one: exit " << twice.first.exit_code << " " << twice.first.out
                                         << twice.first.err);
    INFO("same commit, agent two: exit " << twice.second.exit_code << " " << twice.second.out
                                         << twice.second.err);
    CHECK(twice.first.exit_code == 0);
    CHECK(twice.second.exit_code == 0);

    // Coherent: each tag names one of the two images, with a valid record for it in stage, and
    // no tag but the mutable one ever names another digest than the first it named.
    const auto tags = Tags(stage, "app");
    const auto records = valid_records();
    for (const auto& entry : tags) {
      const std::string& tag = entry.first;
      const std::string& digest = entry.second;
      CAPTURE(tag);
      if (tag.rfind("sha256-", 0) == 0) continue;  // signatures and records (attachments)
      REQUIRE(sha_of.count(digest) == 1);
      CHECK(records.count(digest) == 1);
      if (tag == "stage") continue;
      auto [it, first] = immutable.emplace(tag, digest);
      CHECK(it->second == digest);
    }
    CHECK(tags.count(version) == 1);
    REQUIRE(tags.count(again) == 1);
    CHECK(tags.at(again) == (sha == kShaA ? a.digest : b.digest));
  }
  MESSAGE("two agents: agent one won " << wins[0] << ", agent two won " << wins[1] << " of " << kRounds);
  CHECK(wins[0] + wins[1] == kRounds);
}
