// agent.yaml's policy, end to end: the real agent on its unix socket and on TCP with a token, the
// real CLI sending promote.yaml files a branch could have edited, real registries. Each way of
// loosening the policy is refused before anything is written; a promote.yaml that tightens it is
// accepted and its tighter gate applies.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "sigstore/cosign_key.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

const std::string kSha = "2b2e927abcdef0123456789abcdef01234567890";

// The stub scanner reports one fixed CRITICAL (CVE-2019-18224) and one unfixed LOW
// (CVE-2019-18276). The policy accepts the CRITICAL, so fail-on HIGH passes and LOW refuses.
struct PolicySetup {
  TempDir dir;
  TestRegistry dev, stage, prod;
  std::string record_dir = dir.MakeDir("record");
  std::string token = "token-" + RandomPassword();
  std::unique_ptr<TestAgent> agent;
  SampleImage image;

  PolicySetup() {
    image = PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1500, 31});
    const std::string password = "key-" + RandomPassword();
    auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
    REQUIRE(pair.ok());
    std::string key = dir.Write("agent-cosign.key", pair->private_key_pem, 0600);
    std::string tokens = dir.Write("tokens", token + "\n", 0600);
    ::setenv("POLICY_TEST_KEY_PASSWORD", password.c_str(), 1);
    agent = std::make_unique<TestAgent>(
        "listen: [unix://{dir}/agent.sock, tcp://127.0.0.1:0]\nauth: {token-file: " + tokens + "}\n"
        "log: {format: json}\n"
        "signing: {key: file:" + key + ", password: env:POLICY_TEST_KEY_PASSWORD}\n"
        "scanners:\n  stub:\n    kind: command\n    executable: \"" + std::string(PROMOTE_SOURCE_DIR) +
        "/tests/e2e/stubs/report_stub.sh\"\n    args: [\"{platform}\", \"{image}\"]\n    format: trivy-json\n"
        "    env:\n      STUB_FIXTURE: \"" + std::string(PROMOTE_FIXTURES_DIR) +
        "/scanners/trivy-debian-buster-unfixed.json\"\n      STUB_RECORD_DIR: \"" + record_dir + "\"\n"
        "policy:\n"
        "  - applications: [app]\n"
        "    environments:\n"
        "      - name: dev\n"
        "        repositories: [\"" + dev.host() + "/shop/*\"]\n"
        "        branches: [develop]\n"
        "      - name: stage\n"
        "        repositories: [\"" + stage.host() + "/shop/*\"]\n"
        "        branches: [\"release/*\"]\n"
        "        after: dev\n"
        "        scan: {scanners: [stub], fail-on: HIGH, allow: [CVE-2019-18224]}\n"
        "      - name: prod\n"
        "        repositories: [\"" + prod.host() + "/shop/*\"]\n"
        "        branches: [main]\n"
        "        after: stage\n"
        "        sign: true\n");
    ::unsetenv("POLICY_TEST_KEY_PASSWORD");
  }

  // promote.yaml as a branch might write it; the compliant one by default.
  std::string Config(const std::string& name, const std::string& stage_gate = "        fail-on: HIGH\n",
                     const std::string& extra_top = "", const std::string& prod_repository = "shop/app",
                     const std::string& extra_branches = "", bool with_scan = true) {
    return dir.Write(
        name, "version: 1\nimage: app\n" + extra_top +
                  "scanners:\n  stub: {kind: command, executable: /bin/true, format: trivy-json}\n"
                  "environments:\n  - name: dev\n    registry: " + dev.host() + "\n    repository: shop/app\n"
                  "  - name: stage\n    registry: " + stage.host() + "\n    repository: shop/app\n" +
                  (with_scan ? "    gates:\n      scan:\n        scanners: [stub]\n" + stage_gate +
                                   "        allow: [{id: CVE-2019-18224, reason: not reachable}]\n"
                             : std::string()) +
                  "  - name: prod\n    registry: " + prod.host() + "\n    repository: " + prod_repository +
                  "\n    sign: true\n" + extra_branches);
  }

  CliRun Run(const std::string& transport, const std::string& config, const std::string& branch,
             const std::string& to) {
    std::map<std::string, std::string> env;
    std::string address = agent->Address(transport);
    if (transport == "tcp://") env["PROMOTE_AGENT_TOKEN"] = token;
    return RunPromote({"--agent", address, "-o", "json", "run", "-c", config, "--branch", branch, "--sha", kSha,
                       "--to", to},
                      env);
  }
};

}  // namespace

TEST_CASE("agent.yaml policy: a promote.yaml cannot loosen it, over the unix socket and over TCP with a token") {
  PolicySetup s;
  auto dev = s.Run("unix://", s.Config("promote.yaml"), "develop", "dev");
  INFO(dev.out << dev.err);
  REQUIRE(dev.exit_code == 0);

  struct Case {
    const char* name;
    std::string config, branch, to;
    int exit_code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"(a) the scan gate removed", s.Config("a.yaml", "", "", "shop/app", "", false), "release/1.0", "stage", 3,
       "the scan gate must run"},
      {"(b) fail-on raised from HIGH to CRITICAL", s.Config("b.yaml", "        fail-on: CRITICAL\n"), "release/1.0",
       "stage", 3, "fail-on CRITICAL is looser than the policy's HIGH"},
      {"(c) feature/* mapped to prod",
       s.Config("c.yaml", "        fail-on: HIGH\n", "", "shop/app",
                "branches:\n  - {pattern: develop, to: [dev]}\n  - {pattern: \"release/*\", to: [stage]}\n"
                "  - {pattern: \"feature/*\", to: [prod]}\n"),
       "feature/x", "prod", 3, "branch 'feature/x' may not promote here"},
      {"(d) prod written outside the policy's repositories", s.Config("d.yaml", "        fail-on: HIGH\n", "", "elsewhere/app"),
       "main", "prod", 3, "which no environment of the policy may write"},
      {"(e) a signing: block", s.Config("e.yaml", "        fail-on: HIGH\n", "signing: {key: file:/etc/cosign.key}\n"),
       "release/1.0", "stage", 2, "allow-request-credentials: false"},
      {"an acceptance the policy does not list",
       s.Config("f.yaml", "        fail-on: HIGH\n        allow: [{id: CVE-2019-18276, reason: mine}]\n"), "release/1.0",
       "stage", 3, "accepting CVE-2019-18276 is not allowed"},
  };
  for (const char* transport : {"unix://", "tcp://"}) {
    for (const auto& c : cases) {
      CAPTURE(transport);
      CAPTURE(c.name);
      auto run = s.Run(transport, c.config, c.branch, c.to);
      INFO(run.out << run.err);
      CHECK(run.exit_code == c.exit_code);
      if (c.exit_code == 3) {
        CHECK(run.Json()["error"]["code"] == "gate_refused");
        CHECK(run.Json()["error"]["message"].get<std::string>().find(".yaml:") != std::string::npos);  // the rule's line
      }
      CHECK(run.out.find(c.says) != std::string::npos);
    }
  }
  CHECK(Writes(s.stage) == 0);
  CHECK(Writes(s.prod) == 0);

  // A direct copy into a repository the policy covers would skip every gate: refused too.
  auto copy = RunPromote({"--agent", s.agent->Address("unix://"), "-o", "json", "copy",
                          s.dev.host() + "/shop/app:sha-2b2e927", s.stage.host() + "/shop/app:copied"});
  INFO(copy.out << copy.err);
  CHECK(copy.exit_code == 3);
  CHECK(copy.out.find("only `promote run`") != std::string::npos);
  CHECK(Writes(s.stage) == 0);

  // Tighter than the policy: accepted, and the tighter gate decides (the LOW finding refuses).
  auto tighter = s.Run("tcp://", s.Config("tight.yaml", "        fail-on: LOW\n"), "release/1.0", "stage");
  INFO(tighter.out << tighter.err);
  CHECK(tighter.exit_code == 3);
  CHECK(tighter.out.find("scan gate refused") != std::string::npos);
  CHECK(tighter.out.find("CVE-2019-18276") != std::string::npos);

  // As the policy asks: promoted.
  auto stage = s.Run("tcp://", s.Config("promote.yaml"), "release/1.0", "stage");
  INFO(stage.out << stage.err);
  CHECK(stage.exit_code == 0);
  CHECK(stage.Json()["status"] == "promoted");
}

// promote.yaml names its own approvers; the policy's `approvers:` decides who may approve into
// prod and for whom the agent signs, so a pipeline cannot approve its own promotion.
TEST_CASE("agent.yaml policy: approvers — the agent signs only for the policy's, promote.yaml lists only them") {
  TempDir dir;
  TestRegistry stage, prod;
  PushSampleImage(stage, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 900, 7});
  const std::string password = "key-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
  REQUIRE(pair.ok());
  auto dave = promote::sigstore::GenerateCosignKeyPair(promote::Secret("dave-pass"));
  REQUIRE(dave.ok());
  const std::string key = dir.Write("agent-cosign.key", pair->private_key_pem, 0600);
  const std::string dave_pub = dir.Write("dave.pub", dave->public_key_pem);
  ::setenv("POLICY_TEST_KEY_PASSWORD", password.c_str(), 1);
  TestAgent agent(
      "listen: [unix://{dir}/agent.sock]\n"
      "signing: {key: file:" + key + ", password: env:POLICY_TEST_KEY_PASSWORD}\n"
      "policy:\n"
      "  - applications: [app]\n"
      "    environments:\n"
      "      - {name: stage, repositories: [\"" + stage.host() + "/shop/*\"], branches: [\"release/*\"]}\n"
      "      - name: prod\n"
      "        repositories: [\"" + prod.host() + "/shop/*\"]\n"
      "        branches: [main]\n"
      "        approval: {required: 1, approvers: [alice, bob, {identity: dave, key: " + dave_pub + "}]}\n");
  ::unsetenv("POLICY_TEST_KEY_PASSWORD");
  auto config = [&](const std::string& name, const std::string& approvers) {
    return dir.Write(name, "version: 1\nimage: app\nenvironments:\n"
                           "  - {name: stage, registry: " + stage.host() + ", repository: shop/app}\n"
                           "  - name: prod\n    registry: " + prod.host() + "\n    repository: shop/app\n"
                           "    stage-order: false\n    gates:\n      approval: {required: 1, approvers: " +
                               approvers + "}\n");
  };
  const std::string hostile = config("hostile.yaml", "[alice, mallory, dave]");
  auto approve = [&](const std::string& cfg, const std::string& who) {
    return RunPromote({"--agent", agent.Address("unix://"), "-o", "json", "approve", "-c", cfg, "--env", "prod",
                       "--sha", kSha, "--approver", who});
  };
  const uint64_t writes_before = stage.RequestCount("PUT", "");

  auto mallory = approve(hostile, "mallory");  // promote.yaml lists mallory; the policy does not
  INFO(mallory.out << mallory.err);
  CHECK(mallory.exit_code == 3);
  CHECK(mallory.out.find("'mallory' may not approve here (the policy's approvers: alice, bob, dave)") !=
        std::string::npos);
  auto dave_by_agent = approve(hostile, "dave");  // dave has a key: the agent does not vouch for him
  INFO(dave_by_agent.out << dave_by_agent.err);
  CHECK(dave_by_agent.exit_code == 3);
  CHECK(dave_by_agent.out.find("the agent does not sign for them") != std::string::npos);
  CHECK(stage.RequestCount("PUT", "") == writes_before);  // nothing written

  auto alice = approve(hostile, "alice");
  INFO(alice.out << alice.err);
  CHECK(alice.exit_code == 0);
  CHECK(alice.Json()["status"] == "approved");

  // A run whose promote.yaml lists an approver the policy does not: refused before any write.
  auto run = RunPromote({"--agent", agent.Address("unix://"), "-o", "json", "run", "-c", hostile, "--branch", "main",
                         "--sha", kSha, "--to", "prod"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 3);
  CHECK(run.out.find("approver 'mallory' is not one the policy allows") != std::string::npos);
  CHECK(prod.RequestCount("PUT", "") == 0);

  // Within the policy, alice's approval counts and prod is promoted.
  auto good = RunPromote({"--agent", agent.Address("unix://"), "-o", "json", "run", "-c",
                          config("good.yaml", "[alice, bob]"), "--branch", "main", "--sha", kSha, "--to", "prod"});
  INFO(good.out << good.err);
  CHECK(good.exit_code == 0);
  CHECK(good.Json()["status"] == "promoted");
}

// A rollback moves an environment's tags back, which is a write there: through the agent the
// environment's rule decides which branches may, and in which repositories, as for a promotion.
TEST_CASE("agent.yaml policy: a rollback through the agent is held to the environment's rule") {
  PolicySetup s;
  const std::string kSha2 = "7c1d0e5abcdef0123456789abcdef0123456789a";
  SampleImage second = PushSampleImage(s.dev, "shop/app", "sha-7c1d0e5", {{"linux/amd64"}, 1, 1700, 37});
  auto config = [&](const std::string& name, const std::string& repository) {
    return s.dir.Write(name, "version: 1\nimage: app\nenvironments:\n  - {name: dev, registry: " + s.dev.host() +
                                 ", repository: " + repository + ", mutable-tags: [current]}\n");
  };
  const std::string good = config("rollback.yaml", "shop/app");
  const std::string unix_agent = s.agent->Address("unix://");
  // No branch from the test's own environment: the CLI would read these for --branch.
  const std::map<std::string, std::string> no_ci = {{"BRANCH_NAME", ""}, {"GITHUB_REF_NAME", ""}, {"GIT_BRANCH", ""}};
  for (const std::string& sha : {kSha, kSha2}) {
    auto run = RunPromote({"--agent", unix_agent, "-o", "json", "run", "-c", good, "--branch", "develop", "--sha", sha,
                           "--to", "dev"});
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
  }
  auto current = [&] {
    auto r = RunPromote({"-o", "json", "resolve", s.dev.host() + "/shop/app:current"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return r.Json()["digest"].get<std::string>();
  };
  REQUIRE(current() == second.digest);
  const uint64_t writes_before = Writes(s.dev);

  struct Case {
    const char* name;
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> refused = {
      {"a branch the rule does not allow", {"-c", good, "--branch", "feature/x"},
       "branch 'feature/x' may not roll back here (the policy allows develop)"},
      {"no branch at all", {"-c", good}, "a rollback names the branch it runs for"},
      {"a repository no rule covers", {"-c", config("elsewhere.yaml", "elsewhere/app"), "--branch", "develop"},
       "which no environment of the policy may write"},
  };
  for (const char* transport : {"unix://", "tcp://"}) {
    std::map<std::string, std::string> env = no_ci;
    if (std::string(transport) == "tcp://") env["PROMOTE_AGENT_TOKEN"] = s.token;
    for (const auto& c : refused) {
      CAPTURE(transport);
      CAPTURE(c.name);
      std::vector<std::string> args = {"--agent", s.agent->Address(transport), "-o", "json", "rollback", "--env", "dev"};
      args.insert(args.end(), c.args.begin(), c.args.end());
      auto back = RunPromote(args, env);
      INFO(back.out << back.err);
      CHECK(back.exit_code == 3);
      CHECK(back.Json()["error"]["code"] == "gate_refused");
      CHECK(back.out.find(c.says) != std::string::npos);
    }
  }
  CHECK(Writes(s.dev) == writes_before);  // nothing moved, nothing recorded
  CHECK(current() == second.digest);

  // The branch the rule allows rolls dev back to the first commit.
  auto back = RunPromote({"--agent", unix_agent, "-o", "json", "rollback", "--env", "dev", "-c", good},
                         {{"BRANCH_NAME", "develop"}});
  INFO(back.out << back.err);
  CHECK(back.exit_code == 0);
  CHECK(current() == s.image.digest);
}
