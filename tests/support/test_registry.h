// TestRegistry: a real CNCF distribution registry (Debian's docker-registry) on 127.0.0.1, with
// plain HTTP or TLS (TestCa) and no auth, htpasswd Basic auth or Bearer token auth (TokenServer),
// its storage in a private temp dir. Integration tests start one per test (about 0.1-0.3 s).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/token_server.h"

namespace promote::testing {

class ChildProcess;
class TempDir;

enum class RegistryAuth { kNone, kBasic, kToken };

// A password that is new for every call (so nothing can depend on a fixed one).
std::string RandomPassword();

struct RegistryOptions {
  RegistryAuth auth = RegistryAuth::kNone;
  bool tls = false;  // HTTPS with TestCa's server certificate; the token server follows suit
  // The one account (htpasswd entry, or token-server user).
  std::string username = "promote-test";
  std::string password = RandomPassword();
  // Token auth only: lifetime of issued tokens, see TokenServerOptions::ttl_seconds.
  int token_ttl_seconds = 300;
  // Token auth only: actions the account may be granted ("*" = all; {"pull"} = read-only account).
  std::vector<std::string> token_actions = {"*"};
  // Token auth only: accounts besides `username` (e.g. robots limited to one namespace).
  std::vector<TokenAccount> token_accounts{};
  // Token auth only: 401 for anonymous token requests instead of a token with no access.
  bool token_reject_anonymous = false;
  // Token auth only: given the token server's realm URL, the realm the registry announces
  // instead (e.g. a FaultProxy in front of the token server). Unset: the token server's own.
  std::function<std::string(const std::string& realm)> token_realm = {};
};

// One request as the registry's access log recorded it.
struct AccessLogEntry {
  std::string method{};  // "GET", "HEAD", ...
  std::string target{};  // request URI as sent: path and query ("/v2/shop/app/blobs/sha256:...")
  int status = 0;
};

// Not thread-safe: one test thread drives a TestRegistry (the registry itself serves any number of
// concurrent clients).
class TestRegistry {
 public:
  // Starts the registry (and, for kToken, its token server) and waits until GET /v2/ answers.
  // Throws std::runtime_error with the registry's log when it does not start within 15 s.
  explicit TestRegistry(RegistryOptions options = {});
  // Kills the registry and the token server and removes the storage.
  ~TestRegistry();
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  const RegistryOptions& options() const { return options_; }
  std::string host() const;      // "127.0.0.1:PORT", the registry part of an image reference
  std::string base_url() const;  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT"
  std::string ca_file() const;   // PEM trust anchor when TLS, "" otherwise
  std::string cert_dir() const;  // directory holding ca.crt (skopeo --cert-dir) when TLS, "" otherwise

  // The token server of a kToken registry, nullptr otherwise.
  const TokenServer* token_server() const { return token_server_.get(); }

  // Writes a docker config.json ({"auths": {host(): {"auth": base64(user:password)}}}, mode 0600)
  // into the registry's temp dir and returns its path. For kNone the "auths" object is empty.
  std::string WriteDockerConfig() const;

  // Filesystem storage, for tests that corrupt or remove what the registry serves.
  std::string storage_root() const;
  // <root>/docker/registry/v2/blobs/sha256/<first 2 hex>/<hex>/data for "sha256:<hex>".
  // Throws std::invalid_argument for anything but a sha256 digest.
  std::string BlobDataPath(const std::string& digest) const;

  // Everything the registry wrote to stdout/stderr since construction (all runs).
  std::string log() const;

  // SIGKILL now, like a registry host that disappears; connections are refused afterwards.
  // Idempotent. The token server keeps running.
  void Stop();
  // Starts again on the same port with the same storage (stopping first if running). Throws when
  // the port has been taken by another process in the meantime.
  void Restart();
  bool running() const;

  // Requests recorded in the access log (Apache combined format on the registry's stdout), oldest
  // first, across restarts. When the registry is running, a marker request is made first and its
  // log line awaited, so every request whose response the caller has completely received is
  // included. The support library's own probes are left out.
  std::vector<AccessLogEntry> AccessLog() const;
  // Number of AccessLog() entries with exactly `method` whose target contains `target_substring`.
  uint64_t RequestCount(std::string_view method, std::string_view target_substring) const;

 private:
  void Start();
  void WriteConfig() const;

  RegistryOptions options_;
  std::unique_ptr<TempDir> dir_;  // declared first: destroyed after the processes using it
  std::unique_ptr<TokenServer> token_server_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  mutable uint64_t next_marker_ = 0;
};

// Requests that write (PUT, POST, PATCH) in registry.AccessLog(): what a test that expects nothing
// written compares before and after.
uint64_t Writes(const TestRegistry& registry);

}  // namespace promote::testing
