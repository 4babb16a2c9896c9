#include "tests/support/test_agent.h"

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/promote_cli.h"
#include "tests/support/temp_dir.h"

namespace promote::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The first JSON line of `path` that has `key`, polled until `timeout` (the process writes it
// once it is ready) or until the process exits. The bounds are generous (60 s): the fault matrix
// starts a row's proxies at once, and under the sanitizer pass beside other suites one took over
// 15 s to say its port; a healthy process answers in milliseconds, so this costs nothing.
nlohmann::json WaitForJsonLine(const std::string& path, const std::string& key, ChildProcess* process,
                               std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream lines(Slurp(path));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty() || line[0] != '{') continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.contains(key)) return j;
    }
    if (!process->Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("no '" + key + "' line from the process (" + process->DescribeExit() + "); log:\n" +
                           Slurp(path));
}

}  // namespace

bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TestAgent::TestAgent(const std::string& yaml) : dir_(std::make_unique<TempDir>()) {
  std::string text = yaml;
  for (size_t at = text.find("{dir}"); at != std::string::npos; at = text.find("{dir}")) {
    text.replace(at, 5, dir_->path());
  }
  std::string config = dir_->Write("agent.yaml", text);
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{PromoteBinary(), "agent", "-c", config},
                                            dir_->path() + "/agent.log");
  auto line = WaitForJsonLine(dir_->path() + "/agent.log", "listening", process_.get(), std::chrono::seconds(60));
  for (const auto& a : line["listening"]) addresses_.push_back(a.get<std::string>());
  if (line.contains("metrics")) metrics_url_ = line["metrics"].get<std::string>();
}

TestAgent::~TestAgent() = default;

std::string TestAgent::Address(const std::string& prefix) const {
  for (const auto& a : addresses_) {
    if (a.rfind(prefix, 0) == 0) return a;
  }
  throw std::runtime_error("the agent listens on no " + prefix + " address");
}

std::string TestAgent::dir() const { return dir_->path(); }
std::string TestAgent::log() const { return Slurp(dir_->path() + "/agent.log"); }
int TestAgent::pid() const { return process_->pid(); }
void TestAgent::Signal(int sig) { ::kill(process_->pid(), sig); }

std::string TestAgent::WaitForExit(std::chrono::seconds timeout) {
  return WaitUntil([&] { return !process_->Running(); }, timeout) ? process_->DescribeExit() : "";
}

FaultProxy::FaultProxy(const std::string& upstream_base_url) : dir_(std::make_unique<TempDir>()) {
  std::string rules = dir_->Write("rules.json", "[]");
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"python3", std::string(PROMOTE_TEST_SUPPORT_DIR) + "/fault_proxy.py", upstream_base_url,
                               rules},
      dir_->path() + "/proxy.log");
  port_ = WaitForJsonLine(dir_->path() + "/proxy.log", "port", process_.get(), std::chrono::seconds(60))["port"];
}

FaultProxy::~FaultProxy() = default;

void FaultProxy::SetRules(const nlohmann::json& rules) {
  // Written whole and renamed, so the proxy never reads half a file.
  std::string tmp = dir_->Write("rules.json.tmp", rules.dump());
  std::rename(tmp.c_str(), (dir_->path() + "/rules.json").c_str());
}

std::vector<nlohmann::json> FaultProxy::Hits() const {
  std::vector<nlohmann::json> out;
  std::istringstream lines(Slurp(dir_->path() + "/proxy.log"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.contains("hit")) out.push_back(std::move(j));
  }
  return out;
}

bool FaultProxy::WaitForHits(size_t count, std::chrono::seconds timeout) const {
  return WaitUntil([&] { return Hits().size() >= count; }, timeout);
}

RequestRecorder::RequestRecorder() : dir_(std::make_unique<TempDir>()) {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"python3", std::string(PROMOTE_TEST_SUPPORT_DIR) + "/request_recorder.py"},
      dir_->path() + "/recorder.log");
  port_ = WaitForJsonLine(dir_->path() + "/recorder.log", "port", process_.get(), std::chrono::seconds(60))["port"];
}

RequestRecorder::~RequestRecorder() = default;

std::string RequestRecorder::log() const { return Slurp(dir_->path() + "/recorder.log"); }

std::vector<nlohmann::json> RequestRecorder::Requests() const {
  std::vector<nlohmann::json> out;
  std::istringstream lines(log());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.contains("request")) out.push_back(std::move(j["request"]));
  }
  return out;
}

}  // namespace promote::testing
