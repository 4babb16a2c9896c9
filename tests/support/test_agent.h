// TestAgent: the real `promote agent` started from a test with a given agent.yaml; FaultProxy:
// tests/support/fault_proxy.py between promote and a real registry. Both wait until they serve
// (by reading the line each prints when ready) and throw with their log when they do not.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace promote::testing {

class ChildProcess;
class TempDir;

// Polls `done` every 20 ms until it returns true (true) or `timeout` passes (false): for waiting
// on a process's output or exit, which nothing signals to the test.
bool WaitUntil(const std::function<bool()>& done, std::chrono::seconds timeout);

class TestAgent {
 public:
  // `yaml` is agent.yaml; "{dir}" in it is replaced by a private temp dir (for the socket).
  // The agent inherits this process's environment.
  explicit TestAgent(const std::string& yaml);
  ~TestAgent();
  TestAgent(const TestAgent&) = delete;
  TestAgent& operator=(const TestAgent&) = delete;

  const std::vector<std::string>& addresses() const { return addresses_; }
  // The first address starting with `prefix` ("unix://", "tls://", "tcp://"); throws if none.
  std::string Address(const std::string& prefix) const;
  // "http://127.0.0.1:PORT/metrics" when agent.yaml has metrics: {listen: …}; "" otherwise.
  const std::string& metrics_url() const { return metrics_url_; }
  std::string dir() const;
  std::string log() const;
  int pid() const;
  void Signal(int sig);
  // Waits for the agent to exit; "exited with N" / "killed by signal N", or "" on timeout.
  std::string WaitForExit(std::chrono::seconds timeout);

 private:
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ChildProcess> process_;
  std::vector<std::string> addresses_;
  std::string metrics_url_;
};

class FaultProxy {
 public:
  // Proxies to `upstream_base_url` ("http://127.0.0.1:PORT") with no rules yet.
  explicit FaultProxy(const std::string& upstream_base_url);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // Replaces the rules (see fault_proxy.py); takes effect for the next request.
  void SetRules(const nlohmann::json& rules);
  // The rule hits so far, in order.
  std::vector<nlohmann::json> Hits() const;
  // Waits until at least `count` hits were recorded; false on timeout.
  bool WaitForHits(size_t count, std::chrono::seconds timeout) const;

 private:
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

// tests/support/request_recorder.py: a registry-shaped server that answers every request 401
// (Basic challenge) and records each one whole, to search for secrets that must not reach it.
class RequestRecorder {
 public:
  RequestRecorder();
  ~RequestRecorder();
  RequestRecorder(const RequestRecorder&) = delete;
  RequestRecorder& operator=(const RequestRecorder&) = delete;

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // Every request received so far: {"method","path","headers":{..},"body"}.
  std::vector<nlohmann::json> Requests() const;
  // Everything it printed, for searching.
  std::string log() const;

 private:
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

}  // namespace promote::testing
