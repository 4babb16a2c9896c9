// Who did what through the agent (issue #15): one `audit` line per call naming the caller as the
// agent authenticated it (a named token, an unnamed one by its line, the unix peer's uid/gid),
// with application, environments, commit, digest, verdict and tags; the promotion record names
// the caller too. No token, password or passphrase appears in any line.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sigstore/cosign_key.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

// The agent's audit lines, in order.
std::vector<nlohmann::json> AuditLines(const TestAgent& agent) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(agent.log());
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "audit") out.push_back(std::move(j));
  }
  return out;
}

// The first audit line of `method` by `caller` with `verdict`; fails the test when there is none.
nlohmann::json AuditFor(const TestAgent& agent, const std::string& method, const std::string& caller,
                        const std::string& verdict) {
  for (const auto& j : AuditLines(agent)) {
    if (j.value("method", "") == method && j.value("caller", "") == caller && j.value("verdict", "") == verdict) {
      return j;
    }
  }
  FAIL("no audit line for " << method << " by " << caller << " (" << verdict << "); log:\n" << agent.log());
  return {};
}

}  // namespace

TEST_CASE("every call through the agent leaves an audit line naming its caller; the record names it too") {
  RegistryOptions basic;
  basic.auth = RegistryAuth::kBasic;
  TestRegistry dev(basic), stage(basic), prod(basic);
  SampleImage img = PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1500, 61});
  TempDir dir;
  const std::string named = "tok-" + RandomPassword() + RandomPassword();
  const std::string unnamed = "tok-" + RandomPassword() + RandomPassword();
  // A named token, and one written the way token files were before names existed (line 3).
  const std::string token_file = dir.Write("tokens", "# callers\nci-payments: " + named + "\n" + unnamed + "\n", 0600);
  const std::string passphrase = "key-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(passphrase));
  REQUIRE(pair.ok());
  const std::string key = dir.Write("cosign.key", pair->private_key_pem, 0600);
  const std::string pub = dir.Write("cosign.pub", pair->public_key_pem);
  ::setenv("AUDIT_TEST_KEY_PASSWORD", passphrase.c_str(), 1);
  ::setenv("AUDIT_TEST_DEV_PASSWORD", dev.options().password.c_str(), 1);
  ::setenv("AUDIT_TEST_STAGE_PASSWORD", stage.options().password.c_str(), 1);
  ::setenv("AUDIT_TEST_PROD_PASSWORD", prod.options().password.c_str(), 1);
  const TestCa& ca = TestCa::Get();
  auto registry = [](const TestRegistry& r, const std::string& variable) {
    return "  - {host: " + r.host() + ", username: " + r.options().username + ", password: env:" + variable + "}\n";
  };
  TestAgent agent("listen: [unix://{dir}/agent.sock, tcp://127.0.0.1:0]\ntls: {cert: " + ca.server_cert_path() +
                  ", key: " + ca.server_key_path() + "}\nauth: {token-file: " + token_file +
                  "}\nlog: {format: json, level: warn}\nsigning: {key: file:" + key +
                  ", password: env:AUDIT_TEST_KEY_PASSWORD}\nregistries:\n" +
                  registry(dev, "AUDIT_TEST_DEV_PASSWORD") + registry(stage, "AUDIT_TEST_STAGE_PASSWORD") +
                  registry(prod, "AUDIT_TEST_PROD_PASSWORD"));
  for (const char* v : {"AUDIT_TEST_KEY_PASSWORD", "AUDIT_TEST_DEV_PASSWORD", "AUDIT_TEST_STAGE_PASSWORD",
                        "AUDIT_TEST_PROD_PASSWORD"}) {
    ::unsetenv(v);
  }
  const std::map<std::string, std::string> as_payments = {
      {"PROMOTE_AGENT", agent.Address("tls://")}, {"PROMOTE_AGENT_CA", ca.ca_cert_path()}, {"PROMOTE_AGENT_TOKEN", named}};
  auto as_unnamed = as_payments;
  as_unnamed["PROMOTE_AGENT_TOKEN"] = unnamed;
  const std::map<std::string, std::string> over_unix = {{"PROMOTE_AGENT", agent.Address("unix://")}};

  auto environments = [&](const std::string& stage_host) {
    return "version: 1\nimage: payment-svc\nenvironments:\n"
           "  - name: dev\n    registry: " + dev.host() + "\n    repository: shop/app\n"
           "  - name: stage\n    registry: " + stage_host + "\n    repository: shop/app\n    mutable-tags: [stage]\n"
           "    sign: true\n"
           "  - name: prod\n    registry: " + prod.host() + "\n    repository: shop/app\n";
  };
  const std::string config = dir.Write("promote.yaml", environments(stage.host()));
  const std::string sha = "2b2e927abcdef0123456789abcdef01234567890";

  // dev's record, by the unnamed token.
  auto to_dev = RunPromote({"-o", "json", "run", "-c", config, "--branch", "develop", "--sha", sha}, as_unnamed);
  INFO(to_dev.out << to_dev.err);
  REQUIRE(to_dev.exit_code == 0);
  auto line = AuditFor(agent, "Run", "token:line-3", "promoted");
  CHECK(line["to_env"] == "dev");
  CHECK(line["application"] == "payment-svc");

  SUBCASE("a refusal") {
    auto skip = RunPromote({"-o", "json", "run", "-c", config, "--branch", "main", "--sha", sha, "--from", "dev"},
                           as_payments);
    CHECK(skip.exit_code == 3);
    line = AuditFor(agent, "Run", "token:ci-payments", "refused");
    CHECK_FALSE(line.value("request_id", "").empty());
    CHECK(line["application"] == "payment-svc");
    CHECK(line["from_env"] == "dev");
    CHECK(line["to_env"] == "prod");
    CHECK(line["commit"] == sha);
    CHECK(line["exit_code"] == 3);
    CHECK(line["error_code"] == "gate_refused");
    CHECK_FALSE(line.contains("tags_written"));
  }
  SUBCASE("a promotion; its record names the caller") {
    auto promoted = RunPromote({"-o", "json", "run", "-c", config, "--branch", "release/1.0", "--sha", sha}, as_payments);
    INFO(promoted.out << promoted.err);
    REQUIRE(promoted.exit_code == 0);
    line = AuditFor(agent, "Run", "token:ci-payments", "promoted");
    CHECK(line["application"] == "payment-svc");
    CHECK(line["from_env"] == "dev");
    CHECK(line["to_env"] == "stage");
    CHECK(line["commit"] == sha);
    CHECK(line["digest"] == img.digest);
    CHECK(line["tags_written"].size() >= 1);
    CHECK(line["exit_code"] == 0);
    CHECK_FALSE(line.value("request_id", "").empty());
    CHECK(line["peer"].get<std::string>().rfind("ipv4:127.0.0.1:", 0) == 0);

    auto history = RunPromote({"-o", "json", "history", "-c", config, "--sha", sha, "--key", pub}, over_unix);
    INFO(history.out << history.err);
    REQUIRE(history.exit_code == 0);
    std::map<std::string, std::string> caller_by_env;
    const nlohmann::json history_json = history.Json();  // kept: the loop below walks into it
    for (const auto& env : history_json["environments"]) {
      for (const auto& r : env["records"]) {
        if (r["valid"] == true) caller_by_env[env["env"].get<std::string>()] = r.value("caller", "");
      }
    }
    CHECK(caller_by_env["dev"] == "token:line-3");
    CHECK(caller_by_env["stage"] == "token:ci-payments");
    // A read is audited too, under the unix peer's uid and gid.
    AuditFor(agent, "History", "unix:uid=" + std::to_string(::geteuid()) + ",gid=" + std::to_string(::getegid()),
             "ok");
  }
  SUBCASE("a failure, over the unix socket: the caller is the peer's uid and gid") {
    const std::string broken = dir.Write("broken.yaml", environments("127.0.0.1:1"));
    auto failed = RunPromote({"-o", "json", "run", "-c", broken, "--branch", "release/1.0", "--sha", sha}, over_unix);
    CHECK(failed.exit_code == 4);
    line = AuditFor(agent, "Run", "unix:uid=" + std::to_string(::geteuid()) + ",gid=" + std::to_string(::getegid()),
                    "failed");
    CHECK(line["application"] == "payment-svc");
    CHECK(line["to_env"] == "stage");
    CHECK(line["commit"] == sha);
    CHECK(line["exit_code"] == 4);
    CHECK(line["error_code"] == "unavailable");
  }
  SUBCASE("a caller with a wrong token is audited as unauthenticated") {
    auto wrong = as_payments;
    wrong["PROMOTE_AGENT_TOKEN"] = "tok-" + RandomPassword() + RandomPassword();
    auto refused = RunPromote({"-o", "json", "resolve", dev.host() + "/shop/app:sha-2b2e927"}, wrong);
    CHECK(refused.exit_code == 4);
    AuditFor(agent, "Resolve", "unauthenticated", "unauthenticated");
    CHECK(agent.log().find(wrong["PROMOTE_AGENT_TOKEN"]) == std::string::npos);
  }

  // Audit lines are written at log.level warn as well, and no secret is in any line.
  const std::string log = agent.log();
  CHECK_FALSE(AuditLines(agent).empty());
  for (const std::string& secret : {named, unnamed, passphrase, dev.options().password, stage.options().password,
                                    prod.options().password}) {
    CHECK(log.find(secret) == std::string::npos);
  }
}

TEST_CASE("a token file with a name used twice or a named token too short stops the agent, naming the line") {
  TempDir dir;
  const std::string token = "tok-" + RandomPassword() + RandomPassword();
  struct Case {
    const char* name;
    std::string tokens;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"a name used twice", "ci: " + token + "\n# another\nci: " + token + "x\n", "tokens:3: the name 'ci' is used twice"},
      {"a named token too short", "ci: short-token\n", "tokens:1: tokens must be at least 16 characters"},
      {"a name without a token", "ci-payments: \n", "tokens:1: tokens must be at least 16 characters"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const std::string tokens = dir.Write("tokens", c.tokens, 0600);
    const std::string yaml =
        dir.Write("agent.yaml", "listen: [tcp://127.0.0.1:0]\nauth: {token-file: " + tokens + "}\n");
    auto run = RunPromote({"-o", "json", "agent", "-c", yaml}, {}, 30);
    CHECK(run.exit_code == 2);
    CHECK_MESSAGE(run.err.find(c.expect) != std::string::npos, run.err);
    CHECK(run.err.find(token) == std::string::npos);
    CHECK(run.out.find(token) == std::string::npos);
  }
}
