// HostileRegistry: tests/support/hostile_registry.py on loopback — a registry front that forwards
// to a real registry but misbehaves where a test says (redirects, upload Locations, challenges,
// huge tag pages, odd headers, error bodies), and a second listener on another port (another
// origin) that records what reaches it. Every request to both is recorded with its headers.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace promote::testing {

class ChildProcess;
class TempDir;

class HostileRegistry {
 public:
  // `config` as documented in hostile_registry.py. Waits until both listeners serve; throws
  // std::runtime_error with the server's log when they do not within 15 s.
  explicit HostileRegistry(const nlohmann::json& config);
  ~HostileRegistry();
  HostileRegistry(const HostileRegistry&) = delete;
  HostileRegistry& operator=(const HostileRegistry&) = delete;

  int port() const { return port_; }
  int side_port() const { return side_port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  // Every request recorded so far: {"listener", "method", "target", "headers"}, oldest first.
  std::vector<nlohmann::json> Requests() const;
  // The recorded requests of one listener ("front" or "side").
  std::vector<nlohmann::json> Requests(const std::string& listener) const;
  std::string log() const;

 private:
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  int side_port_ = 0;
};

}  // namespace promote::testing
