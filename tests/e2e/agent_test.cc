// promote agent end to end: the real agent process, the real CLI as its client, real registries.
// Transports (unix socket, TCP + TLS + token, mTLS), refusals, identical output in both modes,
// cancellation, graceful shutdown, concurrency, and the agent's own credentials and key.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <future>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "sigstore/cosign_key.h"
#include "tests/support/child_process.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

const char* kUnixAgent = "listen: [unix://{dir}/agent.sock]\nlog: {format: json, level: info}\n";

// Whether `repo:tag` exists at the registry, asked directly (never through a proxy).
std::string DigestAt(const TestRegistry& reg, const std::string& repo, const std::string& tag) {
  std::string digest = TagDigest(reg, repo, tag);
  REQUIRE_FALSE(digest.empty());
  return digest;
}

// A result with what legitimately differs between two runs taken out: durations, and the
// registry host the run wrote to.
std::string Normalised(std::string text, const std::vector<std::string>& hosts) {
  for (const auto& h : hosts) {
    for (size_t at = text.find(h); at != std::string::npos; at = text.find(h)) text.replace(at, h.size(), "HOST");
  }
  text = std::regex_replace(text, std::regex(R"re("(total|duration_ms)": [0-9]+)re"), "\"$1\": 0");
  text = std::regex_replace(text, std::regex(R"(time: [0-9]+ ms)"), "time: 0 ms");
  return text;
}

std::string WaitForLogLine(const TestAgent& agent, const std::string& needle, std::chrono::seconds timeout) {
  if (!WaitUntil([&] { return agent.log().find(needle) != std::string::npos; }, timeout)) {
    FAIL("the agent never logged '" << needle << "'; log:\n" << agent.log());
  }
  return agent.log();
}

// The CLI started in the background (for tests that interrupt it); its output goes to a log.
struct BackgroundCli {
  TempDir dir;
  std::unique_ptr<ChildProcess> process;
  explicit BackgroundCli(std::vector<std::string> args) {
    args.insert(args.begin(), PromoteBinary());
    process = std::make_unique<ChildProcess>(args, dir.path() + "/cli.log");
  }
  std::string WaitForExit(std::chrono::seconds timeout) {
    return WaitUntil([&] { return !process->Running(); }, timeout) ? process->DescribeExit() : "";
  }
  std::string log() const { return ReadFile(dir.path() + "/cli.log"); }
};

// Runs `promote health --agent ADDRESS` as another user (uid/gid 65534, "nobody") with the given
// supplementary groups, from a copy of the binary that user may execute. Returns the exit code;
// `output` gets stdout and stderr. Needs root (to switch users), which the test suite runs as.
int HealthAsOtherUser(const std::string& address, const std::vector<gid_t>& groups, std::string* output) {
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  const std::string binary = dir.path() + "/promote";
  WriteFile(binary, ReadFile(PromoteBinary()), 0755);
  const std::string out_path = dir.path() + "/out.log";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child: open the output as root, then give up root for good before exec.
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) ::_exit(120);
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(121);
    if (::setuid(0) == 0) ::_exit(122);  // root must be gone for good
    std::vector<std::string> env = {"HOME=" + dir.path(), "PATH=/usr/bin:/bin"};
    // A sanitizer build reports the same way as in every other CLI run of the tests.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
      if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
    }
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = {binary, "--agent", address, "-o", "json", "health"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(123);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  *output = ReadFile(out_path);
  REQUIRE(WIFEXITED(status));
  int code = WEXITSTATUS(status);
  REQUIRE_MESSAGE(code < 120, "could not switch to the other user (exit " << code << ")");
  return code;
}

}  // namespace

TEST_CASE("over the unix socket: health, a 0660 socket, and the same JSON, text and exit codes as in-process") {
  TestRegistry dev, prod_a, prod_b;
  SampleImage img = PushSampleImage(dev, "shop/app", "sha-1234567");
  TestAgent agent(kUnixAgent);
  const std::string addr = agent.Address("unix://");

  auto health = RunPromote({"--agent", addr, "-o", "json", "health"});
  INFO(health.out << health.err);
  REQUIRE(health.exit_code == 0);
  CHECK(health.Json()["serving"] == "SERVING");

  struct stat st {};
  REQUIRE(::stat((agent.dir() + "/agent.sock").c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0660);

  const std::string src = dev.host() + "/shop/app:sha-1234567";
  // The same request in both modes, into two fresh registries: only hosts and times may differ.
  for (const std::string format : {"json", "text"}) {
    CAPTURE(format);
    TestRegistry& remote_target = format == "json" ? prod_a : prod_b;
    TestRegistry local_target;
    auto remote = RunPromote({"--agent", addr, "-o", format, "copy", src, remote_target.host() + "/shop/app"},
                             {{"PROMOTE_AGENT", "unix:///nonexistent/flag-wins.sock"}});
    auto local = RunPromote({"-o", format, "copy", src, local_target.host() + "/shop/app"});
    INFO(remote.err << local.err);
    REQUIRE(remote.exit_code == 0);
    REQUIRE(local.exit_code == 0);
    CHECK(Normalised(remote.out, {remote_target.host()}) == Normalised(local.out, {local_target.host()}));
    CHECK(DigestAt(remote_target, "shop/app", "sha-1234567") == img.digest);
  }

  // PROMOTE_AGENT alone selects the agent; failures are identical too (exit code, JSON, stderr).
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-o", "json", "copy", dev.host() + "/shop/app:missing", prod_a.host() + "/shop/app"},
           {"-o", "json", "copy", "Not A Reference", prod_a.host() + "/shop/app"},
           {"-o", "json", "resolve", dev.host() + "/shop/app:sha-1234567"},
           {"-o", "json", "copy", src, prod_a.host() + "/shop/app@sha256:" + std::string(64, 'a')},
           {"-o", "json", "copy", "--platform", "linux/s390x", src, prod_a.host() + "/shop/app"},
           {"-o", "json", "copy", "--platform", "Linux/ARM64", src, prod_a.host() + "/shop/app"}}) {
    CAPTURE(args[3]);
    auto remote = RunPromote(args, {{"PROMOTE_AGENT", addr}});
    auto local = RunPromote(args);
    CHECK(remote.exit_code == local.exit_code);
    CHECK(Normalised(remote.out, {}) == Normalised(local.out, {}));
    CHECK(remote.err == local.err);
  }
  auto missing = RunPromote({"-o", "json", "copy", dev.host() + "/shop/app:missing", prod_a.host() + "/shop/app"},
                            {{"PROMOTE_AGENT", addr}});
  CHECK(missing.exit_code == 4);
  CHECK(missing.Json()["error"]["code"] == "not_found");

  // --platform travels in the request: the agent cuts the same subset index as in-process.
  auto remote_subset = RunPromote(
      {"--agent", addr, "-o", "json", "copy", "--platform", "linux/arm64", src, prod_a.host() + "/shop/arm"});
  auto local_subset =
      RunPromote({"-o", "json", "copy", "--platform", "linux/arm64", src, prod_b.host() + "/shop/arm"});
  INFO(remote_subset.err << local_subset.err);
  REQUIRE(remote_subset.exit_code == 0);
  REQUIRE(local_subset.exit_code == 0);
  CHECK(remote_subset.Json()["subset_of"] == img.digest);
  CHECK(remote_subset.Json()["digest"] == local_subset.Json()["digest"]);
  CHECK(remote_subset.Json()["platforms"] == nlohmann::json::array({"linux/arm64"}));
  CHECK(DigestAt(prod_a, "shop/arm", "sha-1234567") == remote_subset.Json()["digest"]);
  auto bad_platform =
      RunPromote({"-o", "json", "copy", "--platform", "linux", src, prod_a.host() + "/shop/app"},
                 {{"PROMOTE_AGENT", addr}});
  CHECK(bad_platform.exit_code == 2);
  CHECK(bad_platform.Json()["error"]["message"].get<std::string>().find("platform 'linux'") !=
        std::string::npos);

  // The agent logged each call with a request id, as JSON lines.
  std::string log = agent.log();
  CHECK(log.find("\"event\":\"started\"") != std::string::npos);
  CHECK(log.find("\"request_id\":") != std::string::npos);
  CHECK(log.find("\"method\":\"Copy\"") != std::string::npos);
}

TEST_CASE("the unix socket's permissions decide who may call: another user is refused, socket_group members served") {
  REQUIRE_MESSAGE(::geteuid() == 0, "this test switches to another user, so it runs as root (as CI does)");
  const gid_t callers = 4242;  // a group with no name here: socket_group takes a gid as well
  TestAgent agent("listen: [unix://{dir}/agent.sock]\nsocket_group: " + std::to_string(callers) + "\n");
  // The socket's directory is reachable by everyone, so the socket's own mode is what decides.
  REQUIRE(::chmod(agent.dir().c_str(), 0711) == 0);
  struct stat st {};
  REQUIRE(::stat((agent.dir() + "/agent.sock").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0660);
  CHECK(st.st_gid == callers);
  const std::string addr = agent.Address("unix://");

  std::string output;
  // Neither the owner nor in the socket's group: the kernel refuses the connection.
  int code = HealthAsOtherUser(addr, {}, &output);
  INFO(output);
  CHECK(code == 4);
  CHECK(output.find("ermission denied") != std::string::npos);
  // The same user as a member of socket_group is served.
  code = HealthAsOtherUser(addr, {callers}, &output);
  INFO(output);
  CHECK(code == 0);
  CHECK(nlohmann::json::parse(output, nullptr, false)["serving"] == "SERVING");
}

TEST_CASE("TCP with TLS and a bearer token; calls without it or with a wrong one are refused and write nothing") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 2000, 3});
  TempDir dir;
  const std::string token = "tok-" + RandomPassword() + RandomPassword();
  const std::string wrong = "tok-" + RandomPassword() + RandomPassword();
  std::string token_file = dir.Write("tokens", "# callers\n" + token + "\n", 0600);
  const TestCa& ca = TestCa::Get();
  TestAgent agent("listen: [tcp://127.0.0.1:0]\ntls: {cert: " + ca.server_cert_path() + ", key: " +
                  ca.server_key_path() + "}\nauth: {token-file: " + token_file + "}\nlog: {format: json}\n");
  const std::string addr = agent.Address("tls://");
  const std::map<std::string, std::string> trust = {{"PROMOTE_AGENT", addr}, {"PROMOTE_AGENT_CA", ca.ca_cert_path()}};
  const std::vector<std::string> copy = {"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app"};

  SUBCASE("no token") {
    auto run = RunPromote(copy, trust);
    CHECK(run.exit_code == 4);
    CHECK(run.Json()["error"]["code"] == "unauthenticated");
    CHECK(run.err.find("bearer token") != std::string::npos);
  }
  SUBCASE("a wrong token") {
    auto env = trust;
    env["PROMOTE_AGENT_TOKEN"] = wrong;
    auto run = RunPromote(copy, env);
    CHECK(run.Json()["error"]["code"] == "unauthenticated");
    CHECK(run.err.find(wrong) == std::string::npos);
  }
  SUBCASE("plain TCP to the TLS port") {
    auto env = trust;
    env["PROMOTE_AGENT"] = "tcp://" + addr.substr(6);
    env["PROMOTE_AGENT_TOKEN"] = token;
    auto run = RunPromote(copy, env);
    CHECK(run.exit_code == 4);
    CHECK(run.Json()["error"]["code"] == "unavailable");
  }
  SUBCASE("TLS without trusting the agent's CA") {
    auto run = RunPromote(copy, {{"PROMOTE_AGENT", addr}, {"PROMOTE_AGENT_TOKEN", token}});
    CHECK(run.exit_code == 4);
  }
  CHECK_FALSE(HasTag(prod, "app", "v1"));

  SUBCASE("the right token, from the environment and from a file") {
    auto env = trust;
    env["PROMOTE_AGENT_TOKEN"] = token;
    auto run = RunPromote(copy, env);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.Json()["digest"] == img.digest);
    CHECK(DigestAt(prod, "app", "v1") == img.digest);
    auto via_file = RunPromote({"--agent-token-file", token_file + ".1", "-o", "json", "resolve", dev.host() + "/app:v1"},
                               trust);
    CHECK(via_file.exit_code == 2);  // unreadable token file: a usage error, before any call
    dir.Write("tokens.1", token + "\n", 0600);
    via_file = RunPromote({"--agent-token-file", token_file + ".1", "-o", "json", "resolve", dev.host() + "/app:v1"},
                          trust);
    CHECK(via_file.exit_code == 0);
  }
  std::string log = agent.log();
  CHECK(log.find(token) == std::string::npos);
  CHECK(log.find(wrong) == std::string::npos);
}

TEST_CASE("mTLS: a client certificate the client CA signed is accepted; a caller without one is refused") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 2000, 4});
  const TestCa& ca = TestCa::Get();
  TestAgent agent("listen: [tcp://127.0.0.1:0]\ntls: {cert: " + ca.server_cert_path() + ", key: " +
                  ca.server_key_path() + ", client-ca: " + ca.ca_cert_path() + "}\n");
  const std::string addr = agent.Address("tls://");
  const std::vector<std::string> copy = {"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app"};

  auto refused = RunPromote(copy, {{"PROMOTE_AGENT", addr}, {"PROMOTE_AGENT_CA", ca.ca_cert_path()}});
  CHECK(refused.exit_code == 4);
  CHECK_FALSE(HasTag(prod, "app", "v1"));

  auto run = RunPromote({"--agent-cert", ca.client_cert_path(), "--agent-key", ca.client_key_path(), "-o", "json",
                         "copy", dev.host() + "/app:v1", prod.host() + "/app"},
                        {{"PROMOTE_AGENT", addr}, {"PROMOTE_AGENT_CA", ca.ca_cert_path()}});
  INFO(run.err << agent.log());
  REQUIRE(run.exit_code == 0);
  CHECK(DigestAt(prod, "app", "v1") == img.digest);
  CHECK(agent.log().find("mtls:") != std::string::npos);
}

TEST_CASE("the agent uses the registry credentials of agent.yaml and refuses credentials a request carries") {
  RegistryOptions basic;
  basic.auth = RegistryAuth::kBasic;
  TestRegistry dev(basic), prod(basic);
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 1500, 5});
  ::setenv("AGENT_TEST_DEV_PASSWORD", dev.options().password.c_str(), 1);
  ::setenv("AGENT_TEST_PROD_PASSWORD", prod.options().password.c_str(), 1);
  TestAgent agent(std::string(kUnixAgent) + "registries:\n  - {host: " + dev.host() + ", username: " +
                  dev.options().username + ", password: env:AGENT_TEST_DEV_PASSWORD}\n  - {host: " + prod.host() +
                  ", username: " + prod.options().username + ", password: env:AGENT_TEST_PROD_PASSWORD}\n");
  ::unsetenv("AGENT_TEST_DEV_PASSWORD");
  ::unsetenv("AGENT_TEST_PROD_PASSWORD");
  const std::string addr = agent.Address("unix://");

  // The pipeline has no registry credentials at all, and the copy works.
  auto run = RunPromote({"--agent", addr, "-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(DigestAt(prod, "app", "v1") == img.digest);

  // Credentials in the request are the operator's choice: refused by default, before any write.
  auto carried = RunPromote({"--agent", addr, "-o", "json", "copy", "--dst-username", "someone-else",
                             dev.host() + "/app:v1", prod.host() + "/app:other"},
                            {{"PROMOTE_DST_PASSWORD", "guess-" + RandomPassword()}});
  CHECK(carried.exit_code == 4);
  CHECK(carried.Json()["error"]["code"] == "permission_denied");
  CHECK_FALSE(HasTag(prod, "app", "other"));
}

TEST_CASE("promote run through the agent signs with the agent's key and records; history verifies it") {
  TestRegistry dev, stage;
  SampleImage img = PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 2, 1500, 8});
  TempDir dir;
  const std::string password = "key-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
  REQUIRE(pair.ok());
  std::string key = dir.Write("cosign.key", pair->private_key_pem, 0600);
  std::string pub = dir.Write("cosign.pub", pair->public_key_pem);
  ::setenv("AGENT_TEST_KEY_PASSWORD", password.c_str(), 1);
  TestAgent agent(std::string(kUnixAgent) + "signing: {key: file:" + key + ", password: env:AGENT_TEST_KEY_PASSWORD}\n");
  ::unsetenv("AGENT_TEST_KEY_PASSWORD");
  const std::string addr = agent.Address("unix://");
  // promote.yaml names no key: the pipeline never sees one.
  std::string config = dir.Write("promote.yaml", "version: 1\nimage: app\nenvironments:\n"
                                                 "  - name: dev\n    registry: " + dev.host() +
                                                 "\n    repository: shop/app\n"
                                                 "  - name: stage\n    registry: " + stage.host() +
                                                 "\n    repository: shop/app\n    mutable-tags: [stage]\n"
                                                 "    sign: true\n");
  const std::string sha = "2b2e927abcdef0123456789abcdef01234567890";
  auto record_dev = RunPromote({"--agent", addr, "-o", "json", "run", "-c", config, "--branch", "develop", "--sha", sha});
  INFO(record_dev.out << record_dev.err);
  REQUIRE(record_dev.exit_code == 0);
  auto plan = RunPromote(
      {"--agent", addr, "-o", "json", "run", "-c", config, "--branch", "release/1.0", "--sha", sha, "--dry-run"});
  REQUIRE(plan.exit_code == 0);
  CHECK(plan.Json()["status"] == "planned");
  CHECK_FALSE(HasTag(stage, "shop/app", "stage"));

  auto promoted =
      RunPromote({"--agent", addr, "-o", "json", "run", "-c", config, "--branch", "release/1.0", "--sha", sha},
                 {{"JENKINS_URL", "https://ci.example/"}, {"JOB_NAME", "app/release"}, {"BUILD_NUMBER", "7"}});
  INFO(promoted.out << promoted.err);
  REQUIRE(promoted.exit_code == 0);
  auto j = promoted.Json();
  CHECK(j["status"] == "promoted");
  CHECK(j["digest"] == img.digest);
  CHECK(DigestAt(stage, "shop/app", "stage") == img.digest);

  auto verify = RunPromote({"-o", "json", "verify", "--key", pub, stage.host() + "/shop/app:stage"});
  CHECK(verify.exit_code == 0);
  auto history = RunPromote({"--agent", addr, "-o", "json", "history", "-c", config, "--sha", sha, "--key", pub});
  INFO(history.out << history.err);
  REQUIRE(history.exit_code == 0);
  bool found = false;
  const nlohmann::json history_json = history.Json();
  for (const auto& env : history_json["environments"]) {
    if (env["env"] != "stage") continue;
    for (const auto& r : env["records"]) {
      found |= r["valid"] == true && r["ci"]["run_id"].get<std::string>().find("7") != std::string::npos;
    }
  }
  CHECK(found);
}

TEST_CASE("the agent's log has one format: a library's warning (a blob retried) is a JSON line with its request id") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "shop/app", "sha-1234567", {{"linux/amd64"}, 1, 50000, 46});
  TestAgent agent(kUnixAgent);
  FaultProxy source(dev.base_url());
  // The layer's body breaks off once: the agent copies the blob again and warns about it.
  source.SetRules(nlohmann::json::array(
      {{{"method", "GET"}, {"path", "/blobs/" + img.blob_digests.front()}, {"fault", "truncate"}, {"times", 1}}}));
  auto copied = RunPromote({"--agent", agent.Address("unix://"), "-o", "json", "copy",
                            source.host() + "/shop/app:sha-1234567", prod.host() + "/shop/app"});
  INFO(copied.out << copied.err);
  REQUIRE(copied.exit_code == 0);
  CHECK(copied.Json()["digest"] == img.digest);
  REQUIRE(source.Hits().size() == 1);

  bool retry_logged = false;
  std::string call_request_id;  // from the call's "started" line
  std::istringstream lines(agent.log());
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    INFO(line);
    REQUIRE(j.is_object());  // no line in another format
    if (j.contains("listening")) continue;  // the announcement on stdout, for supervisors
    CHECK(j.contains("time"));
    if (j.value("event", "") == "started" && j.value("method", "") == "Copy") call_request_id = j["request_id"];
    if (j.value("event", "") == "log" && j.value("level", "") == "warn" &&
        j.value("message", "").find("attempt 1 failed") != std::string::npos) {
      retry_logged = true;
      // Logged on a transfer worker, yet it names the call it works for.
      CHECK_FALSE(call_request_id.empty());
      CHECK(j.value("request_id", "") == call_request_id);
    }
  }
  CHECK(retry_logged);
}

TEST_CASE("cancelling the client mid-copy stops the transfer on the agent and writes no tag") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 2, 4000, 9});
  FaultProxy proxy(prod.base_url());
  // Blob uploads into the target never complete: the copy is stuck mid-way.
  proxy.SetRules(nlohmann::json::array({{{"method", "PUT"}, {"path", "/blobs/uploads/"}, {"fault", "stall"}}}));
  TestAgent agent(kUnixAgent);
  BackgroundCli cli({"--agent", agent.Address("unix://"), "-o", "json", "--progress-interval", "1", "copy",
                     dev.host() + "/app:v1", proxy.host() + "/app"});
  REQUIRE_MESSAGE(proxy.WaitForHits(1, std::chrono::seconds(30)), cli.log());
  // The progress the agent streams names the blobs that hang (short digests).
  bool named = WaitUntil(
      [&] {
        for (const auto& b : img.blob_digests) {
          if (cli.log().find(b.substr(0, 19)) != std::string::npos) return true;
        }
        return false;
      },
      std::chrono::seconds(15));
  CHECK_MESSAGE(named, cli.log());
  CHECK(cli.log().find("in flight: sha256:") != std::string::npos);
  ::kill(cli.process->pid(), SIGINT);
  std::string exit = cli.WaitForExit(std::chrono::seconds(20));
  INFO(cli.log());
  CHECK(exit == "exited with 5");
  CHECK(cli.log().find("cancelled") != std::string::npos);
  // The agent saw the cancellation and ended the operation.
  std::string log = WaitForLogLine(agent, "\"error_code\":\"cancelled\"", std::chrono::seconds(20));
  CHECK_FALSE(HasTag(prod, "app", "v1"));
  CHECK(RunPromote({"--agent", agent.Address("unix://"), "health"}).exit_code == 0);
}

TEST_CASE("--timeout cancels in-process as well, is reported as deadline_exceeded in phase copy, and writes no tag") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 3000, 10});
  FaultProxy proxy(prod.base_url());
  proxy.SetRules(nlohmann::json::array({{{"method", "PUT"}, {"path", "/blobs/uploads/"}, {"fault", "stall"}}}));
  auto run = RunPromote({"--timeout", "3", "-o", "json", "--progress-interval", "1", "copy", dev.host() + "/app:v1",
                         proxy.host() + "/app"});
  INFO(run.err);
  // A timeout is not a Ctrl-C: exit 4, deadline_exceeded, naming the phase it cut short (#22).
  CHECK(run.exit_code == 4);
  CHECK(run.Json()["error"]["code"] == "deadline_exceeded");
  CHECK(run.Json()["error"]["phase"] == "copy");
  CHECK(run.err.find("timed out after 3 s in phase copy") != std::string::npos);
  // Progress lines named the blobs that hung (config and layer: both uploads stall).
  CHECK(run.err.find("in flight: sha256:") != std::string::npos);
  CHECK(run.err.find(img.blob_digests.front().substr(0, 19)) != std::string::npos);
  CHECK_FALSE(HasTag(prod, "app", "v1"));
}

TEST_CASE("SIGTERM: running copies finish within the grace period; past it they are cancelled, untagged") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 60000, 11});

  SUBCASE("a copy that can finish does, and the agent then exits 0") {
    FaultProxy slow_source(dev.base_url());
    // The layer arrives slowly (about 1.5 s), so SIGTERM lands while the copy runs.
    slow_source.SetRules(nlohmann::json::array(
        {{{"method", "GET"}, {"path", "/blobs/sha256:"}, {"fault", "drip"}, {"bytes_per_second", 40000}}}));
    TestAgent agent(std::string(kUnixAgent) + "shutdown-grace-seconds: 60\n");
    BackgroundCli cli({"--agent", agent.Address("unix://"), "-o", "json", "copy", slow_source.host() + "/app:v1",
                       prod.host() + "/app"});
    REQUIRE_MESSAGE(slow_source.WaitForHits(1, std::chrono::seconds(30)), cli.log());
    agent.Signal(SIGTERM);
    CHECK(cli.WaitForExit(std::chrono::seconds(60)) == "exited with 0");
    CHECK(agent.WaitForExit(std::chrono::seconds(30)) == "exited with 0");
    CHECK(DigestAt(prod, "app", "v1") == img.digest);
    CHECK(agent.log().find("shutting down") != std::string::npos);
  }
  SUBCASE("a copy stuck past the grace period is cancelled and tags nothing") {
    FaultProxy stuck_target(prod.base_url());
    stuck_target.SetRules(
        nlohmann::json::array({{{"method", "PUT"}, {"path", "/blobs/uploads/"}, {"fault", "stall"}}}));
    TestAgent agent(std::string(kUnixAgent) + "shutdown-grace-seconds: 1\n");
    BackgroundCli cli({"--agent", agent.Address("unix://"), "-o", "json", "copy", dev.host() + "/app:v1",
                       stuck_target.host() + "/app"});
    REQUIRE_MESSAGE(stuck_target.WaitForHits(1, std::chrono::seconds(30)), cli.log());
    agent.Signal(SIGTERM);
    CHECK(agent.WaitForExit(std::chrono::seconds(30)) == "exited with 0");
    std::string exit = cli.WaitForExit(std::chrono::seconds(30));
    CHECK(exit != "exited with 0");
    CHECK_FALSE(exit.empty());
    CHECK_FALSE(HasTag(prod, "app", "v1"));
  }
}

TEST_CASE("50 concurrent copies through one agent all land with their own digests") {
  TestRegistry dev, prod;
  constexpr int kImages = 50;
  std::vector<SampleImage> images;
  for (int i = 0; i < kImages; ++i) {
    images.push_back(PushSampleImage(dev, "svc" + std::to_string(i), "v1",
                                     {{"linux/amd64"}, 2, 1024, static_cast<uint64_t>(100 + i)}));
  }
  // Fewer slots than callers: the rest queue.
  TestAgent agent(std::string(kUnixAgent) + "limits: {operations: 8, queue: 64}\n");
  const std::string addr = agent.Address("unix://");
  std::vector<std::future<CliRun>> runs;
  for (int i = 0; i < kImages; ++i) {
    std::string repo = "svc" + std::to_string(i);
    runs.push_back(std::async(std::launch::async, [&, repo] {
      return RunPromote({"--agent", addr, "-o", "json", "copy", dev.host() + "/" + repo + ":v1", prod.host() + "/" + repo});
    }));
  }
  int ok = 0;
  for (int i = 0; i < kImages; ++i) {
    CliRun run = runs[i].get();
    CAPTURE(i);
    INFO(run.err);
    CHECK(run.exit_code == 0);
    if (run.exit_code != 0) continue;
    CHECK(run.Json()["digest"] == images[i].digest);
    CHECK(DigestAt(prod, "svc" + std::to_string(i), "v1") == images[i].digest);
    ++ok;
  }
  CHECK(ok == kImages);
}

TEST_CASE("bad agent addresses and agent.yaml are usage errors that touch nothing") {
  TestRegistry dev, prod;
  PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 1000, 12});
  for (const std::string addr : {"ftp://example", "unix:relative.sock", "tcp://10.1.2.3:7443", "has space:1"}) {
    CAPTURE(addr);
    auto run = RunPromote({"--agent", addr, "-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app"});
    CHECK(run.exit_code == 2);
    CHECK(run.Json()["error"]["code"] == "invalid_argument");
    CHECK(run.err.find("agent address") != std::string::npos);
  }
  CHECK_FALSE(HasTag(prod, "app", "v1"));

  auto unreachable = RunPromote({"--agent", "unix:///nonexistent/promote.sock", "-o", "json", "resolve",
                                 dev.host() + "/app:v1"});
  CHECK(unreachable.exit_code == 4);
  CHECK(unreachable.err.find("unreachable") != std::string::npos);

  TempDir dir;
  std::string bad = dir.Write("agent.yaml", "listen: [tcp://0.0.0.0:7443]\n");
  auto agent = RunPromote({"-o", "json", "agent", "-c", bad});
  CHECK(agent.exit_code == 2);
  CHECK(agent.err.find("agent.yaml:1") != std::string::npos);
  CHECK(agent.err.find("tls") != std::string::npos);
}

TEST_CASE("an agent killed (SIGKILL) mid-promotion: nothing is tagged, and the re-run completes it") {
  TestRegistry dev, stage;
  SampleImage img = PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64", "linux/arm64"}, 2, 3000, 13});
  FaultProxy stage_proxy(stage.base_url());
  // Blobs go through; the first manifest PUT hangs, so the agent dies between blobs and manifests.
  stage_proxy.SetRules(nlohmann::json::array({{{"method", "PUT"}, {"path", "/manifests/"}, {"fault", "stall"}}}));
  TempDir dir;
  const std::string password = "key-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
  REQUIRE(pair.ok());
  std::string key = dir.Write("cosign.key", pair->private_key_pem, 0600);
  std::string pub = dir.Write("cosign.pub", pair->public_key_pem);
  std::string config = dir.Write("promote.yaml", "version: 1\nimage: app\nenvironments:\n"
                                                 "  - name: dev\n    registry: " + dev.host() +
                                                 "\n    repository: shop/app\n    stage-order: false\n"
                                                 "  - name: stage\n    registry: " + stage_proxy.host() +
                                                 "\n    repository: shop/app\n    mutable-tags: [stage]\n"
                                                 "    stage-order: false\n    sign: true\n");
  ::setenv("AGENT_TEST_KEY_PASSWORD", password.c_str(), 1);
  const std::string agent_yaml =
      std::string(kUnixAgent) + "signing: {key: file:" + key + ", password: env:AGENT_TEST_KEY_PASSWORD}\n";
  const std::string sha = "2b2e927abcdef0123456789abcdef01234567890";
  {
    TestAgent agent(agent_yaml);
    BackgroundCli cli({"--agent", agent.Address("unix://"), "-o", "json", "run", "-c", config, "--branch",
                       "release/1.0", "--sha", sha, "--to", "stage"});
    REQUIRE_MESSAGE(stage_proxy.WaitForHits(1, std::chrono::seconds(30)), cli.log() << agent.log());
    agent.Signal(SIGKILL);
    CHECK(agent.WaitForExit(std::chrono::seconds(10)) == "killed by signal 9");
    std::string exit = cli.WaitForExit(std::chrono::seconds(20));
    CHECK(exit == "exited with 4");  // the agent went away: unavailable
    CHECK_FALSE(HasTag(stage, "shop/app", "stage"));
    CHECK_FALSE(HasTag(stage, "shop/app", "sha-2b2e927"));
  }
  stage_proxy.SetRules(nlohmann::json::array());
  TestAgent agent(agent_yaml);
  ::unsetenv("AGENT_TEST_KEY_PASSWORD");
  auto rerun = RunPromote({"--agent", agent.Address("unix://"), "-o", "json", "run", "-c", config, "--branch",
                           "release/1.0", "--sha", sha, "--to", "stage"});
  INFO(rerun.out << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK(rerun.Json()["status"] == "promoted");
  CHECK(DigestAt(stage, "shop/app", "stage") == img.digest);
  CHECK(DigestAt(stage, "shop/app", "sha-2b2e927") == img.digest);
  auto verify = RunPromote({"-o", "json", "verify", "--key", pub, stage.host() + "/shop/app:stage",
                            "--identity-policy", "ignore"});
  CHECK(verify.exit_code == 0);
}

TEST_CASE("agent.yaml credentials per namespace: one registry, an account for each repository's namespace") {
  const std::string dev_pw = RandomPassword(), prod_pw = RandomPassword();
  RegistryOptions o;
  o.auth = RegistryAuth::kToken;
  o.token_accounts = {{"dev-robot", dev_pw, {"pull"}, {"dev"}}, {"prod-robot", prod_pw, {"*"}, {"prod"}}};
  TestRegistry shared(o);
  SampleImage img = PushSampleImage(shared, "dev/app", "v1", {{"linux/amd64"}, 1, 1500, 9});
  ::setenv("AGENT_TEST_DEV_ROBOT", dev_pw.c_str(), 1);
  ::setenv("AGENT_TEST_PROD_ROBOT", prod_pw.c_str(), 1);
  // The host-wide entry is the read-only dev robot; prod/ has its own.
  TestAgent agent(std::string(kUnixAgent) + "registries:\n  - {host: " + shared.host() +
                  ", username: dev-robot, password: env:AGENT_TEST_DEV_ROBOT}\n  - {host: \"" + shared.host() +
                  "/prod\", username: prod-robot, password: env:AGENT_TEST_PROD_ROBOT}\n");
  ::unsetenv("AGENT_TEST_DEV_ROBOT");
  ::unsetenv("AGENT_TEST_PROD_ROBOT");
  const std::string addr = agent.Address("unix://");

  auto run = RunPromote({"--agent", addr, "-o", "json", "copy", shared.host() + "/dev/app:v1",
                         shared.host() + "/prod/app"});
  INFO(run.out << run.err << agent.log());
  REQUIRE(run.exit_code == 0);
  CHECK(DigestAt(shared, "prod/app", "v1") == img.digest);
  // Outside prod/ the host-wide, read-only account applies: a push there is refused.
  auto elsewhere = RunPromote({"--agent", addr, "-o", "json", "copy", shared.host() + "/dev/app:v1",
                               shared.host() + "/qa/app"});
  CHECK(elsewhere.exit_code == 4);
  CHECK_FALSE(HasTag(shared, "qa/app", "v1"));
}

// Socket activation, as systemd does it: systemd-socket-activate (from the systemd package) binds
// the socket and starts the agent only when the first caller connects, passing the listening
// socket as descriptor 3 (LISTEN_FDS/LISTEN_PID). The caller's connection waits in the backlog
// and is served; the socket file belongs to the activator, so the agent leaves it when it stops.
TEST_CASE("socket activation: the first call starts the agent on the socket it was passed") {
  TempDir dir;
  const std::string socket = dir.path() + "/agent.sock";
  const std::string config =
      dir.Write("agent.yaml", "listen: [unix://" + socket + "]\nlog: {format: json, level: info}\n");
  const std::string log_path = dir.path() + "/activator.log";
  ChildProcess activator({"systemd-socket-activate", "-l", socket, PromoteBinary(), "agent", "-c", config}, log_path);
  REQUIRE_MESSAGE(WaitUntil([&] { return ReadFile(log_path).find("Listening on") != std::string::npos; },
                            std::chrono::seconds(20)),
                  ReadFile(log_path));
  CHECK(ReadFile(log_path).find("\"listening\"") == std::string::npos);  // not started yet

  auto health = RunPromote({"--agent", "unix://" + socket, "-o", "json", "health"});
  CHECK(health.exit_code == 0);
  CHECK(health.Json()["serving"] == "SERVING");
  std::string log = ReadFile(log_path);
  CHECK(log.find("{\"listening\":[\"unix://" + socket + "\"]}") != std::string::npos);

  ::kill(activator.pid(), SIGTERM);  // the activator exec'd the agent: same process
  REQUIRE(WaitUntil([&] { return !activator.Running(); }, std::chrono::seconds(30)));
  CHECK(activator.DescribeExit() == "exited with 0");
  struct stat st {};
  CHECK(::lstat(socket.c_str(), &st) == 0);  // adopted, not ours to remove
}

TEST_CASE("socket activation: a passed socket agent.yaml does not name is refused, exit 2, naming it") {
  TempDir dir;
  const std::string passed = dir.path() + "/other.sock";
  const std::string config = dir.Write(
      "agent.yaml", "listen: [unix://" + dir.path() + "/agent.sock]\nlog: {format: json, level: info}\n");
  const std::string log_path = dir.path() + "/activator.log";
  ChildProcess activator({"systemd-socket-activate", "-l", passed, PromoteBinary(), "-o", "json", "agent", "-c", config},
                         log_path);
  REQUIRE(WaitUntil([&] { return ReadFile(log_path).find("Listening on") != std::string::npos; },
                    std::chrono::seconds(20)));
  // The first connection starts the agent, which refuses to serve and exits.
  auto health = RunPromote({"--agent", "unix://" + passed, "-o", "json", "health"});
  CHECK(health.exit_code != 0);
  REQUIRE(WaitUntil([&] { return !activator.Running(); }, std::chrono::seconds(30)));
  CHECK(activator.DescribeExit() == "exited with 2");
  std::string log = ReadFile(log_path);
  CHECK(log.find("the socket " + passed + " is not one of agent.yaml's listen addresses") != std::string::npos);
  struct stat st {};
  CHECK(::lstat((dir.path() + "/agent.sock").c_str(), &st) != 0);  // nothing else was bound
}
