// Cancellation and timeouts reach a running scanner (#22): `--timeout` during a scan that does not
// finish ends within a second of the timeout as deadline_exceeded naming the phase, the scanner's
// process group is gone and nothing is written at the target; through the agent, a caller that
// gives up frees the agent's only slot for the next caller at once. A stalled request in each
// phase (tests/support/fault_proxy.py) ends the same way, naming that phase.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "sigstore/cosign_key.h"
#include "tests/support/child_process.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

const std::string kSha = "2b2e927abcdef0123456789abcdef01234567890";

std::string ReadOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return in ? std::string(std::istreambuf_iterator<char>(in), {}) : std::string();
}

// A `command` scanner that does not finish for 60 s (tests/e2e/stubs/slow_scanner.sh).
std::string SlowScanner(const std::string& record_dir) {
  return "  slow:\n    kind: command\n    executable: \"" + std::string(PROMOTE_SOURCE_DIR) +
         "/tests/e2e/stubs/slow_scanner.sh\"\n    format: trivy-json\n    timeout: 300\n    env:\n"
         "      STUB_SLEEP: \"60\"\n      STUB_RECORD_DIR: \"" +
         record_dir + "\"\n";
}

// dev -> stage, stage scanned by the slow scanner.
std::string PromoteYaml(const TestRegistry& dev, const TestRegistry& stage, const std::string& scanners) {
  return "version: 1\nimage: app\nscanners:\n" + scanners +
         "environments:\n  - name: dev\n    registry: " + dev.host() +
         "\n    repository: shop/app\n  - name: stage\n    registry: " + stage.host() +
         "\n    repository: shop/app\n    stage-order: false\n    gates:\n      scan:\n        scanners: "
         "[slow]\n";
}

pid_t RecordedGroup(const std::string& record_dir) {
  return std::atoi(ReadOrEmpty(record_dir + "/pgid").c_str());
}

}  // namespace

TEST_CASE(
    "--timeout during a scan: deadline_exceeded in phase gates within a second, scanner gone, nothing "
    "written") {
  TestRegistry dev, stage;
  PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 7});
  TempDir dir;
  const std::string record_dir = dir.MakeDir("record");
  const std::string config = dir.Write("promote.yaml", PromoteYaml(dev, stage, SlowScanner(record_dir)));

  const auto start = Clock::now();
  auto run = RunPromote(
      {"--timeout", "3", "-o", "json", "run", "-c", config, "--branch", "release/1.0", "--sha", kSha});
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  MESSAGE("promote --timeout 3 ended after " << took.count() << " ms");
  INFO(run.out << run.err);
  CHECK(took < std::chrono::seconds(4));
  CHECK(run.exit_code == 4);
  auto json = run.Json();
  CHECK(json["ok"] == false);
  CHECK(json["error"]["code"] == "deadline_exceeded");
  CHECK(json["error"]["phase"] == "gates");
  CHECK(json["error"]["message"] == "timed out after 3 s in phase gates");
  CHECK(run.err.find("timed out after 3 s in phase gates") != std::string::npos);

  const pid_t pgid = RecordedGroup(record_dir);
  REQUIRE(pgid > 0);  // the scanner ran
  CHECK(WaitUntil([&] { return !ProcessGroupRunning(pgid); }, std::chrono::seconds(1)));
  CHECK(Writes(stage) == 0);
}

TEST_CASE("through the agent with one slot: a caller that times out frees it for the next caller at once") {
  TestRegistry dev, stage;
  PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 8});
  TempDir dir;
  const std::string record_dir = dir.MakeDir("record");
  const std::string scanners = SlowScanner(record_dir);
  // A queue, so the second caller waits for the slot rather than being refused while it frees.
  TestAgent agent(
      "listen: [unix://{dir}/agent.sock]\nlog: {format: json, level: info}\n"
      "limits: {operations: 1, queue: 4}\nscanners:\n" +
      scanners);
  const std::map<std::string, std::string> remote = {{"PROMOTE_AGENT", agent.Address("unix://")}};
  const std::string config = dir.Write("promote.yaml", PromoteYaml(dev, stage, scanners));

  auto first = RunPromote(
      {"--timeout", "3", "-o", "json", "run", "-c", config, "--branch", "release/1.0", "--sha", kSha},
      remote);
  const auto cancelled_at = Clock::now();
  INFO(first.out << first.err);
  CHECK(first.exit_code == 4);
  CHECK(first.Json()["error"]["code"] == "deadline_exceeded");
  CHECK(first.Json()["error"]["phase"] == "gates");

  auto second = RunPromote({"-o", "json", "resolve", dev.host() + "/shop/app:sha-2b2e927"}, remote);
  const auto served = std::chrono::duration_cast<milliseconds>(Clock::now() - cancelled_at);
  MESSAGE("second caller served " << served.count() << " ms after the first gave up");
  INFO(second.out << second.err);
  CHECK(second.exit_code == 0);
  CHECK(served < std::chrono::seconds(1));

  const pid_t pgid = RecordedGroup(record_dir);
  REQUIRE(pgid > 0);
  CHECK(WaitUntil([&] { return !ProcessGroupRunning(pgid); }, std::chrono::seconds(1)));
  CHECK(Writes(stage) == 0);
}

TEST_CASE(
    "--timeout in every phase: a stalled request ends as deadline_exceeded naming the phase, no tag "
    "written") {
  TestRegistry dev, stage;
  PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 9});
  FaultProxy source(dev.base_url()), target(stage.base_url());
  TempDir dir;
  const std::string password = "key-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
  REQUIRE(pair.ok());
  const std::string key = dir.Write("cosign.key", pair->private_key_pem, 0600);
  const std::string config = dir.Write(
      "promote.yaml",
      "version: 1\nimage: app\nsigning:\n  key: file:" + key +
          "\n  password: env:PROMOTE_KEY_PASSWORD\nenvironments:\n  - name: dev\n    registry: " +
          source.host() + "\n    repository: shop/app\n  - name: stage\n    registry: " + target.host() +
          "\n    repository: shop/app\n    stage-order: false\n    sign: true\n");
  struct Case {
    std::string phase;
    FaultProxy* proxy;
    std::string method;
    std::string path;  // a regular expression found in the request target
    bool tagged;       // the record comes after the tags: only a record phase finds them written
  } cases[] = {
      {"resolve", &source, "GET", "/manifests/sha-2b2e927", false},
      {"copy", &target, "PUT", "/blobs/uploads/", false},
      {"sign", &target, "PUT", "/manifests/sha256-[0-9a-f]+\\.sig", false},
      {"tag", &target, "PUT", "/manifests/sha-2b2e927", false},
      {"record", &target, "PUT", "/manifests/sha256-[0-9a-f]+\\.att", true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.path);
    source.SetRules(nlohmann::json::array());
    target.SetRules(nlohmann::json::array());
    c.proxy->SetRules(nlohmann::json::array({{{"method", c.method}, {"path", c.path}, {"fault", "stall"}}}));
    const auto start = Clock::now();
    auto run = RunPromote(
        {"--timeout", "3", "-o", "json", "run", "-c", config, "--branch", "release/1.0", "--sha", kSha},
        {{"PROMOTE_KEY_PASSWORD", password}});
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    MESSAGE(c.phase << " (" << c.method << " " << c.path << "): ended after " << took.count() << " ms");
    INFO(run.out << run.err);
    // A stalled request notices the cancel at libcurl's next progress callback, which comes about
    // once a second while nothing moves: up to 1 s after the timeout, plus the CLI's start.
    CHECK(took < milliseconds(4500));
    CHECK(run.exit_code == 4);
    auto json = run.Json();
    CHECK(json["error"]["code"] == "deadline_exceeded");
    CHECK(json["error"]["phase"] == c.phase);
    CHECK((stage.RequestCount("PUT", "/manifests/sha-2b2e927") > 0) == c.tagged);
    CHECK(stage.RequestCount("PUT", ".att") == 0);  // never a record for a promotion cut short
  }
}
