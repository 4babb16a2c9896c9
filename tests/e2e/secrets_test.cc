// Secrets never leave where they belong: promotions run with known registry passwords, an agent
// token and a key passphrase — through the agent over TLS and in-process, succeeding and failing —
// and every output is searched for them: the CLI's stdout (JSON) and stderr, the agent's log, the
// scanner's command line (/proc/<pid>/cmdline as the kernel saw it) and environment.
#include <doctest/doctest.h>

#include <fstream>
#include <map>

#include "sign/cosign_key.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_registry.h"
#include "util/base64.h"

using namespace promote::testing;

namespace {

std::string ReadOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return in ? std::string(std::istreambuf_iterator<char>(in), {}) : std::string();
}

}  // namespace

TEST_CASE("registry passwords, the agent token and the key passphrase appear in no output, log or scanner argv") {
  RegistryOptions basic;
  basic.auth = RegistryAuth::kBasic;
  RegistryOptions token;
  token.auth = RegistryAuth::kToken;
  TestRegistry dev(basic), stage(token);
  PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 2, 2000, 21});
  TempDir dir;
  std::string record_dir = dir.MakeDir("record");
  const std::string agent_token = "agent-token-" + RandomPassword() + RandomPassword();
  const std::string passphrase = "passphrase-" + RandomPassword();
  auto pair = promote::sign::GenerateCosignKeyPair(promote::Secret(passphrase));
  REQUIRE(pair.ok());
  std::string key = dir.Write("cosign.key", pair->private_key_pem, 0600);
  std::string tokens = dir.Write("tokens", agent_token + "\n", 0600);
  const TestCa& ca = TestCa::Get();

  const std::string scanner =
      "  stub:\n    kind: command\n    executable: \"" + std::string(PROMOTE_SOURCE_DIR) +
      "/tests/e2e/stubs/report_stub.sh\"\n    args: [\"{platform}\", \"{image}\"]\n    format: trivy-json\n"
      "    env:\n      STUB_FIXTURE: \"" + std::string(PROMOTE_FIXTURES_DIR) +
      "/scanners/trivy-slmicro54-clean.json\"\n      STUB_RECORD_DIR: \"" + record_dir + "\"\n";
  ::setenv("SECRETS_TEST_DEV", dev.options().password.c_str(), 1);
  ::setenv("SECRETS_TEST_STAGE", stage.options().password.c_str(), 1);
  ::setenv("SECRETS_TEST_KEY", passphrase.c_str(), 1);
  TestAgent agent("listen: [tcp://127.0.0.1:0]\ntls: {cert: " + ca.server_cert_path() + ", key: " +
                  ca.server_key_path() + "}\nauth: {token_file: " + tokens + "}\nlog: {format: json, level: debug}\n" +
                  "registries:\n  - {host: " + dev.host() + ", username: " + basic.username +
                  ", password: env:SECRETS_TEST_DEV}\n  - {host: " + stage.host() + ", username: " +
                  token.username + ", password: env:SECRETS_TEST_STAGE}\n" +
                  "signing: {key: file:" + key + ", password: env:SECRETS_TEST_KEY}\nscanners:\n" + scanner);
  ::unsetenv("SECRETS_TEST_DEV");
  ::unsetenv("SECRETS_TEST_STAGE");
  ::unsetenv("SECRETS_TEST_KEY");

  std::string config = dir.Write("promote.yaml", "version: 1\nimage: app\nscanners:\n" + scanner +
                                                     "environments:\n  - name: dev\n    registry: " + dev.host() +
                                                     "\n    repository: shop/app\n  - name: stage\n    registry: " +
                                                     stage.host() + "\n    repository: shop/app\n    sign: true\n"
                                                     "    gates:\n      scan:\n        scanners: [stub]\n");
  const std::map<std::string, std::string> remote = {{"PROMOTE_AGENT", agent.Address("tls://")},
                                                     {"PROMOTE_AGENT_CA", ca.ca_cert_path()},
                                                     {"PROMOTE_AGENT_TOKEN", agent_token}};
  const std::string sha = "2b2e927abcdef0123456789abcdef01234567890";
  std::vector<CliRun> runs;
  // Through the agent: a record in dev, the promotion to stage (scan, sign, record), a scan, a
  // history, and failures (a refused branch, an unknown image, a wrong token).
  runs.push_back(RunPromote({"-o", "json", "run", "-c", config, "--branch", "develop", "--sha", sha}, remote));
  REQUIRE_MESSAGE(runs.back().exit_code == 0, runs.back().out << runs.back().err);
  runs.push_back(RunPromote({"-o", "json", "run", "-c", config, "--branch", "release/1.0", "--sha", sha}, remote));
  REQUIRE_MESSAGE(runs.back().exit_code == 0, runs.back().out << runs.back().err);
  runs.push_back(RunPromote({"-o", "json", "scan", stage.host() + "/shop/app:sha-2b2e927", "-c", config, "--env",
                             "stage"},
                            remote));
  CHECK(runs.back().exit_code == 0);
  runs.push_back(RunPromote({"run", "-c", config, "--branch", "feature/x", "--sha", sha, "--to", "stage"}, remote));
  CHECK(runs.back().exit_code == 3);
  runs.push_back(RunPromote({"-o", "json", "copy", dev.host() + "/shop/app:nope", stage.host() + "/shop/other"}, remote));
  CHECK(runs.back().exit_code == 4);
  auto wrong = remote;
  wrong["PROMOTE_AGENT_TOKEN"] = agent_token + "x";
  runs.push_back(RunPromote({"-o", "json", "resolve", dev.host() + "/shop/app:sha-2b2e927"}, wrong));
  CHECK(runs.back().exit_code == 4);
  // In-process, with the passwords in the environment and wrong ones.
  runs.push_back(RunPromote({"-o", "json", "copy", "--src-username", basic.username, "--dst-username", token.username,
                             dev.host() + "/shop/app:sha-2b2e927", stage.host() + "/shop/copy"},
                            {{"PROMOTE_SRC_PASSWORD", dev.options().password},
                             {"PROMOTE_DST_PASSWORD", stage.options().password}}));
  CHECK(runs.back().exit_code == 0);
  runs.push_back(RunPromote({"copy", "--src-username", basic.username, dev.host() + "/shop/app:sha-2b2e927",
                             stage.host() + "/shop/copy2"},
                            {{"PROMOTE_SRC_PASSWORD", stage.options().password}}));
  CHECK(runs.back().exit_code == 4);
  runs.push_back(RunPromote({"-o", "json", "sign", "--key", key, dev.host() + "/shop/app:sha-2b2e927",
                             "--src-username", basic.username},
                            {{"PROMOTE_KEY_PASSWORD", passphrase + "-wrong"},
                             {"PROMOTE_SRC_PASSWORD", dev.options().password}}));
  CHECK(runs.back().exit_code == 2);

  std::string cmdline = ReadOrEmpty(record_dir + "/cmdline");
  std::string environ = ReadOrEmpty(record_dir + "/environ");
  REQUIRE(cmdline.find("@sha256:") != std::string::npos);  // the scanner ran

  const std::vector<std::pair<std::string, std::string>> secrets = {
      {"dev password", dev.options().password},
      {"stage password", stage.options().password},
      {"dev basic-auth header", promote::Base64Encode(basic.username + ":" + dev.options().password)},
      {"agent token", agent_token},
      {"key passphrase", passphrase},
  };
  std::vector<std::pair<std::string, std::string>> outputs = {
      {"agent log", agent.log()}, {"scanner cmdline", cmdline}, {"scanner environ", environ}};
  for (size_t i = 0; i < runs.size(); ++i) {
    outputs.emplace_back("run " + std::to_string(i) + " stdout", runs[i].out);
    outputs.emplace_back("run " + std::to_string(i) + " stderr", runs[i].err);
  }
  int hits = 0;
  for (const auto& output : outputs) {
    for (const auto& named_secret : secrets) {
      // Named copies: doctest's CAPTURE is a lambda, and clang 14 cannot capture structured bindings.
      const std::string& what = output.first;
      const std::string& name = named_secret.first;
      CAPTURE(what);
      CAPTURE(name);
      bool found = output.second.find(named_secret.second) != std::string::npos;
      CHECK_FALSE(found);
      hits += found ? 1 : 0;
    }
  }
  CHECK(hits == 0);
  CHECK(agent.log().find("\"event\":\"unauthenticated\"") != std::string::npos);
}
