// TokenServer: the bearer-token service a token-auth TestRegistry sends clients to, run from
// token_server.py (Docker token protocol, ES256 JWTs with an x5c header) on 127.0.0.1.
// Most tests get one through TestRegistry(RegistryOptions{.auth = RegistryAuth::kToken}).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace promote::testing {

class ChildProcess;
class TempDir;

// A further account of the token server, e.g. a robot that may only use one namespace.
struct TokenAccount {
  std::string username;
  std::string password;
  std::vector<std::string> actions = {"*"};
  // Namespaces it may use ("stage" covers "stage/app"); empty: every repository.
  std::vector<std::string> repositories{};
};

struct TokenServerOptions {
  std::string issuer = "promote-test-token-issuer";
  std::string service = "promote-test-registry";
  std::string username{};
  std::string password{};
  // Actions the user may be granted ("pull", "push", "delete", "*" = all). A token grants the
  // intersection of what was asked for and this list.
  std::vector<std::string> actions = {"*"};
  // Accounts besides `username`.
  std::vector<TokenAccount> more_accounts{};
  // expires_in and exp = iat + ttl. Note that distribution accepts a token up to 60 s after its exp
  // (clock-skew leeway), so tests of token refresh count requests at the token server (Stats())
  // rather than wait for the registry to refuse a token.
  int ttl_seconds = 300;
  // Anonymous requests get a token with no access (false) or 401 (true).
  bool reject_anonymous = false;
  // Serve HTTPS with TestCa's server certificate instead of plain HTTP.
  bool tls = false;
};

struct TokenServerStats {
  uint64_t requests = 0;              // every GET /token
  uint64_t issued = 0;                // tokens for an authenticated user
  uint64_t issued_anonymous = 0;      // tokens without credentials (no access)
  uint64_t rejected = 0;              // 401: wrong or missing credentials
  uint64_t bad_request = 0;           // 400: wrong service or malformed scope
  std::vector<std::string> scopes{};  // every scope asked for, oldest first (last 1000)
};

class TokenServer {
 public:
  // Starts the server in `dir` (config, signing certificate, log) and waits until it listens.
  // Throws std::runtime_error with the server's log when it does not start within 15 s.
  TokenServer(TokenServerOptions options, const std::string& dir);
  ~TokenServer();
  TokenServer(const TokenServer&) = delete;
  TokenServer& operator=(const TokenServer&) = delete;

  const TokenServerOptions& options() const { return options_; }
  std::string base_url() const;  // "http(s)://127.0.0.1:PORT"
  std::string realm() const;     // base_url() + "/token"
  // PEM certificate that signs the tokens: the registry's auth.token.rootcertbundle.
  std::string signing_cert_path() const { return signing_cert_path_; }
  std::string log() const;
  // Counters since start, fetched from GET /stats. Throws when the server does not answer.
  TokenServerStats Stats() const;

 private:
  TokenServerOptions options_;
  std::string dir_;
  std::string log_path_;
  std::string signing_cert_path_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// The interpreter for token_server.py: $PROMOTE_TEST_PYTHON, else /usr/bin/python3 (Debian's,
// which has python3-cryptography), else python3 from PATH.
std::string TokenServerPython();

}  // namespace promote::testing
