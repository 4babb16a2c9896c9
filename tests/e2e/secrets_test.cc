// Secrets never leave where they belong: promotions run with known registry passwords, an agent
// token and a key passphrase — through the agent over TLS and in-process, succeeding and failing —
// and every output is searched for them: the CLI's stdout (JSON) and stderr, the agent's log, the
// scanner's command line (/proc/<pid>/cmdline as the kernel saw it) and environment. A credential
// helper's and a scanner's environment hold only what they need; promote killed with SIGKILL
// during a scan leaves no secret file and no scanner behind.
#include <doctest/doctest.h>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "sigstore/cosign_key.h"
#include "tests/support/child_process.h"
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
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(passphrase));
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
                  ca.server_key_path() + "}\nauth: {token-file: " + tokens + "}\nlog: {format: json, level: debug}\n" +
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

namespace {

std::string Stub(const std::string& name) { return std::string(PROMOTE_SOURCE_DIR) + "/tests/e2e/stubs/" + name; }

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string FirstLine(const std::string& path) {
  std::string text = ReadOrEmpty(path);
  return text.substr(0, text.find('\n'));
}

bool EmptyDirectory(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return false;
  int entries = 0;
  while (dirent* e = ::readdir(d)) {
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") ++entries;
  }
  ::closedir(d);
  return entries == 0;
}

// Whether a running process mentions `text` in its command line (the watchdog names the paths it
// is to remove there).
bool ProcessMentions(const std::string& text) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return false;
  bool found = false;
  while (dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string cmdline = ReadOrEmpty(std::string("/proc/") + e->d_name + "/cmdline");
    const bool zombie = ReadOrEmpty(std::string("/proc/") + e->d_name + "/stat").find(") Z ") != std::string::npos;
    if (cmdline.find(text) != std::string::npos && !zombie) {
      found = true;
      break;
    }
  }
  ::closedir(proc);
  return found;
}

// Each named secret found in `text`, as "what: secret name" lines (empty: none).
std::string SecretsIn(const std::string& text, const std::vector<std::pair<std::string, std::string>>& secrets) {
  std::string found;
  for (const auto& [name, value] : secrets) {
    if (!value.empty() && text.find(value) != std::string::npos) found += name + "\n";
  }
  return found;
}

}  // namespace

TEST_CASE("a credential helper and a scanner get only the variables they need, none of promote's secrets") {
  RegistryOptions basic;
  basic.auth = RegistryAuth::kBasic;
  TestRegistry dev(basic), stage(basic);
  PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 5});
  TempDir dir;
  const std::string record_dir = dir.MakeDir("record");
  const std::string runtime_dir = dir.MakeDir("run");
  // dev's credentials come from a credential helper the docker config names; stage's from a
  // promote.yaml reference to a variable whose name a cloud helper would otherwise get (AWS_*).
  const std::string helper_dir = dir.MakeDir("helper");
  REQUIRE(::symlink(Stub("credential_helper_stub.sh").c_str(),
                    (helper_dir + "/docker-credential-promote-test").c_str()) == 0);
  dir.Write("helper/credentials.json", nlohmann::json{{"Username", basic.username},
                                                      {"Secret", dev.options().password}}.dump());
  const std::string docker_dir = dir.MakeDir("docker");
  dir.Write("docker/config.json", nlohmann::json{{"credHelpers", {{dev.host(), "promote-test"}}}}.dump());
  const std::string passphrase = "passphrase-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(passphrase));
  REQUIRE(pair.ok());
  const std::string key = dir.Write("cosign.key", pair->private_key_pem, 0600);
  const std::string config = dir.Write(
      "promote.yaml",
      "version: 1\nimage: app\nsigning:\n  key: file:" + key + "\n  password: env:PROMOTE_KEY_PASSWORD\n" +
          "scanners:\n  stub:\n    kind: command\n    executable: \"" + Stub("report_stub.sh") +
          "\"\n    args: [\"{platform}\", \"{image}\"]\n    format: trivy-json\n    env:\n      STUB_FIXTURE: \"" +
          std::string(PROMOTE_FIXTURES_DIR) + "/scanners/trivy-slmicro54-clean.json\"\n      STUB_RECORD_DIR: \"" +
          record_dir + "\"\nenvironments:\n  - name: dev\n    registry: " + dev.host() +
          "\n    repository: shop/app\n  - name: stage\n    registry: " + stage.host() +
          "\n    repository: shop/app\n    stage-order: false\n    sign: true\n    credentials:\n      username: " +
          basic.username + "\n      password: env:AWS_PROMOTE_TEST_STAGE_PASSWORD\n" +
          "    gates:\n      scan:\n        scanners: [stub]\n");
  const std::string agent_token = "agent-token-" + RandomPassword();
  const std::string cosign_password = "cosign-" + RandomPassword();
  const std::string path = helper_dir + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  auto run = RunPromote({"-o", "json", "run", "-c", config, "--branch", "release/1.0", "--sha",
                         "2b2e927abcdef0123456789abcdef01234567890"},
                        {{"PATH", path},
                         {"DOCKER_CONFIG", docker_dir},
                         {"XDG_RUNTIME_DIR", runtime_dir},
                         {"AWS_PROMOTE_TEST_STAGE_PASSWORD", stage.options().password},
                         {"PROMOTE_KEY_PASSWORD", passphrase},
                         {"COSIGN_PASSWORD", cosign_password},
                         {"PROMOTE_AGENT_TOKEN", agent_token},
                         {"AWS_REGION", "eu-test-1"},
                         {"TZ", "UTC"},
                         {"NO_PROXY", "127.0.0.1,localhost"}});
  REQUIRE_MESSAGE(run.exit_code == 0, run.out << run.err);

  const std::vector<std::pair<std::string, std::string>> secrets = {
      {"stage password", stage.options().password},
      {"stage password's variable", "AWS_PROMOTE_TEST_STAGE_PASSWORD"},
      {"key passphrase", passphrase},
      {"cosign password", cosign_password},
      {"agent token", agent_token},
      {"a PROMOTE_ variable", "PROMOTE_"},
  };
  // The helper was asked about dev (the source), once or more; every time it saw the same.
  CHECK(ReadOrEmpty(helper_dir + "/record/servers").find(dev.host()) != std::string::npos);
  int helper_runs = 0;
  DIR* d = ::opendir((helper_dir + "/record").c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = ::readdir(d)) {
    if (std::string(e->d_name).rfind("environ.", 0) != 0) continue;
    ++helper_runs;
    const std::string environ = ReadOrEmpty(helper_dir + "/record/" + e->d_name);
    CHECK_MESSAGE(SecretsIn(environ, secrets).empty(), "helper saw:\n" << SecretsIn(environ, secrets));
    for (const char* needed : {"AWS_REGION=eu-test-1\n", "TZ=UTC\n", "NO_PROXY=127.0.0.1,localhost\n", "HOME=",
                               "PATH="}) {
      CHECK_MESSAGE(environ.find(needed) != std::string::npos, "helper lacks " << needed);
    }
  }
  ::closedir(d);
  CHECK(helper_runs >= 1);

  // The scanner: no secret either, the generic variables, and the source's credentials in a
  // docker config in memory-backed storage (XDG_RUNTIME_DIR here), gone after the run.
  const std::string scanner_env = ReadOrEmpty(record_dir + "/environ");
  REQUIRE(!scanner_env.empty());
  CHECK_MESSAGE(SecretsIn(scanner_env, secrets).empty(), "scanner saw:\n" << SecretsIn(scanner_env, secrets));
  CHECK(scanner_env.find("AWS_REGION") == std::string::npos);  // a cloud helper's, not a scanner's
  for (const std::string& needed : std::vector<std::string>{"TZ=UTC\n", "NO_PROXY=127.0.0.1,localhost\n", "DOCKER_CONFIG=" + runtime_dir + "/"}) {
    CHECK_MESSAGE(scanner_env.find(needed) != std::string::npos, "scanner lacks " << needed);
  }
  CHECK(ReadOrEmpty(record_dir + "/docker_config.json").find(dev.host()) != std::string::npos);
  CHECK(EmptyDirectory(runtime_dir));
}

TEST_CASE("kill -9 of promote during a scan: the secret docker config is removed and the scanner stopped") {
  RegistryOptions basic;
  basic.auth = RegistryAuth::kBasic;
  TestRegistry dev(basic), stage;
  PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 6});
  TempDir dir;
  const std::string record_dir = dir.MakeDir("record");
  const std::string runtime_dir = dir.MakeDir("run");
  const std::string tmp_dir = dir.MakeDir("tmp");
  const std::string config = dir.Write(
      "promote.yaml", "version: 1\nimage: app\nscanners:\n  slow:\n    kind: command\n    executable: \"" +
                          Stub("slow_scanner.sh") + "\"\n    format: trivy-json\n    env:\n      STUB_RECORD_DIR: \"" +
                          record_dir + "\"\nenvironments:\n  - name: dev\n    registry: " + dev.host() +
                          "\n    repository: shop/app\n    credentials:\n      username: " + basic.username +
                          "\n      password: env:DEV_REGISTRY_PASSWORD\n  - name: stage\n    registry: " +
                          stage.host() + "\n    repository: shop/app\n    stage-order: false\n" +
                          "    gates:\n      scan:\n        scanners: [slow]\n");
  // `env` sets the CLI's variables and execs it: the pid is the CLI's.
  ChildProcess cli({"/usr/bin/env", "XDG_RUNTIME_DIR=" + runtime_dir, "TMPDIR=" + tmp_dir, "HOME=" + dir.path(),
                    "DEV_REGISTRY_PASSWORD=" + dev.options().password, PromoteBinary(), "run", "-c", config,
                    "--branch", "release/1.0", "--sha", "2b2e927abcdef0123456789abcdef01234567890"},
                   dir.path() + "/cli.log");
  REQUIRE_MESSAGE(WaitUntil([&] { return Exists(record_dir + "/pgid") || !cli.Running(); }, std::chrono::seconds(60)),
                  ReadOrEmpty(dir.path() + "/cli.log"));
  REQUIRE_MESSAGE(Exists(record_dir + "/pgid"), ReadOrEmpty(dir.path() + "/cli.log"));
  const pid_t pgid = std::atoi(FirstLine(record_dir + "/pgid").c_str());
  const std::string docker_config = FirstLine(record_dir + "/docker_config_dir");
  const std::string scan_home = FirstLine(record_dir + "/home");
  REQUIRE(pgid > 0);
  REQUIRE(docker_config.rfind(runtime_dir + "/", 0) == 0);  // memory-backed storage, not TMPDIR
  REQUIRE(Exists(docker_config + "/config.json"));
  REQUIRE(ReadOrEmpty(docker_config + "/config.json").find("\"auth\"") != std::string::npos);
  REQUIRE(scan_home.rfind(tmp_dir + "/", 0) == 0);
  REQUIRE(ProcessGroupRunning(pgid));
  const std::string secret_dir = docker_config.substr(0, docker_config.rfind('/'));
  REQUIRE(ProcessMentions(secret_dir));  // the watchdog, waiting

  const auto killed_at = std::chrono::steady_clock::now();
  REQUIRE(::kill(cli.pid(), SIGKILL) == 0);
  const bool cleaned = WaitUntil(
      // The watchdog removes the config, then the directory holding it: wait for both.
      [&] { return !ProcessGroupRunning(pgid) && !Exists(docker_config) && EmptyDirectory(runtime_dir) &&
                   EmptyDirectory(tmp_dir); },
      std::chrono::seconds(5));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at);
  MESSAGE("cleaned up " << took.count() << " ms after kill -9");
  CHECK(cleaned);
  CHECK_FALSE(ProcessGroupRunning(pgid));
  CHECK_FALSE(Exists(docker_config));
  CHECK(EmptyDirectory(runtime_dir));
  CHECK(EmptyDirectory(tmp_dir));  // the scan's home, report and work directories too
  CHECK(WaitUntil([&] { return !ProcessMentions(secret_dir); }, std::chrono::seconds(5)));  // the watchdog is done
  CHECK(stage.RequestCount("PUT", "") == 0);
}

TEST_CASE("PROMOTE_SIGNING_KEY holding the key itself (PEM, as CI secrets arrive) signs, in-process and via an agent") {
  TestRegistry dev, stage;
  PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 500, 31});
  TempDir dir;
  const std::string passphrase = "passphrase-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(passphrase));
  REQUIRE(pair.ok());
  const std::string pem = pair->private_key_pem;
  // A line from the middle of the encrypted key: found in an output, the key was echoed.
  const std::string key_line = pem.substr(pem.find('\n') + 1, 60);
  std::string config = dir.Write(
      "promote.yaml", "version: 1\nimage: app\nsigning: {key: env:PROMOTE_SIGNING_KEY, password: env:PROMOTE_KEY_PASSWORD}\n"
                      "environments:\n  - name: dev\n    registry: " + dev.host() +
                          "\n    repository: shop/app\n  - name: stage\n    registry: " + stage.host() +
                          "\n    repository: shop/app\n    sign: true\n");
  const std::string sha = "2b2e927abcdef0123456789abcdef01234567890";
  TestAgent agent("listen: [unix://{dir}/agent.sock]\nallow-request-credentials: true\nlog: {format: json, level: debug}\n");

  std::vector<CliRun> runs;
  std::map<std::string, std::string> env = {{"PROMOTE_SIGNING_KEY", pem}, {"PROMOTE_KEY_PASSWORD", passphrase}};
  runs.push_back(RunPromote({"-o", "json", "run", "-c", config, "--branch", "develop", "--sha", sha}, env));
  CHECK_MESSAGE(runs.back().exit_code == 0, runs.back().out << runs.back().err);
  auto remote = env;
  remote["PROMOTE_AGENT"] = agent.Address("unix://");
  runs.push_back(RunPromote({"-o", "json", "run", "-c", config, "--branch", "release/1.0", "--sha", sha}, remote));
  CHECK_MESSAGE(runs.back().exit_code == 0, runs.back().out << runs.back().err);
  if (runs.back().exit_code == 0) CHECK(runs.back().Json()["signature"]["reference"].is_string());
  // A wrong passphrase fails with the variable named, and the key nowhere.
  env["PROMOTE_KEY_PASSWORD"] = passphrase + "-wrong";
  runs.push_back(RunPromote({"run", "-c", config, "--branch", "release/1.0", "--sha", sha}, env));
  CHECK(runs.back().exit_code == 2);
  CHECK(runs.back().err.find("PROMOTE_SIGNING_KEY") != std::string::npos);
  // Something that is neither a path nor a key is refused without being echoed.
  std::string config_bad_key = dir.Write(
      "other.yaml", "version: 1\nimage: app\nsigning: {key: env:PROMOTE_SIGNING_KEY}\nenvironments:\n"
                    "  - name: dev\n    registry: " + dev.host() + "\n    repository: shop/app\n");
  runs.push_back(RunPromote({"-o", "json", "run", "-c", config_bad_key, "--branch", "develop", "--sha", sha},
                            {{"PROMOTE_SIGNING_KEY", "-----BEGIN NOT A KEY-----\n" + key_line + "\n"}}));
  CHECK(runs.back().exit_code == 2);
  for (size_t i = 0; i < runs.size(); ++i) {
    CAPTURE(i);
    CHECK(runs[i].out.find(key_line) == std::string::npos);
    CHECK(runs[i].err.find(key_line) == std::string::npos);
  }
  CHECK(agent.log().find(key_line) == std::string::npos);
}

TEST_CASE(
    "PROMOTE_<ENV>_USERNAME/PASSWORD: the credentials of an environment promote.yaml gives none, in-process "
    "and via an agent that allows request credentials") {
  RegistryOptions basic;
  basic.auth = RegistryAuth::kBasic;
  TestRegistry dev, stage(basic);
  PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 500, 41});
  TempDir dir;
  std::string config = dir.Write(
      "promote.yaml", "version: 1\nimage: app\nenvironments:\n  - name: dev\n    registry: " + dev.host() +
                          "\n    repository: shop/app\n  - name: stage\n"
                          "    registry: " +
                          stage.host() + "\n    repository: shop/app\n    stage-order: false\n");
  const std::string sha = "2b2e927abcdef0123456789abcdef01234567890";
  const std::map<std::string, std::string> creds = {{"PROMOTE_STAGE_USERNAME", stage.options().username},
                                                    {"PROMOTE_STAGE_PASSWORD", stage.options().password}};
  TestAgent lenient(
      "listen: [unix://{dir}/agent.sock]\nallow-request-credentials: true\nlog: {format: json, level: "
      "debug}\n");
  TestAgent strict("listen: [unix://{dir}/agent.sock]\nlog: {format: json, level: debug}\n");
  const std::vector<std::string> to_stage = {"-o",       "json",        "run",   "-c", config,
                                             "--branch", "release/1.0", "--sha", sha};

  std::vector<CliRun> runs;
  runs.push_back(RunPromote({"-o", "json", "run", "-c", config, "--branch", "develop", "--sha", sha}, {}));
  REQUIRE_MESSAGE(runs.back().exit_code == 0, runs.back().out << runs.back().err);
  CHECK(runs.back().Json()["from"]["tag"] == "sha-2b2e927");

  // No variables: the registry refuses, and the result says it is about credentials.
  runs.push_back(RunPromote(to_stage, {}));
  CHECK(runs.back().exit_code == 4);
  CHECK(runs.back().Json()["error"]["category"] == "auth");

  // Through an agent that accepts request credentials: the client sends them.
  auto remote = creds;
  remote["PROMOTE_AGENT"] = lenient.Address("unix://");
  runs.push_back(RunPromote(to_stage, remote));
  CHECK_MESSAGE(runs.back().exit_code == 0, runs.back().out << runs.back().err);
  CHECK(runs.back().Json()["status"] == "promoted");
  CHECK(runs.back().Json()["from"]["tag"] == "sha-2b2e927");

  // In-process.
  runs.push_back(RunPromote(to_stage, creds));
  CHECK_MESSAGE(runs.back().exit_code == 0, runs.back().out << runs.back().err);
  CHECK(runs.back().Json()["status"] == "unchanged");

  // An agent that accepts none refuses the request instead of ignoring what the pipeline gave.
  remote["PROMOTE_AGENT"] = strict.Address("unix://");
  runs.push_back(RunPromote(to_stage, remote));
  CHECK(runs.back().exit_code == 4);
  CHECK(runs.back().Json()["error"]["category"] == "auth");
  CHECK(runs.back().err.find("PROMOTE_<ENV>_USERNAME") != std::string::npos);

  // One variable without the other is bad input naming the missing one.
  runs.push_back(RunPromote(to_stage, {{"PROMOTE_STAGE_USERNAME", stage.options().username}}));
  CHECK(runs.back().exit_code == 2);
  CHECK(runs.back().Json()["error"]["category"] == "bad_input");
  CHECK(runs.back().err.find("PROMOTE_STAGE_PASSWORD is not set") != std::string::npos);

  // An environment whose variables would be one promote reads for something else.
  std::string reserved = dir.Write("reserved.yaml",
                                   "version: 1\nimage: app\nenvironments:\n  - name: dev\n"
                                   "    registry: " +
                                       dev.host() +
                                       "\n    repository: shop/app\n"
                                       "  - name: key\n    registry: " +
                                       stage.host() + "\n    repository: shop/app\n");
  runs.push_back(RunPromote(
      {"-o", "json", "run", "-c", reserved, "--to", "key", "--branch", "release/1.0", "--sha", sha},
      {{"PROMOTE_KEY_USERNAME", "u"}, {"PROMOTE_KEY_PASSWORD", stage.options().password}}));
  CHECK(runs.back().exit_code == 2);
  CHECK(runs.back().err.find("PROMOTE_KEY_PASSWORD is read by promote") != std::string::npos);

  // Variables naming an environment promote.yaml does not have (a typo, or a Jenkins credentials
  // key): said, by name only, rather than silently unused; the registry then refuses.
  runs.push_back(RunPromote(to_stage, {{"PROMOTE_STAGEE_USERNAME", stage.options().username},
                                       {"PROMOTE_STAGEE_PASSWORD", stage.options().password}}));
  CHECK(runs.back().exit_code == 4);
  CHECK_MESSAGE(runs.back().err.find("warning: PROMOTE_STAGEE_PASSWORD, PROMOTE_STAGEE_USERNAME name no environment "
                                     "of ") != std::string::npos,
                runs.back().err);
  CHECK(runs.back().err.find("promote.yaml (dev, stage): not used") != std::string::npos);
  // Those of an environment it has are not mentioned.
  runs.push_back(RunPromote(to_stage, creds));
  CHECK(runs.back().exit_code == 0);
  CHECK_MESSAGE(runs.back().err.find("name no environment") == std::string::npos, runs.back().err);

  for (size_t i = 0; i < runs.size(); ++i) {
    CAPTURE(i);
    CHECK(runs[i].out.find(stage.options().password) == std::string::npos);
    CHECK(runs[i].err.find(stage.options().password) == std::string::npos);
  }
  CHECK(lenient.log().find(stage.options().password) == std::string::npos);
  CHECK(strict.log().find(stage.options().password) == std::string::npos);
}
