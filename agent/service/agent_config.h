// agent.yaml: how `promote agent` listens, whom it serves, and the registry credentials, signing
// key, scanners and limits it uses on behalf of its callers. Secrets are references (env:NAME,
// file:/path), never literals; loading is strict like promote.yaml (unknown keys, bad values:
// errors with file:line).
//
//   listen: [unix:///run/promote/agent.sock, tcp://0.0.0.0:7443]
//   socket-mode: "0660"
//   socket-group: promote
//   tls: {cert: server.pem, key: server.key, client-ca: clients-ca.pem}
//   auth: {token-file: /etc/promote/tokens}
//   registries:
//     - {host: prod.registry:5000, username: promote, password: env:PROD_PASSWORD}
//   docker-config: /etc/promote/docker/config.json
//   ca-file: /etc/promote/registry-ca.pem
//   plain-http: [registry.internal:5000]
//   signing: {key: file:/etc/promote/cosign.key, password: env:COSIGN_PASSWORD, format: bundle}
//   scanners: {trivy: {kind: trivy}}
//   limits: {operations: 16, queue: 64, jobs: 16, registry-requests: 32, handshake-timeout-seconds: 10,
//            idle-connection-seconds: 120, keepalive-seconds: 60, streams-per-connection: 100}
//   allow-request-credentials: false
//   policy: [...]                       (policy/server_policy.h)
//   log: {format: json, level: info}
//   shutdown-grace-seconds: 30
//   metrics: {listen: 127.0.0.1:9464}    (Prometheus /metrics over plain HTTP; absent: none)
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/promote_config.h"
#include "policy/server_policy.h"
#include "scan/scanner_hook.h"
#include "util/status.h"

namespace promote::service {

// One address to listen on.
struct ListenAddress {
  enum Kind { kUnix, kTcp };
  Kind kind = kUnix;
  std::string path;      // kUnix
  std::string host;      // kTcp ("0.0.0.0", "127.0.0.1", "::1", a name)
  int port = 0;          // kTcp; 0 = any free port (the agent prints the one it got)
  std::string original;  // as written, for messages
  bool loopback() const;
  std::string GrpcAddress() const;  // "unix:/path" or "host:port"
};

// "unix:///run/promote/agent.sock", "unix:/path", "tcp://host:port", "host:port".
Result<ListenAddress> ParseListenAddress(const std::string& text);

// metrics.listen: "host:port" or "[v6]:port" where host is an IP address (the HTTP server takes
// no names), port 0 for any free one.
Result<ListenAddress> ParseMetricsAddress(const std::string& text);

struct AgentRegistryCredentials {
  std::string host;
  std::string username;  // literal or env:NAME
  policy::SecretRef password;
};

struct AgentLimits {
  int operations = 16;         // operations running at once
  int queue = 256;             // operations waiting beyond those; more are refused
  int jobs = 16;               // blob transfers per operation at most
  int registry_requests = 32;  // concurrent requests per registry host, shared by all operations
  // Connections: a peer that connects and says nothing, or finishes the handshake and never
  // calls, holds a file descriptor; these bound for how long.
  int handshake_timeout_seconds = 10;  // TCP accepted to TLS + HTTP/2 settings received
  int idle_connection_seconds = 120;   // a connection without calls is closed (GOAWAY) after this
  int keepalive_seconds = 60;          // pings a quiet connection; one that does not answer in 20 s is closed
  int streams_per_connection = 100;    // concurrent calls one connection may open
};

struct AgentConfig {
  std::string origin;
  std::vector<ListenAddress> listen;
  int socket_mode = 0660;
  int socket_group = -1;  // the unix sockets' group (a gid); -1 leaves the agent's own
  std::string tls_cert, tls_key, tls_client_ca;  // paths; client_ca turns on mTLS
  std::string token_file;                        // bearer tokens accepted, one per line
  std::vector<AgentRegistryCredentials> registries;
  std::string docker_config;                     // consulted after registries:
  std::string ca_file;
  std::vector<std::string> plain_http;
  policy::SigningConfig signing;
  std::map<std::string, scan::HookConfig> scanners;
  AgentLimits limits;
  bool allow_request_credentials = false;
  // What promotions this agent performs, whatever a request's promote.yaml says (empty: any).
  policy::ServerPolicy policy;
  bool log_json = false;
  std::string log_level = "info";
  int shutdown_grace_seconds = 30;
  // Where Prometheus scrapes /metrics (plain HTTP, no authentication); nullopt: no metrics listener.
  std::optional<ListenAddress> metrics_listen;
  // What the agent should log at start: "agent.yaml:3: 'socket_mode' is deprecated: spell it 'socket-mode'".
  std::vector<std::string> warnings;

  bool tls() const { return !tls_cert.empty(); }
};

// Parses agent.yaml text. Besides syntax, checks that every TCP address off loopback has TLS and
// that every TCP address has a way to authenticate callers (a token file or client certificates).
Result<AgentConfig> ParseAgentConfig(const std::string& yaml_text, const std::string& origin);
Result<AgentConfig> LoadAgentConfig(const std::string& path);

// The variables agent.yaml's env:NAME references point at (registry usernames and passwords, the
// signing key and passphrase), for policy::WithholdSecretsFromChildren (policy/secret_ref.h).
std::vector<std::string> SecretEnvNames(const AgentConfig& config);

}  // namespace promote::service
