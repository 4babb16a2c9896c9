#include "service/agent_config.h"

#include <doctest/doctest.h>

using namespace promote::service;

TEST_CASE("a complete agent.yaml loads") {
  auto c = ParseAgentConfig(R"(version: 1
listen: [unix:///run/promote/agent.sock, "tcp://0.0.0.0:7443", "[::1]:0"]
socket-mode: "0600"
socket-group: root
tls: {cert: /etc/promote/agent.crt, key: /etc/promote/agent.key, client-ca: /etc/promote/clients.pem}
auth: {token-file: /etc/promote/tokens}
registries:
  - {host: prod.registry:5000, username: promote, password: env:PROD_PASSWORD}
docker-config: /etc/promote/config.json
ca-file: /etc/promote/ca.pem
plain-http: [registry.internal:5000]
signing: {key: file:/etc/promote/cosign.key, password: env:COSIGN_PASSWORD}
scanners:
  trivy: {kind: trivy}
limits: {operations: 4, queue: 10, jobs: 8, registry-requests: 12, handshake-timeout-seconds: 5,
         idle-connection-seconds: 30, keepalive-seconds: 15, streams-per-connection: 8}
allow-request-credentials: true
log: {format: json, level: warn}
shutdown-grace-seconds: 5
)",
                            "agent.yaml");
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  REQUIRE(c->listen.size() == 3);
  CHECK(c->listen[0].kind == ListenAddress::kUnix);
  CHECK(c->listen[0].path == "/run/promote/agent.sock");
  CHECK(c->listen[0].GrpcAddress() == "unix:/run/promote/agent.sock");
  CHECK(c->listen[1].host == "0.0.0.0");
  CHECK(c->listen[1].port == 7443);
  CHECK_FALSE(c->listen[1].loopback());
  CHECK(c->listen[2].loopback());
  CHECK(c->listen[2].GrpcAddress() == "[::1]:0");
  CHECK(c->socket_mode == 0600);
  CHECK(c->socket_group == 0);  // "root" is gid 0 on every Debian host
  CHECK(c->tls());
  CHECK(c->registries.at(0).password.ref == "env:PROD_PASSWORD");
  CHECK(c->scanners.count("trivy") == 1);
  CHECK(c->limits.operations == 4);
  CHECK(c->limits.queue == 10);
  CHECK(c->limits.handshake_timeout_seconds == 5);
  CHECK(c->limits.idle_connection_seconds == 30);
  CHECK(c->limits.keepalive_seconds == 15);
  CHECK(c->limits.streams_per_connection == 8);
  CHECK(c->allow_request_credentials);
  CHECK(c->log_json);
  CHECK(c->shutdown_grace_seconds == 5);
  // The variables its secrets come from, which no child process sees.
  CHECK(SecretEnvNames(*c) == std::vector<std::string>{"PROD_PASSWORD", "COSIGN_PASSWORD"});
}

TEST_CASE("agent.yaml's earlier snake_case keys are read as their kebab-case spellings, each with a warning") {
  auto c = ParseAgentConfig(R"(listen: [unix:///a.sock, "tcp://127.0.0.1:7443"]
socket_mode: "0600"
tls: {cert: /c.pem, key: /k.pem, client_ca: /ca.pem}
auth: {token_file: /etc/promote/tokens}
limits: {registry_requests: 12, keepalive_seconds: 15}
allow_request_credentials: true
scanners:
  stub: {kind: command, executable: /bin/true, format: trivy-json, env: {token_file: kept}}
)",
                            "agent.yaml");
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(c->socket_mode == 0600);
  CHECK(c->tls_client_ca == "/ca.pem");
  CHECK(c->token_file == "/etc/promote/tokens");
  CHECK(c->limits.registry_requests == 12);
  CHECK(c->limits.keepalive_seconds == 15);
  CHECK(c->allow_request_credentials);
  CHECK(c->scanners.at("stub").env.count("token_file") == 1);  // the user's names are left alone
  REQUIRE(c->warnings.size() == 6);
  CHECK(c->warnings[0] == "agent.yaml:2: 'socket_mode' is deprecated: spell it 'socket-mode'");

  auto kebab = ParseAgentConfig("listen: [unix:///a.sock]\nsocket-mode: \"0600\"\n", "agent.yaml");
  REQUIRE(kebab.ok());
  CHECK(kebab->warnings.empty());
  auto both = ParseAgentConfig("listen: [unix:///a.sock]\nsocket_mode: \"0600\"\nsocket-mode: \"0660\"\n", "agent.yaml");
  REQUIRE_FALSE(both.ok());
  CHECK(both.status().message() == "agent.yaml:2: both 'socket_mode' and 'socket-mode': keep 'socket-mode'");
  // Errors after the rename still name the line and the key as it is now spelled.
  auto bad = ParseAgentConfig("listen: [unix:///a.sock]\nsocket_mode: \"0777\"\n", "agent.yaml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("agent.yaml:2: socket-mode must not give other users access") == 0);
}

TEST_CASE("defaults: no request secrets, text logs, 0660") {
  auto c = ParseAgentConfig("listen: [unix:///tmp/a.sock]\n", "agent.yaml");
  REQUIRE(c.ok());
  CHECK(c->socket_mode == 0660);
  CHECK(c->socket_group == -1);
  CHECK_FALSE(c->allow_request_credentials);
  CHECK_FALSE(c->log_json);
  CHECK(c->limits.operations == 16);
  // Connections are bounded even when agent.yaml says nothing about them.
  CHECK(c->limits.handshake_timeout_seconds == 10);
  CHECK(c->limits.idle_connection_seconds == 120);
  CHECK(c->limits.keepalive_seconds == 60);
  CHECK(c->limits.streams_per_connection == 100);
  CHECK_FALSE(c->metrics_listen.has_value());  // no metrics listener unless asked for
}

TEST_CASE("metrics listen address") {
  auto c =
      ParseAgentConfig("listen: [unix:///tmp/a.sock]\nmetrics: {listen: \"127.0.0.1:9464\"}\n", "agent.yaml");
  REQUIRE(c.ok());
  REQUIRE(c->metrics_listen.has_value());
  CHECK(c->metrics_listen->GrpcAddress() == "127.0.0.1:9464");
  CHECK(ParseMetricsAddress("[::1]:9464")->GrpcAddress() == "[::1]:9464");
  CHECK(ParseMetricsAddress("tcp://10.0.0.1:0")->port == 0);
  CHECK_FALSE(ParseMetricsAddress("metrics.internal:9464").ok());
}

TEST_CASE("bad agent.yaml files are refused with file:line, never echoing a secret") {
  struct Case {
    const char* name;
    std::string yaml;
    std::string expect;
  };
  const std::string tls = "tls: {cert: /c.pem, key: /k.pem}\n";
  std::vector<Case> cases = {
      {"not yaml", "listen: [\n", "agent.yaml:"},
      {"no listen", "log: {level: info}\n", "listen is required"},
      {"empty listen", "listen: []\n", "at least one address"},
      {"unknown key", "listen: [unix:///a.sock]\ncolour: blue\n", "agent.yaml:2: unknown key 'colour'"},
      {"relative socket", "listen: [unix:a.sock]\n", "absolute path"},
      {"scheme", "listen: [http://127.0.0.1:1]\n", "unix:///path or tcp://host:port"},
      {"no port", "listen: [tcp://127.0.0.1]\n", "host:port"},
      {"bad port", "listen: [tcp://127.0.0.1:99999]\n", "port out of range"},
      {"word port", "listen: [tcp://127.0.0.1:http]\n", "port must be a number"},
      {"public without tls", "listen: [tcp://0.0.0.0:7443]\nauth: {token-file: /t}\n", "needs tls"},
      {"tcp without auth", "listen: [tcp://127.0.0.1:7443]\n", "auth.token-file or tls.client-ca"},
      {"tls without key", "listen: [unix:///a.sock]\ntls: {cert: /c.pem}\n", "tls needs cert and key"},
      {"client ca without tls", "listen: [unix:///a.sock]\ntls: {client-ca: /ca.pem}\n",
       "tls needs cert and key"},
      {"world socket", "listen: [unix:///a.sock]\nsocket_mode: \"0666\"\n", "must not give other users"},
      {"bad mode", "listen: [unix:///a.sock]\nsocket_mode: rw\n", "octal"},
      {"unknown group", "listen: [unix:///a.sock]\nsocket_group: no-such-group-here\n", "no such group"},
      {"empty group", "listen: [unix:///a.sock]\nsocket_group: \"\"\n", "must name a group"},
      {"numeric group is fine", "listen: [unix:///a.sock]\nsocket_group: 4242\n", ""},
      {"literal password",
       "listen: [unix:///a.sock]\nregistries:\n  - {host: r, username: u, password: hunter2hunter2}\n",
       "never a literal secret"},
      {"registry without password", "listen: [unix:///a.sock]\nregistries:\n  - {host: r, username: u}\n",
       "need host, username and password"},
      {"registry host as a URL",
       "listen: [unix:///a.sock]\nregistries:\n  - {host: \"https://r.io\", username: u, password: env:P}\n",
       "is a URL"},
      {"registry namespace without a host",
       "listen: [unix:///a.sock]\nregistries:\n  - {host: team/app, username: u, password: env:P}\n",
       "not a registry host followed by a repository namespace"},
      {"registry namespace with a bad name",
       "listen: [unix:///a.sock]\nregistries:\n  - {host: r.io/Team, username: u, password: env:P}\n",
       "not a registry host followed by a repository namespace"},
      {"registry host with a space",
       "listen: [unix:///a.sock]\nregistries:\n  - {host: \"r.io /team\", username: u, password: env:P}\n",
       "space or control character"},
      {"registry listed twice",
       "listen: [unix:///a.sock]\nregistries:\n  - {host: r.io/team, username: u, password: env:P}\n"
       "  - {host: r.io/team, username: v, password: env:Q}\n",
       "listed twice"},
      {"registry namespace is fine",
       "listen: [unix:///a.sock]\nregistries:\n  - {host: r.io, username: u, password: env:P}\n"
       "  - {host: \"r.io:5000/team/sub\", username: v, password: env:Q}\n",
       ""},
      {"literal signing key", "listen: [unix:///a.sock]\nsigning: {key: /etc/cosign.key}\n",
       "never a literal"},
      {"signing format bundle", "listen: [unix:///a.sock]\nsigning: {key: file:/k, format: bundle}\n", ""},
      {"unknown signing format", "listen: [unix:///a.sock]\nsigning: {key: file:/k, format: v3}\n",
       "agent.yaml:2: signing format 'v3' must be cosign or bundle"},
      {"zero operations", "listen: [unix:///a.sock]\nlimits: {operations: 0}\n", "between 1 and 4096"},
      {"zero handshake timeout", "listen: [unix:///a.sock]\nlimits: {handshake-timeout-seconds: 0}\n",
       "limits.handshake-timeout-seconds must be between 1 and 300"},
      {"endless handshake", "listen: [unix:///a.sock]\nlimits: {handshake-timeout-seconds: 3600}\n",
       "between 1 and 300"},
      {"negative idle", "listen: [unix:///a.sock]\nlimits: {idle-connection-seconds: -5}\n",
       "limits.idle-connection-seconds must be a whole number"},
      {"idle in words", "listen: [unix:///a.sock]\nlimits: {idle-connection-seconds: 2m}\n",
       "agent.yaml:2: limits.idle-connection-seconds must be a whole number, not '2m'"},
      {"idle as a list", "listen: [unix:///a.sock]\nlimits: {idle-connection-seconds: [1]}\n",
       "limits.idle-connection-seconds must be a number"},
      {"keepalive too eager", "listen: [unix:///a.sock]\nlimits: {keepalive-seconds: 1}\n",
       "limits.keepalive-seconds must be between 10 and 86400"},
      {"no streams", "listen: [unix:///a.sock]\nlimits: {streams-per-connection: 0}\n",
       "limits.streams-per-connection must be between 1 and 10000"},
      {"unknown limit", "listen: [unix:///a.sock]\nlimits: {threads: 3}\n", "unknown key 'threads'"},
      {"bad log format", "listen: [unix:///a.sock]\nlog: {format: xml}\n", "json or text"},
      {"bad log level", "listen: [unix:///a.sock]\nlog: {level: loud}\n", "log.level"},
      {"bad bool", "listen: [unix:///a.sock]\nallow-request-credentials: maybe\n", "true or false"},
      {"bad scanner", "listen: [unix:///a.sock]\nscanners:\n  t: {kind: clair}\n",
       "kind must be trivy, grype"},
      {"public tls with tokens is fine", "listen: [tcp://0.0.0.0:7443]\n" + tls + "auth: {token-file: /t}\n",
       ""},
      {"policy not a list", "listen: [unix:///a.sock]\npolicy: {applications: [a]}\n",
       "agent.yaml:2: policy must be a list"},
      {"policy without environments", "listen: [unix:///a.sock]\npolicy:\n  - applications: [a]\n",
       "agent.yaml:3: a policy entry needs environments"},
      {"policy unknown key", "listen: [unix:///a.sock]\npolicy:\n  - environments: []\n    owner: me\n",
       "agent.yaml:4: unknown key 'owner'"},
      {"policy environment without branches",
       "listen: [unix:///a.sock]\npolicy:\n  - environments:\n      - {name: prod, repositories: [r/p]}\n",
       "agent.yaml:4: policy environment needs name, repositories and branches"},
      {"policy repository without a host",
       "listen: [unix:///a.sock]\npolicy:\n  - environments:\n      - {name: prod, repositories: [p], "
       "branches: [main]}\n",
       "must be host/repository"},
      {"policy after an unknown environment",
       "listen: [unix:///a.sock]\npolicy:\n  - environments:\n"
       "      - {name: prod, repositories: [r/p], branches: [main], after: stage}\n",
       "agent.yaml:4: policy environment 'prod' comes after 'stage'"},
      {"policy scan with a scanner agent.yaml lacks",
       "listen: [unix:///a.sock]\npolicy:\n  - environments:\n"
       "      - {name: prod, repositories: [r/p], branches: [main], scan: {scanners: [trivy]}}\n",
       "'trivy' is not in agent.yaml scanners"},
      {"policy scan with a bad severity",
       "listen: [unix:///a.sock]\nscanners: {trivy: {kind: trivy}}\npolicy:\n  - environments:\n"
       "      - {name: prod, repositories: [r/p], branches: [main], scan: {scanners: [trivy], fail-on: "
       "SEVERE}}\n",
       "agent.yaml:5: "},
      {"policy environment listed twice",
       "listen: [unix:///a.sock]\npolicy:\n  - environments:\n      - {name: prod, repositories: [r/p], "
       "branches: [main]}\n"
       "      - {name: prod, repositories: [r/q], branches: [main]}\n",
       "agent.yaml:5: policy environment 'prod' is listed twice"},
      {"policy is fine",
       "listen: [unix:///a.sock]\nscanners: {trivy: {kind: trivy}}\npolicy:\n  - applications: [\"shop-*\"]\n"
       "    environments:\n      - {name: stage, repositories: [\"r:5000/shop/*\"], branches: "
       "[\"release/*\"]}\n"
       "      - {name: prod, repositories: [\"r:5000/prod/*\"], branches: [main], after: stage, sign: true,\n"
       "         scan: {scanners: [trivy], fail-on: HIGH, allow: [CVE-2023-1]}, signature: {keys: "
       "[/k.pub]}}\n",
       ""},
      {"metrics without listen", "listen: [unix:///a.sock]\nmetrics: {}\n",
       "agent.yaml:2: metrics needs listen"},
      {"metrics unknown key", "listen: [unix:///a.sock]\nmetrics: {listen: \"127.0.0.1:9464\", path: /m}\n",
       "agent.yaml:2: unknown key 'path' in metrics"},
      {"metrics on a unix socket", "listen: [unix:///a.sock]\nmetrics:\n  listen: unix:///m.sock\n",
       "agent.yaml:3: metrics.listen 'unix:///m.sock': metrics are served over TCP"},
      {"metrics host name", "listen: [unix:///a.sock]\nmetrics: {listen: \"localhost:9464\"}\n",
       "metrics.listen 'localhost:9464': the host must be an IP address"},
      {"metrics without port", "listen: [unix:///a.sock]\nmetrics: {listen: 127.0.0.1}\n",
       "metrics.listen '127.0.0.1': listen address '127.0.0.1': expected host:port"},
      {"metrics port out of range", "listen: [unix:///a.sock]\nmetrics: {listen: \"127.0.0.1:70000\"}\n",
       "port out of range"},
      {"metrics as a list", "listen: [unix:///a.sock]\nmetrics: {listen: [\"127.0.0.1:9464\"]}\n",
       "metrics.listen must be a string"},
      {"metrics on the gRPC port",
       "listen: [tcp://127.0.0.1:7443]\nauth: {token-file: /t}\nmetrics: {listen: \"127.0.0.1:7443\"}\n",
       "agent.yaml:3: metrics.listen '127.0.0.1:7443' uses the port of listen address"},
      {"metrics on any address is fine", "listen: [unix:///a.sock]\nmetrics: {listen: \"0.0.0.0:9464\"}\n",
       ""},
      {"metrics on ipv6 is fine", "listen: [unix:///a.sock]\nmetrics: {listen: \"[::1]:0\"}\n", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto r = ParseAgentConfig(c.yaml, "agent.yaml");
    if (c.expect.empty()) {
      CHECK_MESSAGE(r.ok(), r.status().message());
      continue;
    }
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == promote::Code::kInvalidArgument);
    CHECK_MESSAGE(r.status().message().find(c.expect) != std::string::npos, r.status().message());
    CHECK(r.status().message().find("hunter2") == std::string::npos);
  }
}

TEST_CASE("listen addresses") {
  CHECK(ParseListenAddress("unix:///run/a.sock")->path == "/run/a.sock");
  CHECK(ParseListenAddress("unix:/run/a.sock")->path == "/run/a.sock");
  CHECK(ParseListenAddress("127.0.0.1:0")->port == 0);
  CHECK(ParseListenAddress("localhost:80")->loopback());
  CHECK_FALSE(ParseListenAddress("[::1]").ok());
  CHECK_FALSE(ParseListenAddress("tcp://:80").ok());
  CHECK_FALSE(ParseListenAddress("tcp://a b:80").ok());
}
