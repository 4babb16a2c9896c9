// promote run end to end: Git-flow rules, stage order, tags, dry runs, records, in both layouts.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <map>
#include <regex>
#include <thread>

#include "promotion/promotion_record.h"
#include "promotion/verification_summary.h"
#include "sigstore/cosign_key.h"
#include "sigstore/dsse.h"
#include "sigstore/in_toto.h"
#include "tests/support/child_process.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_registry.h"
#include "util/subprocess.h"

using namespace promote::testing;

namespace {

const std::string kSha = "2b2e927abcdef0123456789abcdef01234567890";
const std::string kSha2 = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";

// Three environments and a signing key, with promote.yaml written for a layout.
struct Pipeline {
  TempDir dir;
  std::string key_path, pub_path, password = "key-" + RandomPassword();
  std::string config_path;
  std::string signing_format;  // promote.yaml's signing.format; empty: not said
  std::map<std::string, std::string> env;

  Pipeline() {
    auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
    REQUIRE(pair.ok());
    key_path = dir.Write("cosign.key", pair->private_key_pem, 0600);
    pub_path = dir.Write("cosign.pub", pair->public_key_pem);
    env = {{"PROMOTE_SIGNING_KEY", key_path}, {"PROMOTE_KEY_PASSWORD", password}};
  }

  void WriteConfig(const std::string& dev_ref, const std::string& stage_ref, const std::string& prod_ref,
                   const std::string& extra_prod = "") {
    auto split = [](const std::string& ref) {
      auto slash = ref.find('/');
      return std::make_pair(ref.substr(0, slash), ref.substr(slash + 1));
    };
    auto [dr, drepo] = split(dev_ref);
    auto [sr, srepo] = split(stage_ref);
    auto [pr, prepo] = split(prod_ref);
    std::string yaml =
        "version: 1\nimage: payment-svc\nsigning:\n  key: env:PROMOTE_SIGNING_KEY\n"
        "  password: env:PROMOTE_KEY_PASSWORD\n" +
        (signing_format.empty() ? std::string() : "  format: " + signing_format + "\n") + "environments:\n"
        "  - name: dev\n    registry: " +
        dr + "\n    repository: " + drepo +
        "\n    mutable-tags: [latest]\n"
        "  - name: stage\n    registry: " +
        sr + "\n    repository: " + srepo +
        "\n    mutable-tags: [stage]\n"
        "  - name: prod\n    registry: " +
        pr + "\n    repository: " + prepo + "\n    mutable-tags: [prod]\n    sign: true\n" + extra_prod;
    config_path = dir.Write("promote.yaml", yaml);
  }

  CliRun Run(std::vector<std::string> args, std::map<std::string, std::string> extra_env = {}) const {
    std::vector<std::string> full = {"-o", "json", "run", "--config", config_path};
    full.insert(full.end(), args.begin(), args.end());
    auto e = env;
    for (const auto& [k, v] : extra_env) e[k] = v;
    return RunPromote(full, e);
  }
};

// What `promote history --sha` says about one environment.
nlohmann::json HistoryOf(const Pipeline& p, const std::string& sha, const std::string& env) {
  auto h = RunPromote({"-o", "json", "history", "--config", p.config_path, "--sha", sha}, p.env);
  INFO(h.err);
  REQUIRE(h.exit_code == 0);
  auto hj = h.Json();
  for (const auto& e : hj["environments"]) {
    if (e["env"] == env) return e;
  }
  FAIL("history has no environment " << env << ": " << h.out);
  return {};
}

}  // namespace

TEST_CASE("Git-flow across three registries: develop -> dev, release -> stage, main -> prod") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/shop/payment-svc", stage.host() + "/shop/payment-svc",
                prod.host() + "/shop/payment-svc");
  SampleImage img = PushSampleImage(dev, "shop/payment-svc", "sha-2b2e927");

  // develop: the build pushed sha-2b2e927; promotion into dev tags latest and records it.
  auto to_dev = p.Run({"--branch", "develop", "--sha", kSha});
  INFO(to_dev.err);
  REQUIRE(to_dev.exit_code == 0);
  auto j = to_dev.Json();
  CHECK(j["status"] == "promoted");
  CHECK(j["to"]["env"] == "dev");
  CHECK(j["digest"] == img.digest);
  CHECK(j["tags"]["written"] == nlohmann::json::array({"latest"}));
  CHECK(j["record"]["reference"].get<std::string>().find(".att") != std::string::npos);
  CHECK(TagDigest(dev, "shop/payment-svc", "latest") == img.digest);

  // Skipping stage is refused, and prod is untouched.
  uint64_t prod_writes = Writes(prod);
  auto skip = p.Run({"--branch", "main", "--sha", kSha, "--from", "dev"});
  CHECK(skip.exit_code == 3);
  CHECK(skip.Json()["status"] == "refused");
  CHECK(skip.Json()["error"]["message"].get<std::string>().find("stage-order") != std::string::npos);
  CHECK(Writes(prod) == prod_writes);

  // A feature branch may not promote anywhere.
  auto feature = p.Run({"--branch", "feature/login", "--sha", kSha, "--to", "stage"});
  CHECK(feature.exit_code == 3);
  CHECK(feature.Json()["gates"][0]["name"] == "branch");
  CHECK(feature.Json()["gates"][0]["verdict"] == "refused");

  // Dry run of the release: a plan, and the stage registry sees no write.
  uint64_t stage_writes = Writes(stage);
  auto plan = p.Run({"--branch", "release/v1.2.0-sha-2b2e927", "--dry-run"});
  INFO(plan.err);
  REQUIRE(plan.exit_code == 0);
  auto pj = plan.Json();
  CHECK(pj["status"] == "planned");
  CHECK(pj["dry_run"] == true);
  CHECK(pj["to"]["env"] == "stage");
  CHECK(pj["blobs"]["copied"] == img.blob_digests.size());
  CHECK(pj["tags"]["written"] == nlohmann::json::array({"sha-2b2e927", "v1.2.0", "stage"}));
  CHECK(Writes(stage) == stage_writes);

  // The release: SHA taken from the branch name, version tag from it too.
  auto to_stage = p.Run({"--branch", "release/v1.2.0-sha-2b2e927"});
  INFO(to_stage.err);
  REQUIRE(to_stage.exit_code == 0);
  auto sj = to_stage.Json();
  CHECK(sj["status"] == "promoted");
  CHECK(sj["digest"] == img.digest);
  CHECK(sj["gates"][1]["name"] == "stage-order");
  CHECK(sj["gates"][1]["verdict"] == "passed");
  CHECK(TagDigest(stage, "shop/payment-svc", "v1.2.0") == img.digest);
  CHECK(TagDigest(stage, "shop/payment-svc", "stage") == img.digest);

  // Re-running is cheap and changes nothing.
  auto again = p.Run({"--branch", "release/v1.2.0-sha-2b2e927"});
  REQUIRE(again.exit_code == 0);
  CHECK(again.Json()["status"] == "unchanged");

  // main -> prod, signed.
  auto to_prod = p.Run({"--branch", "main", "--sha", "2b2e927"});
  INFO(to_prod.err);
  REQUIRE(to_prod.exit_code == 0);
  auto prj = to_prod.Json();
  CHECK(prj["digest"] == img.digest);
  CHECK(prj["signature"]["reference"].get<std::string>().find(".sig") != std::string::npos);
  CHECK(TagDigest(prod, "shop/payment-svc", "prod") == img.digest);
  auto verify =
      RunPromote({"-o", "json", "verify", prod.host() + "/shop/payment-svc:prod", "--key", p.pub_path});
  INFO(verify.err);
  CHECK(verify.exit_code == 0);
}

TEST_CASE("the shared layout mounts between environment paths of one registry") {
  TestRegistry shared;
  Pipeline p;
  p.WriteConfig(shared.host() + "/dev/payment-svc", shared.host() + "/stage/payment-svc",
                shared.host() + "/prod/payment-svc");
  SampleImage img = PushSampleImage(shared, "dev/payment-svc", "sha-2b2e927");
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);
  auto r = p.Run({"--branch", "release/v1.2.0", "--sha", kSha});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = r.Json();
  CHECK(j["blobs"]["mounted"] == img.blob_digests.size());
  CHECK(j["bytes"]["copied"] == 0);
  // No layer was read: every image blob was mounted into stage/ (configs are read, for the
  // commit they state).
  for (const auto& blob : img.blob_digests) {
    bool config =
        std::find(img.config_digests.begin(), img.config_digests.end(), blob) != img.config_digests.end();
    if (!config) CHECK(shared.RequestCount("GET", "/blobs/" + blob) == 0);
  }
}

TEST_CASE("immutable tags are never moved; mutable ones follow each promotion") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  SampleImage a = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 1});
  SampleImage b = PushSampleImage(dev, "app", "sha-9f8e7d6", {{"linux/amd64"}, 1, 1000, 2});
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha2}).exit_code == 0);
  REQUIRE(p.Run({"--branch", "release/v1.2.0", "--sha", kSha}).exit_code == 0);
  CHECK(TagDigest(stage, "app", "stage") == a.digest);

  auto second = p.Run({"--branch", "release/v1.3.0", "--sha", kSha2});
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.Json()["tags"]["moved"] == nlohmann::json::array({"stage"}));
  CHECK(TagDigest(stage, "app", "stage") == b.digest);
  CHECK(TagDigest(stage, "app", "v1.2.0") == a.digest);

  // Releasing b under a's version tag is a conflict: v1.2.0 stays on a, nothing else changes.
  uint64_t writes = Writes(stage);
  auto conflict = p.Run({"--branch", "release/v1.2.0", "--sha", kSha2});
  CHECK(conflict.exit_code == 3);
  CHECK(conflict.Json()["error"]["code"] == "conflict");
  CHECK(conflict.Json()["tags"]["refused"] == nlohmann::json::array({"v1.2.0"}));
  CHECK(TagDigest(stage, "app", "v1.2.0") == a.digest);
  CHECK(Writes(stage) == writes);
  // run has no --force, so its message does not offer one: it says what a run can do instead.
  const std::string run_message = conflict.Json()["error"]["message"];
  CHECK(run_message.find("immutable tags are never moved") != std::string::npos);
  CHECK(run_message.find("--force") == std::string::npos);
  CHECK(run_message.find("another version") != std::string::npos);
  // copy does have --force, and its message for the same conflict still says so.
  auto copied =
      RunPromote({"-o", "json", "copy", dev.host() + "/app@" + b.digest, stage.host() + "/app:v1.2.0"});
  CHECK(copied.exit_code == 3);
  CHECK(copied.Json()["error"]["code"] == "conflict");
  CHECK(copied.Json()["error"]["message"].get<std::string>().find("--force") != std::string::npos);
  CHECK(TagDigest(stage, "app", "v1.2.0") == a.digest);

  // The commit's own tag at the target naming another image (pushed there by hand): a run says
  // to promote a new commit, again without --force.
  const std::string kSha3 = "3c3c3c3abcdef0123456789abcdef01234567890";
  SampleImage c = PushSampleImage(dev, "app", "sha-3c3c3c3", {{"linux/amd64"}, 1, 1000, 4});
  PushSampleImage(stage, "app", "sha-3c3c3c3", {{"linux/amd64"}, 1, 1000, 5});
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha3}).exit_code == 0);
  auto commit_conflict = p.Run({"--branch", "release/v1.4.0", "--sha", kSha3});
  CHECK(commit_conflict.exit_code == 3);
  CHECK(commit_conflict.Json()["tags"]["refused"] == nlohmann::json::array({"sha-3c3c3c3"}));
  const std::string commit_message = commit_conflict.Json()["error"]["message"];
  CHECK(commit_message.find("--force") == std::string::npos);
  CHECK(commit_message.find("new commit") != std::string::npos);
  CHECK(TagDigest(stage, "app", "v1.4.0").empty());
  CHECK(TagDigest(stage, "app", "sha-3c3c3c3") != c.digest);
}

TEST_CASE("a forged record does not pass the stage-order gate") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 3});

  // Someone with registry write access but another key "promotes" into dev.
  Pipeline forger;
  forger.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  REQUIRE(forger.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);

  uint64_t writes = Writes(stage);
  auto refused = p.Run({"--branch", "release/v1.2.0", "--sha", kSha});
  CHECK(refused.exit_code == 3);
  std::string msg = refused.Json()["error"]["message"];
  CHECK(msg.find("no valid promotion record") != std::string::npos);
  CHECK(msg.find("records refused") != std::string::npos);
  CHECK(Writes(stage) == writes);
}

TEST_CASE("bad run input is refused before any registry is touched") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message_part;
  } cases[] = {
      {{"--branch", "develop", "--sha", "xyz"}, 2, "7 to 40 hex"},
      {{"--branch", "develop", "--sha", "2b2e927$(id)"}, 2, "not hexadecimal"},
      {{"--branch", "release/v1.2.0-sha-1111111", "--sha", kSha}, 2, "does not match"},
      {{"--branch", "release/v1.2.0"}, 2, "--sha is required"},
      {{"--branch", "hotfix/x", "--sha", kSha}, 2, "pass --to"},
      {{"--branch", "feature/x", "--sha", kSha}, 3, "maps to no environment"},
      {{"--branch", "develop", "--sha", kSha, "--to", "qa"}, 2, "unknown environment 'qa'"},
      {{"--branch", "bad..name", "--sha", kSha}, 2, "not a valid Git branch"},
      {{"--sha", kSha}, 2, "--branch is required"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message_part);
    auto r = p.Run(c.args, {{"BRANCH_NAME", ""}, {"GITHUB_REF_NAME", ""}});
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.Json()["error"]["message"].get<std::string>().find(c.message_part) != std::string::npos);
  }
  auto missing_config =
      RunPromote({"-o", "json", "run", "--config", p.dir.path() + "/nope.yaml", "--branch", "develop"});
  CHECK(missing_config.exit_code == 2);
  // A release set (images:) whose image lacks an environment, or names one that is not there:
  // bad input naming promote.yaml's line, before any registry is touched.
  const std::string envs = "environments:\n  - {name: dev, registry: " + dev.host() +
                           ", repository: app}\n  - {name: stage, registry: " + stage.host() + ", repository: app}\n";
  const struct {
    std::string images, message_part;
  } set_cases[] = {
      {"images:\n  - {name: api, repositories: {dev: shop/api}}\n",
       "promote.yaml:7: image 'api' has no repository for environment 'stage'"},
      {"images:\n  - {name: api, repositories: {dev: shop/api, stage: shop/api, qa: shop/api}}\n",
       "unknown environment 'qa'"},
      {"images:\n  - {name: API, repositories: {dev: shop/api, stage: shop/api}}\n", "must be lowercase"},
  };
  for (const auto& c : set_cases) {
    CAPTURE(c.message_part);
    const std::string config = p.dir.Write("promote.yaml", "version: 1\nimage: shop\n" + envs + c.images);
    auto r = RunPromote({"-o", "json", "run", "--config", config, "--branch", "develop", "--sha", kSha}, p.env);
    CHECK(r.exit_code == 2);
    CHECK(r.Json()["error"]["message"].get<std::string>().find(c.message_part) != std::string::npos);
  }
  CHECK(Writes(dev) + Writes(stage) + Writes(prod) == 0);
}

TEST_CASE("history after dev -> stage -> prod, and rollback to the previous prod release") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  SampleImage a = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 21});
  SampleImage b = PushSampleImage(dev, "app", "sha-9f8e7d6", {{"linux/amd64"}, 1, 1000, 22});
  for (const auto& sha : {kSha, kSha2}) {
    REQUIRE(p.Run({"--branch", "develop", "--sha", sha}).exit_code == 0);
    REQUIRE(p.Run({"--branch", "release/next", "--sha", sha}).exit_code == 0);
    auto r = p.Run({"--branch", "main", "--sha", sha}, {{"GITHUB_RUN_ID", "4242"}});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  CHECK(TagDigest(prod, "app", "prod") == b.digest);

  auto h = RunPromote({"-o", "json", "history", "--config", p.config_path, "--sha", kSha}, p.env);
  INFO(h.err);
  REQUIRE(h.exit_code == 0);
  auto hj = h.Json();
  CHECK(hj["digest"] == a.digest);
  REQUIRE(hj["environments"].size() == 3);
  for (const auto& e : hj["environments"]) {
    CAPTURE(e["env"].get<std::string>());
    CHECK(e["digest"] == a.digest);
    CHECK(e["promoted"] == true);
    REQUIRE(e["records"].size() >= 1);
    CHECK(e["records"][0]["valid"] == true);
    CHECK(e["records"][0]["git"]["sha"] == kSha);
  }
  CHECK(hj["environments"][2]["records"][0]["ci"]["run_id"] == "4242");
  CHECK(hj["environments"][2]["records"][0]["from"]["env"] == "stage");

  // A digest that never reached prod cannot be rolled back to.
  PushSampleImage(dev, "app", "sha-1111111", {{"linux/amd64"}, 1, 1000, 23});
  auto never = RunPromote({"-o", "json", "rollback", "--config", p.config_path, "--env", "prod", "--to",
                           "sha256:" + std::string(64, 'e')},
                          p.env);
  CHECK(never.exit_code == 3);
  CHECK(TagDigest(prod, "app", "prod") == b.digest);

  auto back = RunPromote({"-o", "json", "rollback", "--config", p.config_path, "--env", "prod"}, p.env);
  INFO(back.err);
  REQUIRE(back.exit_code == 0);
  auto bj = back.Json();
  CHECK(bj["from_digest"] == b.digest);
  CHECK(bj["to_digest"] == a.digest);
  CHECK(bj["sha"] == kSha);
  CHECK(TagDigest(prod, "app", "prod") == a.digest);
  // The immutable tags never moved.
  CHECK(TagDigest(prod, "app", "sha-9f8e7d6") == b.digest);

  auto after = RunPromote({"-o", "json", "history", "--config", p.config_path, "--sha", kSha}, p.env);
  REQUIRE(after.exit_code == 0);
  INFO(after.out);
  bool rollback_recorded = false;
  const nlohmann::json after_json = after.Json();
  for (const auto& r : after_json["environments"][2]["records"]) {
    if (r["kind"] == "rollback" && r["valid"] == true) rollback_recorded = true;
  }
  CHECK(rollback_recorded);

  // Rolling back to the digest already in place is nothing to do: "unchanged", no record written.
  const uint64_t prod_writes = Writes(prod);
  auto same = RunPromote(
      {"-o", "json", "rollback", "--config", p.config_path, "--env", "prod", "--to", a.digest}, p.env);
  INFO(same.out << same.err);
  REQUIRE(same.exit_code == 0);
  CHECK(same.Json()["status"] == "unchanged");
  CHECK(same.Json()["record"].is_null());
  CHECK(same.Json()["tags_moved"].empty());
  CHECK(Writes(prod) == prod_writes);
  auto same_text =
      RunPromote({"rollback", "--config", p.config_path, "--env", "prod", "--to", a.digest}, p.env);
  CHECK(same_text.exit_code == 0);
  CHECK(same_text.out.find("unchanged") != std::string::npos);
  CHECK(same_text.out.find("rolled back") == std::string::npos);
}

TEST_CASE("the signature gate refuses an unsigned source and accepts one signed where it was built") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
                "    gates:\n      signature:\n        key: file:" + p.pub_path + "\n");
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 31});
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);
  REQUIRE(p.Run({"--branch", "release/v1.2.0", "--sha", kSha}).exit_code == 0);

  // Nobody signed it: prod refuses, and prod sees no write.
  uint64_t writes = Writes(prod);
  auto unsigned_run = p.Run({"--branch", "main", "--sha", kSha});
  CHECK(unsigned_run.exit_code == 3);
  auto uj = unsigned_run.Json();
  CHECK(uj["error"]["code"] == "gate_refused");
  bool signature_refused = false;
  for (const auto& g : uj["gates"])
    signature_refused |= g["name"] == "signature" && g["verdict"] == "refused";
  CHECK(signature_refused);
  CHECK(Writes(prod) == writes);

  // The build signs in dev; the signature travels to stage with the release and is accepted there
  // although it names the dev repository.
  auto sign =
      RunPromote({"-o", "json", "sign", dev.host() + "/app@" + img.digest, "--key", p.key_path}, p.env);
  INFO(sign.err);
  REQUIRE(sign.exit_code == 0);
  // Re-running the release carries the new signature to stage.
  REQUIRE(p.Run({"--branch", "release/v1.2.0", "--sha", kSha}).exit_code == 0);
  auto signed_run = p.Run({"--branch", "main", "--sha", kSha});
  INFO(signed_run.err);
  REQUIRE(signed_run.exit_code == 0);
  CHECK(TagDigest(prod, "app", "prod") == img.digest);
}

TEST_CASE("two concurrent promotions of the same digest both succeed with one result") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  SampleImage img =
      PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64", "linux/arm64"}, 4, 20'000, 41});
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);

  CliRun first, second;
  std::thread a([&] { first = p.Run({"--branch", "release/v1.2.0", "--sha", kSha}); });
  std::thread b([&] { second = p.Run({"--branch", "release/v1.2.0", "--sha", kSha}); });
  a.join();
  b.join();
  INFO(first.err);
  INFO(second.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE(second.exit_code == 0);
  CHECK(first.Json()["digest"] == img.digest);
  CHECK(second.Json()["digest"] == img.digest);
  CHECK(TagDigest(stage, "app", "v1.2.0") == img.digest);
  CHECK(TagDigest(stage, "app", "stage") == img.digest);
  // And the promotion is recorded: prod accepts the digest from stage.
  auto to_prod = p.Run({"--branch", "main", "--sha", kSha});
  INFO(to_prod.err);
  CHECK(to_prod.exit_code == 0);
}

TEST_CASE("one registry, a robot account per environment: each environment signs in as its own") {
  // As Harbor or Quay projects have them: each robot may only use its own namespace, so a
  // promotion that used a neighbour's account would be refused by the registry.
  const std::string dev_pw = RandomPassword(), stage_pw = RandomPassword(), prod_pw = RandomPassword();
  RegistryOptions o;
  o.auth = RegistryAuth::kToken;
  o.token_accounts = {{"dev-robot", dev_pw, {"*"}, {"dev"}},
                      {"stage-robot", stage_pw, {"*"}, {"stage"}},
                      {"prod-robot", prod_pw, {"*"}, {"prod"}}};
  TestRegistry shared(o);
  SampleImage img = PushSampleImage(shared, "dev/payment-svc", "sha-2b2e927");
  Pipeline p;
  auto write_config = [&](const std::string& prod_user) {
    std::string yaml =
        "version: 1\nimage: payment-svc\nsigning:\n  key: env:PROMOTE_SIGNING_KEY\n"
        "  password: env:PROMOTE_KEY_PASSWORD\nenvironments:\n";
    for (const auto& [name, user] : std::vector<std::pair<std::string, std::string>>{
             {"dev", "dev-robot"}, {"stage", "stage-robot"}, {"prod", prod_user}}) {
      std::string upper = user == "dev-robot" ? "DEV" : user == "stage-robot" ? "STAGE" : "PROD";
      yaml += "  - name: " + name + "\n    registry: " + shared.host() + "\n    repository: " + name +
              "/payment-svc\n    mutable-tags: [" + name + "]\n    credentials:\n      username: " + user +
              "\n      password: env:" + upper + "_ROBOT_PASSWORD\n";
    }
    p.config_path = p.dir.Write("promote.yaml", yaml);
  };
  const std::map<std::string, std::string> passwords = {
      {"DEV_ROBOT_PASSWORD", dev_pw}, {"STAGE_ROBOT_PASSWORD", stage_pw}, {"PROD_ROBOT_PASSWORD", prod_pw}};

  write_config("prod-robot");
  auto to_dev = p.Run({"--branch", "develop", "--sha", kSha}, passwords);
  INFO(to_dev.out << to_dev.err);
  REQUIRE(to_dev.exit_code == 0);
  auto to_stage = p.Run({"--branch", "release/v1.2.0", "--sha", kSha}, passwords);
  INFO(to_stage.out << to_stage.err);
  REQUIRE(to_stage.exit_code == 0);
  auto sj = to_stage.Json();
  CHECK(sj["digest"] == img.digest);
  // Two accounts cannot mount (neither may read both repositories): the layers were copied.
  CHECK(sj["blobs"]["mounted"] == 0);
  CHECK(sj["blobs"]["copied"] == img.blob_digests.size());
  CHECK(TagDigest(shared, "stage/payment-svc", "stage") == img.digest);

  // prod given stage's robot: the registry refuses it, the run says where, prod gets no tag.
  write_config("stage-robot");
  auto wrong = p.Run({"--branch", "main", "--sha", kSha}, passwords);
  INFO(wrong.out);
  CHECK(wrong.exit_code != 0);
  const std::string refusal = wrong.Json()["error"]["message"];
  CHECK(refusal.find("prod/payment-svc") != std::string::npos);
  CHECK(refusal.find("as user 'stage-robot'") != std::string::npos);  // which account was refused
  CHECK(TagDigest(shared, "prod/payment-svc", "prod").empty());

  write_config("prod-robot");
  auto to_prod = p.Run({"--branch", "main", "--sha", kSha}, passwords);
  INFO(to_prod.out << to_prod.err);
  REQUIRE(to_prod.exit_code == 0);
  CHECK(TagDigest(shared, "prod/payment-svc", "prod") == img.digest);
  for (const auto& [name, pw] : passwords) {
    CHECK(to_prod.out.find(pw) == std::string::npos);
    CHECK(to_prod.err.find(pw) == std::string::npos);
  }
}

// Issue 20, hole 4: a record exists only for a promotion whose tags are in place.
TEST_CASE(
    "a promotion refused at its tag step leaves no record: the next stage refuses it, a re-run completes "
    "it") {
  TestRegistry dev, stage, prod;
  FaultProxy stage_proxy(stage.base_url());
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage_proxy.host() + "/app", prod.host() + "/app");
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 61});
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);

  // The registry refuses the version tag (as a registry with a tag policy would).
  stage_proxy.SetRules(nlohmann::json::array(
      {{{"method", "PUT"}, {"path", "/manifests/v1\\.2\\.0$"}, {"fault", "status"}, {"status", 400}}}));
  auto failed = p.Run({"--branch", "release/v1.2.0", "--sha", kSha});
  INFO(failed.out << failed.err);
  CHECK(failed.exit_code == 4);
  CHECK(failed.Json()["status"] == "failed");
  CHECK(failed.Json()["record"].is_null());
  CHECK(TagDigest(stage, "app", "v1.2.0").empty());

  auto refused = p.Run({"--branch", "main", "--sha", kSha});
  CHECK(refused.exit_code == 3);
  CHECK(refused.Json()["error"]["message"].get<std::string>().find("no valid promotion record for 'stage'") !=
        std::string::npos);
  CHECK(HistoryOf(p, kSha, "stage")["promoted"] == false);

  stage_proxy.SetRules(nlohmann::json::array());
  auto rerun = p.Run({"--branch", "release/v1.2.0", "--sha", kSha});
  INFO(rerun.out << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK(rerun.Json()["record"]["reference"].get<std::string>().find(".att") != std::string::npos);
  CHECK(TagDigest(stage, "app", "v1.2.0") == img.digest);
  CHECK(HistoryOf(p, kSha, "stage")["promoted"] == true);
  auto to_prod = p.Run({"--branch", "main", "--sha", kSha});
  INFO(to_prod.out << to_prod.err);
  CHECK(to_prod.exit_code == 0);
}

TEST_CASE("a promotion killed (SIGKILL) while tagging never satisfies the next stage; its re-run does") {
  TestRegistry dev, stage, prod;
  FaultProxy stage_proxy(stage.base_url());
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage_proxy.host() + "/app", prod.host() + "/app");
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 62});
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);

  // The last tag's PUT hangs: the image, its immutable tags and everything before are written.
  stage_proxy.SetRules(
      nlohmann::json::array({{{"method", "PUT"}, {"path", "/manifests/stage$"}, {"fault", "stall"}}}));
  {
    TempDir dir;
    for (const auto& [k, v] : p.env) ::setenv(k.c_str(), v.c_str(), 1);
    ChildProcess cli({PromoteBinary(), "-o", "json", "run", "--config", p.config_path, "--branch",
                      "release/v1.2.0", "--sha", kSha},
                     dir.path() + "/cli.log");
    for (const auto& [k, v] : p.env) ::unsetenv(k.c_str());
    REQUIRE_MESSAGE(stage_proxy.WaitForHits(1, std::chrono::seconds(60)), ReadFile(dir.path() + "/cli.log"));
    CHECK(TagDigest(stage, "app", "v1.2.0") == img.digest);  // killed after the immutable tags
    cli.Kill();
    CHECK(cli.DescribeExit() == "killed by signal 9");
  }
  stage_proxy.SetRules(nlohmann::json::array());

  auto refused = p.Run({"--branch", "main", "--sha", kSha});
  CHECK(refused.exit_code == 3);
  CHECK(refused.Json()["error"]["message"].get<std::string>().find("stage-order") != std::string::npos);
  CHECK(HistoryOf(p, kSha, "stage")["promoted"] == false);

  auto rerun = p.Run({"--branch", "release/v1.2.0", "--sha", kSha});
  INFO(rerun.out << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK(rerun.Json()["status"] == "promoted");  // the record was written now
  CHECK(rerun.Json()["tags"]["unchanged"] == nlohmann::json::array({"sha-2b2e927", "v1.2.0"}));
  auto to_prod = p.Run({"--branch", "main", "--sha", kSha});
  INFO(to_prod.out << to_prod.err);
  CHECK(to_prod.exit_code == 0);
}

TEST_CASE("a record written before its tags (older versions) counts only once its tags are in place") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 63});
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);

  // What an older promote left when its tags then failed after the first: the image, its commit
  // tag, and a valid, signed record for stage listing the version tag it never got.
  REQUIRE(
      RunPromote({"-o", "json", "copy", dev.host() + "/app@" + img.digest, stage.host() + "/app:sha-2b2e927"})
          .exit_code == 0);
  auto key = promote::sigstore::ReadCosignPrivateKeyFile(p.key_path, promote::Secret(p.password));
  REQUIRE(key.ok());
  auto digest = promote::oci::Digest::Parse(img.digest);
  REQUIRE(digest.ok());
  promote::promotion::PromotionRecord record;
  record.from_env = "dev";
  record.from_reference = dev.host() + "/app@" + img.digest;
  record.to_env = "stage";
  record.to_reference = stage.host() + "/app@" + img.digest;
  record.digest = img.digest;
  record.git_sha = kSha;
  record.branch = "release/v1.2.0";
  record.tags = {"sha-2b2e927", "v1.2.0", "stage"};
  record.time = promote::promotion::NowRfc3339();
  {
    TestRegistryClient c(stage);
    promote::oci::Descriptor subject{img.media_type, *digest, static_cast<int64_t>(img.bytes.size()), {}, {}};
    auto written = promote::promotion::WriteRecord(c.get(), "app", subject, record, *key,
                                                   promote::sigstore::SignatureFormat::kCosign,
                                                   {promote::registry::RepositoryScope("app", "pull,push")});
    REQUIRE(written.ok());
  }

  auto refused = p.Run({"--branch", "main", "--sha", kSha});
  CHECK(refused.exit_code == 3);
  CHECK(refused.Json()["error"]["message"].get<std::string>().find("did not complete") != std::string::npos);
  auto stage_history = HistoryOf(p, kSha, "stage");
  CHECK(stage_history["digest"] == img.digest);
  CHECK(stage_history["promoted"] == false);
  REQUIRE(stage_history["records"].size() == 1);
  CHECK(stage_history["records"][0]["problem"].get<std::string>().find("did not complete") !=
        std::string::npos);

  // Re-running the release puts the tags in place; the record it finds then counts.
  auto rerun = p.Run({"--branch", "release/v1.2.0", "--sha", kSha});
  INFO(rerun.out << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  auto to_prod = p.Run({"--branch", "main", "--sha", kSha});
  INFO(to_prod.out << to_prod.err);
  CHECK(to_prod.exit_code == 0);
}

TEST_CASE("--sha defaults from the CI's commit variable (GIT_COMMIT on Jenkins, GITHUB_SHA on GitHub)") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/shop/payment-svc", stage.host() + "/shop/payment-svc",
                prod.host() + "/shop/payment-svc");
  SampleImage img = PushSampleImage(dev, "shop/payment-svc", "sha-2b2e927");

  auto github = p.Run({"--branch", "develop"}, {{"GITHUB_SHA", kSha}});
  INFO(github.out << github.err);
  REQUIRE(github.exit_code == 0);
  CHECK(github.Json()["sha"] == kSha);
  CHECK(github.Json()["digest"] == img.digest);
  auto jenkins = p.Run({"--branch", "develop"}, {{"GIT_COMMIT", kSha}});
  INFO(jenkins.out << jenkins.err);
  CHECK(jenkins.exit_code == 0);
  CHECK(jenkins.Json()["sha"] == kSha);
  // --sha given wins: the variable names another commit, whose image does not exist.
  auto flag = p.Run({"--branch", "develop", "--sha", kSha}, {{"GITHUB_SHA", kSha2}});
  CHECK(flag.exit_code == 0);
  // A branch carrying -sha-<hex> wins too, with no mismatch error.
  auto carried = p.Run({"--branch", "release/v1.2.0-sha-2b2e927"}, {{"GITHUB_SHA", kSha2}});
  INFO(carried.out << carried.err);
  CHECK(carried.exit_code == 0);
  CHECK(carried.Json()["sha"].get<std::string>().rfind("2b2e927", 0) == 0);
}

TEST_CASE(
    "hints say what works: no rule for a branch, an agent address without a scheme, history's key, --help") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  // A branch no rule maps: refused as such, without suggesting a --to that would be refused too.
  auto feature = p.Run({"--branch", "feature/login", "--sha", kSha});
  CHECK(feature.exit_code == 3);
  std::string message = feature.Json()["error"]["message"];
  CHECK(message.find("maps to no environment") != std::string::npos);
  CHECK(message.find("--to") == std::string::npos);
  // An address without a scheme names the schemes, before any connection is tried.
  auto agent =
      RunPromote({"-o", "json", "--agent", p.dir.path() + "/agent.sock", "resolve", dev.host() + "/app:x"});
  CHECK(agent.exit_code == 2);
  std::string agent_message = agent.Json()["error"]["message"];
  CHECK(agent_message.find("unix://") != std::string::npos);
  CHECK(agent_message.find("tls://") != std::string::npos);
  // history needs only the public key: without the passphrase, it says so.
  auto history = RunPromote({"-o", "json", "history", "-c", p.config_path, "--sha", kSha},
                            {{"PROMOTE_SIGNING_KEY", p.key_path}});
  CHECK(history.exit_code == 2);
  CHECK(history.Json()["error"]["message"].get<std::string>().find("--key cosign.pub") != std::string::npos);
  auto with_pub =
      RunPromote({"-o", "json", "history", "-c", p.config_path, "--sha", kSha, "--key", p.pub_path},
                 {{"PROMOTE_SIGNING_KEY", p.key_path}});
  CHECK_MESSAGE(with_pub.exit_code == 0, with_pub.out << with_pub.err);
  // Copy's credential flags are listed only where they do something.
  for (std::string command : {"run", "history", "rollback"}) {
    CAPTURE(command);
    auto help = RunPromote({command, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("--src-username") == std::string::npos);
    CHECK(help.out.find("--dst-username") == std::string::npos);
  }
  CHECK(RunPromote({"copy", "--help"}).out.find("--src-username") != std::string::npos);
  CHECK(RunPromote({"resolve", "--help"}).out.find("--src-username") != std::string::npos);
}

TEST_CASE("after a rollback in stage, promoting that commit onward again merges the records prod lacks") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  SampleImage a = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 31});
  SampleImage b = PushSampleImage(dev, "app", "sha-9f8e7d6", {{"linux/amd64"}, 1, 1000, 32});
  for (const auto& sha : {kSha, kSha2}) {
    REQUIRE(p.Run({"--branch", "develop", "--sha", sha}).exit_code == 0);
    REQUIRE(p.Run({"--branch", "release/next", "--sha", sha}).exit_code == 0);
    REQUIRE(p.Run({"--branch", "main", "--sha", sha}).exit_code == 0);
  }
  // stage goes back to a: its .att for a gains a rollback record prod's copy of it lacks, while
  // prod's holds prod's own record: neither covers the other.
  auto back = RunPromote({"-o", "json", "rollback", "--config", p.config_path, "--env", "stage"}, p.env);
  INFO(back.out << back.err);
  REQUIRE(back.exit_code == 0);
  const std::string att = "sha256-" + a.digest.substr(7) + ".att";
  TestRegistryClient prod_client(prod);
  auto layers_at = [&](TestRegistryClient& c) {
    auto m = c.get().GetManifest("app", att, {promote::registry::RepositoryScope("app", "pull")});
    REQUIRE(m.ok());
    return nlohmann::json::parse(m->bytes)["layers"];
  };
  auto prod_before = layers_at(prod_client);

  auto again = p.Run({"--branch", "main", "--sha", kSha});
  INFO(again.out << again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(TagDigest(prod, "app", "prod") == a.digest);
  auto prod_after = layers_at(prod_client);
  // Everything prod held is still there, in place, and stage's rollback record arrived.
  REQUIRE(prod_after.size() > prod_before.size());
  for (size_t i = 0; i < prod_before.size(); ++i) CHECK(prod_after[i] == prod_before[i]);
  // The history still reads every record at prod as valid.
  auto prod_history = HistoryOf(p, kSha, "prod");
  for (const auto& r : prod_history["records"]) CHECK(r["valid"] == true);
}

namespace {

// What a terminal `columns` wide shows of `promote ARGS` (a pty from util-linux's script; stdout
// and stderr both reach it). `env` entries are NAME=value.
std::string OnTerminal(int columns, const std::vector<std::string>& args,
                       const std::vector<std::string>& env = {}) {
  std::string command = "stty cols " + std::to_string(columns) + " rows 24 && exec '" + PromoteBinary() + "'";
  for (const auto& a : args) command += " '" + a + "'";  // no quotes inside: hosts, paths, flags
  auto r = RunCommand({"script", "-qec", command, "/dev/null"}, "", env);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// Every progress line the terminal showed, with the escape that clears it taken out.
std::vector<std::string> ProgressLines(const std::string& screen) {
  std::vector<std::string> lines;
  std::string current;
  auto flush = [&] {
    for (size_t at; (at = current.find("\033[K")) != std::string::npos;) current.erase(at, 3);
    if (current.find("progress:") != std::string::npos) lines.push_back(current);
    current.clear();
  };
  for (char c : screen) {
    if (c == '\r' || c == '\n') {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return lines;
}

// "images 1/1, blobs 7/7": done and total of each, from a progress line.
void CheckCountsComplete(const std::string& line) {
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_search(line, m, std::regex(R"(images (\d+)/(\d+), blobs (\d+)/(\d+))")), line);
  CHECK(m[1] == "1");
  CHECK(m[2] == "1");
  CHECK(m[3] == m[4]);
  CHECK(std::stoi(m[4]) > 0);
}

}  // namespace

TEST_CASE("progress on an 80-column terminal: one line rewritten in place, counts that add up") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 3, 3000, 41});
  // A signature at the source: its blobs travel too and count in the same line.
  REQUIRE(RunPromote({"sign", dev.host() + "/app:sha-2b2e927", "--key", p.key_path}, p.env).exit_code == 0);
  std::vector<std::string> env;
  for (const auto& [k, v] : p.env) env.push_back(k + "=" + v);

  std::string copy_screen = OnTerminal(80, {"copy", dev.host() + "/app:sha-2b2e927", prod.host() + "/app"});
  auto copy_lines = ProgressLines(copy_screen);
  INFO(copy_screen);
  REQUIRE_FALSE(copy_lines.empty());
  for (const auto& l : copy_lines) CHECK(l.size() < 80);
  CheckCountsComplete(copy_lines.back());

  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);  // in place: nothing to copy
  std::string run_screen =
      OnTerminal(80, {"run", "--config", p.config_path, "--branch", "release/next", "--sha", kSha}, env);
  INFO(run_screen);
  auto run_lines = ProgressLines(run_screen);
  REQUIRE_FALSE(run_lines.empty());
  for (const auto& l : run_lines) CHECK(l.size() < 80);
  CheckCountsComplete(run_lines.back());
  // run ends as copy does: what moved and how long it took.
  CHECK(run_screen.find(" moved, ") != std::string::npos);
  CHECK(run_screen.find("  time: ") != std::string::npos);
}

namespace {

// promote.yaml without signing:, for dev/stage/prod on three registries; `stage_extra` is added to
// stage's entry (e.g. "    stage-order: false\n").
std::string UnsignedConfig(const Pipeline& p, const TestRegistry& dev, const TestRegistry& stage,
                           const TestRegistry& prod, const std::string& stage_extra) {
  std::string yaml = "version: 1\nimage: payment-svc\nenvironments:\n";
  yaml +=
      "  - name: dev\n    registry: " + dev.host() + "\n    repository: app\n    mutable-tags: [latest]\n";
  yaml += "  - name: stage\n    registry: " + stage.host() + "\n    repository: app\n" + stage_extra;
  yaml += "  - name: prod\n    registry: " + prod.host() + "\n    repository: app\n";
  return p.dir.Write("unsigned.yaml", yaml);
}

}  // namespace

TEST_CASE("without a signing key, a promotion the next stage-order gate would refuse is refused up front") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 71});
  const std::map<std::string, std::string> no_key = {{"PROMOTE_SIGNING_KEY", ""},
                                                     {"PROMOTE_KEY_PASSWORD", ""}};
  auto run = [&](const std::string& config, std::vector<std::string> args) {
    std::vector<std::string> full = {"-o", "json", "run", "--config", config};
    full.insert(full.end(), args.begin(), args.end());
    return RunPromote(full, no_key);
  };

  // stage's stage-order gate (on by default) needs dev's record, which no key can write.
  const std::string config = UnsignedConfig(p, dev, stage, prod, "");
  const uint64_t writes = Writes(dev);
  auto refused = run(config, {"--branch", "develop", "--sha", kSha});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 2);
  auto rj = refused.Json();
  CHECK(rj["error"]["code"] == "invalid_argument");
  const std::string message = rj["error"]["message"];
  CHECK(message.find("'stage'") != std::string::npos);        // the environment that would refuse
  CHECK(message.find("signing: key:") != std::string::npos);  // the fixes
  CHECK(message.find("agent") != std::string::npos);
  CHECK(message.find("stage-order: false") != std::string::npos);
  CHECK(TagDigest(dev, "app", "latest").empty());
  CHECK(Writes(dev) == writes);
  // A dry run is refused the same way: its plan would not hold.
  CHECK(run(config, {"--branch", "develop", "--sha", kSha, "--dry-run"}).exit_code == 2);

  // With stage-order: false on stage, nothing later needs dev's record: the promotion goes ahead
  // and says, in the result and on stderr, that it wrote none.
  const std::string relaxed = UnsignedConfig(p, dev, stage, prod, "    stage-order: false\n");
  auto to_dev = run(relaxed, {"--branch", "develop", "--sha", kSha});
  INFO(to_dev.out << to_dev.err);
  REQUIRE(to_dev.exit_code == 0);
  auto dj = to_dev.Json();
  CHECK(dj["status"] == "promoted");
  CHECK(dj["record"].is_null());
  REQUIRE(dj["warnings"].size() == 1);
  CHECK(dj["warnings"][0].get<std::string>().find("no promotion record") != std::string::npos);
  CHECK(to_dev.err.find("warning") != std::string::npos);
  CHECK(TagDigest(dev, "app", "latest") == img.digest);

  // Into stage now: prod's stage-order gate (source stage) would refuse, so this one is refused.
  auto to_stage = run(relaxed, {"--branch", "release/v1.2.0", "--sha", kSha});
  CHECK(to_stage.exit_code == 2);
  CHECK(to_stage.Json()["error"]["message"].get<std::string>().find("'prod'") != std::string::npos);
  CHECK(TagDigest(stage, "app", "v1.2.0").empty());

  // With a key nothing is refused and nothing is warned about.
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  auto keyed = p.Run({"--branch", "develop", "--sha", kSha});
  INFO(keyed.out << keyed.err);
  REQUIRE(keyed.exit_code == 0);
  CHECK(keyed.Json()["warnings"].empty());
  CHECK(keyed.err.find("warning") == std::string::npos);
}

TEST_CASE("history shows the environments it can read and names the ones it cannot, with why") {
  TestRegistry dev;
  RegistryOptions locked;
  locked.auth = RegistryAuth::kBasic;
  TestRegistry prod(locked);
  Pipeline p;
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 81});
  auto write = [&](const std::string& prod_credentials) {
    return p.dir.Write("two.yaml",
                       "version: 1\nimage: payment-svc\nsigning:\n  key: env:PROMOTE_SIGNING_KEY\n"
                       "  password: env:PROMOTE_KEY_PASSWORD\nenvironments:\n"
                       "  - name: dev\n    registry: " +
                           dev.host() +
                           "\n    repository: app\n"
                           "    mutable-tags: [latest]\n"
                           "  - name: prod\n    registry: " +
                           prod.host() + "\n    repository: app\n" + prod_credentials);
  };
  p.config_path = write("");
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);

  struct Case {
    std::string name;
    std::string prod_credentials;  // promote.yaml credentials: for prod
    std::string prod_code;         // why prod could not be read
  } cases[] = {
      {"the registry requires credentials, none are given", "", "unauthenticated"},
      {"the credentials' variable is not set",
       "    credentials:\n      username: ci-bot\n      password: env:PROD_REGISTRY_PASSWORD\n",
       "invalid_argument"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const std::string config = write(c.prod_credentials);
    auto h = RunPromote({"-o", "json", "history", "--config", config, "--sha", kSha}, p.env);
    INFO(h.out << h.err);
    CHECK(h.exit_code == 4);
    auto hj = h.Json();
    CHECK(hj["ok"] == false);
    CHECK(hj["error"]["code"] == "unavailable");
    CHECK(hj["error"]["message"].get<std::string>().find("prod") != std::string::npos);
    CHECK(hj["unreadable"] == nlohmann::json::array({"prod"}));
    CHECK(hj["digest"] == img.digest);
    REQUIRE(hj["environments"].size() == 2);
    const auto& dev_entry = hj["environments"][0];
    CHECK(dev_entry["env"] == "dev");
    CHECK(dev_entry["readable"] == true);
    CHECK(dev_entry["error"].is_null());
    CHECK(dev_entry["digest"] == img.digest);
    CHECK(dev_entry["promoted"] == true);
    const auto& prod_entry = hj["environments"][1];
    CHECK(prod_entry["env"] == "prod");
    CHECK(prod_entry["readable"] == false);
    CHECK(prod_entry["error"]["code"] == c.prod_code);
    CHECK(!prod_entry["error"]["message"].get<std::string>().empty());
    CHECK(prod_entry["promoted"].is_null());  // unknown, not "no"
    CHECK(prod_entry["digest"].is_null());

    auto text = RunPromote({"history", "--config", config, "--sha", kSha}, p.env);
    CHECK(text.exit_code == 4);
    CHECK(text.out.find("dev: " + img.digest) != std::string::npos);
    CHECK(text.out.find("prod: could not be read") != std::string::npos);
    CHECK(text.err.find("could not read 1 of 2 environments") != std::string::npos);
  }

  // With prod's credentials given, every environment is read: exit 0, nothing unreadable.
  auto readable = RunPromote(
      {"-o", "json", "history", "--config", write(""), "--sha", kSha, "--authfile", prod.WriteDockerConfig()},
      p.env);
  INFO(readable.out << readable.err);
  CHECK(readable.exit_code == 0);
  CHECK(readable.Json()["unreadable"].empty());
  CHECK(readable.Json()["environments"][1]["readable"] == true);
  CHECK(readable.Json()["environments"][1]["digest"].is_null());
}

TEST_CASE("platforms: promotes a subset index into stage, and prod promotes that subset onward") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  auto yaml = [&](const std::string& prod_platforms) {
    std::string y = "version: 1\nimage: app\nenvironments:\n";
    y += "  - {name: dev, registry: '" + dev.host() + "', repository: app, mutable-tags: [latest]}\n";
    y += "  - {name: stage, registry: '" + stage.host() + "', repository: app, mutable-tags: [stage],\n";
    y += "     require-revision: true, platforms: [linux/arm64, linux/amd64]}\n";
    y +=
        "  - {name: prod, registry: '" + prod.host() + "', repository: app, mutable-tags: [prod], sign: true";
    y += prod_platforms + "}\n";
    return y + "signing:\n  key: env:PROMOTE_SIGNING_KEY\n  password: env:PROMOTE_KEY_PASSWORD\n";
  };
  p.config_path = p.dir.Write("promote.yaml", yaml(""));
  SampleSpec spec{{"linux/amd64", "linux/arm64", "linux/ppc64le"}, 1, 1024, 41};
  spec.labels = {{"org.opencontainers.image.revision", kSha}};
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", spec);

  auto to_dev = p.Run({"--branch", "develop", "--sha", kSha});
  INFO(to_dev.err);
  REQUIRE(to_dev.exit_code == 0);
  CHECK(to_dev.Json()["digest"] == img.digest);
  CHECK(to_dev.Json()["subset_of"].is_null());

  // stage takes two of the three platforms: a new index, which its tags and record name.
  auto to_stage = p.Run({"--branch", "release/v1.2.0-sha-2b2e927"});
  INFO(to_stage.out << to_stage.err);
  REQUIRE(to_stage.exit_code == 0);
  auto sj = to_stage.Json();
  const std::string subset = sj["digest"];
  CHECK(subset != img.digest);
  CHECK(sj["source_digest"] == img.digest);
  CHECK(sj["subset_of"] == img.digest);
  CHECK(sj["platforms"] == nlohmann::json::array({"linux/amd64", "linux/arm64"}));
  CHECK(sj["to"]["reference"] == stage.host() + "/app@" + subset);
  std::map<std::string, std::string> verdicts;
  for (const auto& g : sj["gates"]) verdicts[g["name"]] = g["verdict"];
  CHECK(verdicts["revision"] == "passed");
  CHECK(verdicts["stage-order"] == "passed");
  for (const char* tag : {"sha-2b2e927", "v1.2.0", "stage"}) {
    CAPTURE(tag);
    CHECK(TagDigest(stage, "app", tag) == subset);
  }
  {
    TestRegistryClient c(stage);
    auto index = c.get().GetManifest("app", "stage", {promote::registry::RepositoryScope("app", "pull")});
    REQUIRE(index.ok());
    REQUIRE(index->children.size() == 2);
    CHECK(index->children[0].platform->str() == "linux/amd64");
    CHECK(index->children[1].platform->str() == "linux/arm64");
  }
  auto stage_history = HistoryOf(p, kSha, "stage");
  CHECK(stage_history["digest"] == subset);
  REQUIRE(stage_history["records"].size() == 1);
  CHECK(stage_history["records"][0]["valid"] == true);
  CHECK(stage_history["records"][0]["digest"] == subset);
  CHECK(stage_history["records"][0]["subset_of"]["digest"] == img.digest);
  CHECK(stage_history["records"][0]["from"]["reference"] == dev.host() + "/app@" + img.digest);

  // The same promotion again: the same subset digest, nothing new.
  auto again = p.Run({"--branch", "release/v1.2.0-sha-2b2e927"});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(again.Json()["digest"] == subset);
  CHECK(again.Json()["status"] == "unchanged");

  // prod asking for a platform stage left out is a config error naming it and what stage has.
  p.config_path = p.dir.Write("promote.yaml", yaml(", platforms: [linux/ppc64le]"));
  const uint64_t prod_writes = Writes(prod);
  auto missing = p.Run({"--branch", "main", "--sha", kSha});
  CHECK(missing.exit_code == 2);
  std::string message = missing.Json()["error"]["message"];
  CHECK(message.find("environment 'prod' platforms") != std::string::npos);
  CHECK(message.find("platform linux/ppc64le is not in index " + subset +
                     "; it has linux/amd64, linux/arm64") != std::string::npos);
  CHECK(Writes(prod) == prod_writes);

  // prod takes what stage holds: the subset digest, whose stage record passes the stage-order gate.
  p.config_path = p.dir.Write("promote.yaml", yaml(""));
  auto to_prod = p.Run({"--branch", "main", "--sha", kSha});
  INFO(to_prod.out << to_prod.err);
  REQUIRE(to_prod.exit_code == 0);
  auto pj = to_prod.Json();
  CHECK(pj["digest"] == subset);
  CHECK(pj["source_digest"] == subset);
  CHECK(pj["subset_of"].is_null());
  CHECK(TagDigest(prod, "app", "prod") == subset);
  auto verify = RunPromote({"-o", "json", "verify", prod.host() + "/app:prod", "--key", p.pub_path});
  INFO(verify.err);
  CHECK(verify.exit_code == 0);
}

namespace {

// The manifest JSON `identifier` names in `repo`.
nlohmann::json ManifestAt(const TestRegistry& reg, const std::string& repo, const std::string& identifier) {
  TestRegistryClient c(reg);
  auto m = c.get().GetManifest(repo, identifier, {promote::registry::RepositoryScope(repo, "pull")});
  INFO(identifier << ": " << m.status().ToString());
  REQUIRE(m.ok());
  return nlohmann::json::parse(m->bytes);
}

// The Sigstore bundle a referrer reference ("host/repo@sha256:...") holds, as stored.
std::string BundleAt(const TestRegistry& reg, const std::string& repo, const std::string& reference) {
  auto at = reference.find('@');
  REQUIRE(at != std::string::npos);
  nlohmann::json referrer = ManifestAt(reg, repo, reference.substr(at + 1));
  CHECK(referrer["artifactType"] == "application/vnd.dev.sigstore.bundle.v0.3+json");
  auto layer = promote::oci::Digest::Parse(referrer["layers"][0]["digest"].get<std::string>());
  REQUIRE(layer.ok());
  TestRegistryClient c(reg);
  auto bytes = c.get().GetBlobBytes(repo, *layer, 1 << 20, {promote::registry::RepositoryScope(repo, "pull")});
  REQUIRE(bytes.ok());
  return *bytes;
}

// sigstore-js (tests/sigstore-js, installed by the sigstore_js ctest fixture) on one bundle: the
// JSON line it prints, with "verified".
nlohmann::json SigstoreJsVerify(const TempDir& dir, const std::string& bundle, const std::string& pub_path,
                                const std::string& digest, const std::string& predicate_type) {
  promote::ProcessOptions node;
  node.argv = {"node", std::string(PROMOTE_BINARY_DIR) + "/tests/sigstore-js/verify-bundle.js",
               dir.Write("bundle.json", bundle), pub_path, digest, predicate_type};
  auto run = promote::RunProcess(node);
  REQUIRE(run.ok());
  INFO("node: " << run->stdout_data << run->stderr_data);
  REQUIRE((run->exit_code == 0 || run->exit_code == 1));
  return nlohmann::json::parse(run->stdout_data);
}

std::string AttachmentTag(const std::string& digest, const std::string& suffix) {
  return "sha256-" + digest.substr(7) + "." + suffix;
}

}  // namespace

TEST_CASE("the signature gate accepts a Sigstore bundle (cosign v3's format) and names one by another key") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  auto stranger = promote::sigstore::GenerateCosignKeyPair(promote::Secret(p.password));
  REQUIRE(stranger.ok());
  const std::string stranger_key = p.dir.Write("stranger.key", stranger->private_key_pem, 0600);
  const std::string gate = "    gates:\n      signature:\n        key: file:" + p.pub_path + "\n";
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app", gate);
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 32});
  const std::string at_dev = dev.host() + "/app@" + img.digest;

  // Signed as a bundle, by a key the gate does not name: refused, naming that bundle.
  auto other = RunPromote({"-o", "json", "sign", "--format", "bundle", at_dev, "--key", stranger_key}, p.env);
  INFO(other.err);
  REQUIRE(other.exit_code == 0);
  const std::string other_referrer = other.Json()["signed"][0]["referrer"];
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);
  REQUIRE(p.Run({"--branch", "release/v1.2.0", "--sha", kSha}).exit_code == 0);
  auto refused = p.Run({"--branch", "main", "--sha", kSha});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 3);
  nlohmann::json refused_gate;
  const nlohmann::json refused_json = refused.Json();
  for (const auto& g : refused_json["gates"]) {
    if (g["name"] == "signature") refused_gate = g;
  }
  REQUIRE(refused_gate.is_object());
  CHECK(refused_gate["verdict"] == "refused");
  const std::string why = refused_gate["detail"];
  CHECK(why.find("no signature by file:" + p.pub_path) != std::string::npos);
  CHECK(why.find(other_referrer + ": no DSSE signature verifies") != std::string::npos);

  // Signed as a bundle with the gate's key, where the image was built: it travels to stage and
  // passes there, key-only (no trusted root is configured). No .sig tag anywhere.
  auto good = RunPromote({"-o", "json", "sign", "--format", "bundle", at_dev, "--key", p.key_path}, p.env);
  INFO(good.err);
  REQUIRE(good.exit_code == 0);
  CHECK(good.Json()["format"] == "bundle");
  REQUIRE(p.Run({"--branch", "release/v1.2.0", "--sha", kSha}).exit_code == 0);
  auto passed = p.Run({"--branch", "main", "--sha", kSha});
  INFO(passed.err);
  REQUIRE(passed.exit_code == 0);
  const nlohmann::json passed_json = passed.Json();
  for (const auto& g : passed_json["gates"]) {
    if (g["name"] != "signature") continue;
    CHECK(g["verdict"] == "passed");
    CHECK(g["data"]["formats_verified"] == nlohmann::json::array({"bundle"}));
    CHECK(g["data"]["bundle_verification"] == "key-only");
    CHECK(g["detail"] == "1 Sigstore bundle(s) (key-only) verified on the source");
  }
  CHECK(TagDigest(dev, "app", AttachmentTag(img.digest, "sig")).empty());
  CHECK(TagDigest(stage, "app", AttachmentTag(img.digest, "sig")).empty());

  // A trusted root that is not one is bad input: exit 2 naming it, before anything is written.
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
                gate + "        trusted-root: file:" + p.pub_path + "\n");
  const uint64_t writes = Writes(prod);
  auto bad_root = p.Run({"--branch", "main", "--sha", kSha});
  CHECK(bad_root.exit_code == 2);
  CHECK(bad_root.Json()["error"]["message"].get<std::string>().find("signature gate trusted root") !=
        std::string::npos);
  CHECK(Writes(prod) == writes);
}

TEST_CASE("signing.format: bundle: every signature and record is a bundle referrer; history, stage order and sigstore-js read them") {
  TestRegistry dev, stage, prod;
  Pipeline p;
  p.signing_format = "bundle";
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 33});
  REQUIRE(p.Run({"--branch", "develop", "--sha", kSha}).exit_code == 0);
  // stage's stage-order gate reads dev's record from a bundle, prod's reads stage's.
  REQUIRE(p.Run({"--branch", "release/v1.2.0", "--sha", kSha}).exit_code == 0);
  auto run = p.Run({"--branch", "main", "--sha", kSha});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json j = run.Json();
  INFO(run.out);
  const std::string signature = j["signature"]["reference"], record = j["record"]["reference"];
  const std::string summary = j["verification_summary"]["reference"];
  CHECK(signature.rfind(prod.host() + "/app@sha256:", 0) == 0);
  CHECK(record.rfind(prod.host() + "/app@sha256:", 0) == 0);
  CHECK(summary.rfind(prod.host() + "/app@sha256:", 0) == 0);  // the SLSA VSA, a bundle too
  for (const TestRegistry* reg : {&dev, &stage, &prod}) {
    CHECK(TagDigest(*reg, "app", AttachmentTag(img.digest, "att")).empty());
    CHECK(TagDigest(*reg, "app", AttachmentTag(img.digest, "sig")).empty());
  }
  for (const char* env : {"dev", "stage", "prod"}) {
    CAPTURE(env);
    nlohmann::json h = HistoryOf(p, kSha, env);
    CHECK(h["promoted"] == true);
    REQUIRE(h["records"].size() >= 1);
    CHECK(h["records"][0]["valid"] == true);
  }
  auto verify = RunPromote({"-o", "json", "verify", "--key", p.pub_path, prod.host() + "/app@" + img.digest});
  INFO(verify.err);
  REQUIRE(verify.exit_code == 0);
  CHECK(verify.Json()["formats_verified"] == nlohmann::json::array({"bundle"}));

  // Again: the record is found, so nothing is signed or recorded twice.
  const uint64_t writes = Writes(prod);
  auto again = p.Run({"--branch", "main", "--sha", kSha});
  REQUIRE(again.exit_code == 0);
  CHECK(again.Json()["status"] == "unchanged");
  CHECK(again.Json()["record"]["reference"] == record);
  CHECK(Writes(prod) == writes);

  // sigstore-js verifies both with the public key; with another key it refuses them.
  auto other = promote::sigstore::GenerateCosignKeyPair(promote::Secret(p.password));
  REQUIRE(other.ok());
  const std::string other_pub = p.dir.Write("other.pub", other->public_key_pem);
  const std::pair<std::string, std::string> bundles[] = {
      {signature, "https://sigstore.dev/cosign/sign/v1"},
      {record, std::string(promote::promotion::kPromotionPredicateType)},
      {summary, std::string(promote::promotion::kVsaPredicateType)}};
  for (const auto& entry : bundles) {
    const std::string& reference = entry.first;
    const std::string& predicate = entry.second;
    CAPTURE(reference);
    const std::string bundle = BundleAt(prod, "app", reference);
    CHECK(SigstoreJsVerify(p.dir, bundle, p.pub_path, img.digest, predicate)["verified"] == true);
    CHECK(SigstoreJsVerify(p.dir, bundle, other_pub, img.digest, predicate)["verified"] == false);
    CHECK(SigstoreJsVerify(p.dir, bundle, p.pub_path, "sha256:" + std::string(64, '0'), predicate)["verified"] ==
          false);
  }

  // A format promote does not know is bad input, named, and nothing is written.
  p.signing_format = "cosign-v3";
  p.WriteConfig(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app");
  auto bad = p.Run({"--branch", "main", "--sha", kSha});
  CHECK(bad.exit_code == 2);
  CHECK((bad.out + bad.err).find("signing format 'cosign-v3' must be cosign or bundle") != std::string::npos);
  CHECK(Writes(prod) == writes);
}
