// Change control end to end (issue 19): window and freeze, break-glass, approvals and soak, with
// the real CLI (or the real runner with an injected clock, for time that cannot pass in a test)
// against a real registry in the shared layout (dev/app, stage/app, prod/app).
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "policy/promote_config.h"
#include "promotion/approval.h"
#include "promotion/promotion_runner.h"
#include "promotion/rollback.h"
#include "registry/credentials.h"
#include "registry/registry_pool.h"
#include "sign/attestation_store.h"
#include "sigstore/cosign_key.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

const std::string kSha = "2b2e927abcdef0123456789abcdef01234567890";
const std::string kSha2 = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";

// One registry, three environments as paths, a signing key, and promote.yaml with `prod_gates`
// under prod's gates:.
struct ChangePipeline {
  TestRegistry reg;
  TempDir dir;
  std::string password = "key-" + RandomPassword();
  std::string key_path, config_path;
  std::map<std::string, std::string> env;

  ChangePipeline() {
    auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
    REQUIRE(pair.ok());
    key_path = dir.Write("cosign.key", pair->private_key_pem, 0600);
    env = {{"PROMOTE_SIGNING_KEY", key_path}, {"PROMOTE_KEY_PASSWORD", password}};
  }

  std::string WriteConfig(const std::string& name, const std::string& prod_gates) {
    config_path = dir.Write(
        name, "version: 1\nimage: app\nsigning: {key: env:PROMOTE_SIGNING_KEY, password: env:PROMOTE_KEY_PASSWORD}\n"
              "environments:\n"
              "  - {name: dev, registry: \"" + reg.host() + "\", repository: dev/app, mutable-tags: [latest]}\n"
              "  - {name: stage, registry: \"" + reg.host() + "\", repository: stage/app, mutable-tags: [stage]}\n"
              "  - name: prod\n    registry: \"" + reg.host() + "\"\n    repository: prod/app\n"
              "    mutable-tags: [prod]\n    gates:\n" + prod_gates);
    return config_path;
  }

  CliRun Promote(std::vector<std::string> args, std::map<std::string, std::string> extra = {}) const {
    std::vector<std::string> full = {"-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    auto e = env;
    for (const auto& [k, v] : extra) e[k] = v;
    return RunPromote(full, e);
  }

  // dev, then stage, with `actor` as the CI's user.
  void ThroughStage(const std::string& sha, const std::string& actor = "carol") const {
    const std::map<std::string, std::string> ci = {{"GITHUB_RUN_ID", "77"}, {"GITHUB_ACTOR", actor}};
    for (const char* branch : {"develop", "release/next"}) {
      auto r = Promote({"run", "-c", config_path, "--branch", branch, "--sha", sha}, ci);
      INFO(r.out << r.err);
      REQUIRE(r.exit_code == 0);
    }
  }

  uint64_t Writes() const {
    return reg.RequestCount("PUT", "") + reg.RequestCount("POST", "") + reg.RequestCount("PATCH", "");
  }
};

const nlohmann::json* Gate(const nlohmann::json& result, const std::string& name) {
  for (const auto& g : result["gates"]) {
    if (g["name"] == name) return &g;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("window: a freeze refuses (also in a dry run); break-glass is bad input where not allowed, and loud where it is") {
  ChangePipeline p;
  PushSampleImage(p.reg, "dev/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 41});
  const std::string freeze = "      window:\n        allow: [\"Mon-Sun 00:00-24:00 Europe/Berlin\"]\n"
                             "        freeze: [{from: 2000-01-01, to: 2999-12-31, reason: the big freeze}]\n";
  const std::string strict = p.WriteConfig("strict.yaml", freeze);
  p.ThroughStage(kSha);

  uint64_t writes = p.Writes();
  auto plan = p.Promote({"run", "-c", strict, "--branch", "main", "--sha", kSha, "--dry-run"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 3);
  const nlohmann::json plan_json = plan.Json();
  const nlohmann::json* window = Gate(plan_json, "window");
  REQUIRE(window != nullptr);
  CHECK((*window)["verdict"] == "refused");
  CHECK((*window)["detail"].get<std::string>().find("the big freeze") != std::string::npos);
  CHECK(p.Writes() == writes);

  auto not_allowed = p.Promote({"run", "-c", strict, "--branch", "main", "--sha", kSha, "--break-glass", "INC-1"});
  CHECK(not_allowed.exit_code == 2);
  CHECK(not_allowed.Json()["error"]["message"].get<std::string>().find("environment 'prod'") != std::string::npos);
  CHECK(p.Writes() == writes);

  const std::string glass = p.WriteConfig("glass.yaml", freeze + "        break-glass: true\n");
  auto refused = p.Promote({"run", "-c", glass, "--branch", "main", "--sha", kSha});
  CHECK(refused.exit_code == 3);
  CHECK(refused.Json()["error"]["message"].get<std::string>().find("--break-glass REASON overrides it") !=
        std::string::npos);
  auto broken = p.Promote({"run", "-c", glass, "--branch", "main", "--sha", kSha, "--break-glass", "INC-7 outage"});
  INFO(broken.out << broken.err);
  REQUIRE(broken.exit_code == 0);
  auto bj = broken.Json();
  CHECK(bj["status"] == "promoted");
  CHECK(bj["break_glass"]["reason"] == "INC-7 outage");
  CHECK((*Gate(bj, "window"))["verdict"] == "overridden");

  auto h = p.Promote({"history", "-c", glass, "--sha", kSha});
  REQUIRE(h.exit_code == 0);
  bool recorded = false;
  const nlohmann::json history = h.Json();
  for (const auto& e : history["environments"]) {
    for (const auto& r : e["records"]) {
      if (e["env"] == "prod" && r["valid"] == true && r["break_glass"]["reason"] == "INC-7 outage") recorded = true;
    }
  }
  CHECK(recorded);
  auto text = RunPromote({"history", "-c", glass, "--sha", kSha}, p.env);
  CHECK(text.out.find("BREAK-GLASS: INC-7 outage") != std::string::npos);
  CHECK(text.out.find("window overridden") != std::string::npos);
}

TEST_CASE("approvals: 2 of alice, bob, carol, dave(key); the author, a duplicate and a wrong key do not count") {
  ChangePipeline p;
  SampleImage img = PushSampleImage(p.reg, "dev/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 42});
  auto dave = promote::sigstore::GenerateCosignKeyPair(promote::Secret("dave-pass"));
  auto stranger = promote::sigstore::GenerateCosignKeyPair(promote::Secret("other-pass"));
  REQUIRE(dave.ok());
  REQUIRE(stranger.ok());
  p.dir.Write("dave.pub", dave->public_key_pem);
  const std::string dave_key = p.dir.Write("dave.key", dave->private_key_pem, 0600);
  const std::string stranger_key = p.dir.Write("stranger.key", stranger->private_key_pem, 0600);
  const std::string config = p.WriteConfig(
      "promote.yaml", "      approval:\n        required: 2\n        approvers: [alice, bob, carol, "
                      "{identity: dave, key: " + p.dir.path() + "/dave.pub}]\n");
  p.ThroughStage(kSha, "carol");  // carol pushed the commit through: she is its author
  auto run = [&] { return p.Promote({"run", "-c", config, "--branch", "main", "--sha", kSha}); };
  auto approve = [&](const std::string& who, std::vector<std::string> extra = {},
                     std::map<std::string, std::string> env = {}) {
    std::vector<std::string> args = {"approve", "-c", config, "--env", "prod", "--sha", kSha, "--approver", who};
    args.insert(args.end(), extra.begin(), extra.end());
    return p.Promote(args, env);
  };

  auto none = run();
  CHECK(none.exit_code == 3);
  CHECK((*Gate(none.Json(), "approval"))["detail"].get<std::string>().find("0 of 2") != std::string::npos);

  auto alice = approve("alice");
  INFO(alice.out << alice.err);
  REQUIRE(alice.exit_code == 0);
  CHECK(alice.Json()["status"] == "approved");
  CHECK(alice.Json()["digest"] == img.digest);
  CHECK(alice.Json()["source"]["env"] == "stage");
  CHECK(run().exit_code == 3);

  REQUIRE(approve("alice").exit_code == 0);  // again: still one person
  REQUIRE(approve("carol").exit_code == 0);  // the author
  REQUIRE(approve("dave", {"--key", stranger_key}, {{"PROMOTE_KEY_PASSWORD", "other-pass"}}).exit_code == 0);
  const uint64_t writes = p.Writes();
  auto mallory = approve("mallory");
  CHECK(mallory.exit_code == 2);
  CHECK(mallory.Json()["error"]["message"].get<std::string>().find("'mallory' is not an approver") !=
        std::string::npos);
  auto dave_vouched = approve("dave");  // dave approves with his own key, never with promote's
  CHECK(dave_vouched.exit_code == 2);
  CHECK(p.Writes() == writes);

  auto three = run();
  INFO(three.out);
  CHECK(three.exit_code == 3);
  const nlohmann::json gate = *Gate(three.Json(), "approval");
  CHECK(gate["data"]["approved_by"] == nlohmann::json::array({"alice"}));
  CHECK(gate["data"]["author"] == "carol");
  std::string reasons = gate["data"]["not_counted"].dump();
  CHECK(reasons.find("approved already") != std::string::npos);
  CHECK(reasons.find("commit's author") != std::string::npos);
  CHECK(reasons.find("not signed by the key of 'dave'") != std::string::npos);

  REQUIRE(approve("dave", {"--key", dave_key}, {{"PROMOTE_KEY_PASSWORD", "dave-pass"}}).exit_code == 0);
  auto passed = run();
  INFO(passed.out << passed.err);
  REQUIRE(passed.exit_code == 0);
  CHECK((*Gate(passed.Json(), "approval"))["verdict"] == "passed");

  // The record names the approvers, and the approvals travelled with the image into prod.
  auto h = p.Promote({"history", "-c", config, "--sha", kSha});
  bool named = false;
  const nlohmann::json history = h.Json();
  for (const auto& e : history["environments"]) {
    for (const auto& r : e["records"]) {
      if (e["env"] == "prod" && r["approvals"] == nlohmann::json::array({"alice", "dave"})) named = true;
    }
  }
  CHECK(named);
  TestRegistryClient client(p.reg);
  auto digest = promote::oci::Digest::Parse(img.digest);
  REQUIRE(digest.ok());
  auto atts = promote::sign::ListAttestations(client.get(), "prod/app", *digest,
                                               {promote::registry::RepositoryScope("prod/app", "pull")});
  REQUIRE(atts.ok());
  int approvals = 0;
  for (const auto& a : *atts) approvals += a.predicate_type == promote::promotion::kApprovalPredicateType;
  CHECK(approvals == 5);
}

namespace {

// The real runner with a clock the test sets: soak time cannot pass inside a test.
struct ClockedRunner {
  promote::policy::PromoteConfig config;
  std::shared_ptr<promote::registry::RegistryPool> pool;
  promote::promotion::SigningKey signing;

  explicit ClockedRunner(const ChangePipeline& p) {
    auto c = promote::policy::LoadPromoteConfig(p.config_path);
    REQUIRE_MESSAGE(c.ok(), c.status().ToString());
    config = std::move(*c);
    pool = std::make_shared<promote::registry::RegistryPool>(
        std::make_shared<promote::registry::StaticKeychain>(), promote::registry::TlsOptions{},
        promote::registry::RegistryOptions{});
    auto key =
        promote::sigstore::ParseCosignPrivateKey(ReadFile(p.key_path), promote::Secret(p.password), "key");
    REQUIRE(key.ok());
    signing.public_key = std::make_shared<promote::sigstore::PublicKey>(key->public_key());
    signing.key = std::make_shared<promote::sigstore::PrivateKey>(std::move(*key));
  }

  promote::promotion::RunResult Prod(const std::string& sha, std::chrono::hours later) const {
    promote::promotion::PromotionRunner runner(&config, pool.get(), pool->keychain(), signing);
    promote::promotion::RunRequest r;
    r.to = "prod";
    r.sha = sha;
    r.branch = "main";
    r.now = std::chrono::system_clock::now() + later;
    return runner.Run(r);
  }
};

}  // namespace

TEST_CASE("soak: too young refused, old enough passes; an image rolled back out of stage is refused") {
  ChangePipeline p;
  PushSampleImage(p.reg, "dev/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 43});
  PushSampleImage(p.reg, "dev/app", "sha-9f8e7d6", {{"linux/amd64"}, 1, 1000, 44});
  p.WriteConfig("promote.yaml", "      soak: 24h\n");
  p.ThroughStage(kSha);

  auto young = p.Promote({"run", "-c", p.config_path, "--branch", "main", "--sha", kSha});
  CHECK(young.exit_code == 3);
  CHECK((*Gate(young.Json(), "soak"))["detail"].get<std::string>().find("less than the 1d") != std::string::npos);

  ClockedRunner clocked(p);
  auto still_young = clocked.Prod(kSha, std::chrono::hours(23));
  CHECK(still_young.status.code() == promote::Code::kGateRefused);
  auto old_enough = clocked.Prod(kSha, std::chrono::hours(25));
  INFO(old_enough.status.ToString());
  CHECK(old_enough.status.ok());
  CHECK(old_enough.outcome == promote::promotion::Outcome::kPromoted);

  // The second commit reaches stage, then stage is rolled back to the first: the second is
  // marked rolled-back there, and no amount of soaking takes it to prod.
  p.ThroughStage(kSha2);
  auto back = p.Promote({"rollback", "-c", p.config_path, "--env", "stage"});
  INFO(back.out << back.err);
  REQUIRE(back.exit_code == 0);
  auto refused = clocked.Prod(kSha2, std::chrono::hours(24 * 30));
  CHECK(refused.status.code() == promote::Code::kGateRefused);
  CHECK(refused.status.message().find("rolled back out of 'stage'") != std::string::npos);
  auto h = p.Promote({"history", "-c", p.config_path, "--sha", kSha2});
  const nlohmann::json history = h.Json();
  for (const auto& e : history["environments"]) {
    if (e["env"] == "stage") CHECK(e["rolled_back"] == true);
  }
}
