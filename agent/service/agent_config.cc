#include "service/agent_config.h"

#include <arpa/inet.h>
#include <grp.h>

#include <algorithm>
#include <iterator>
#include <string_view>

#include "oci/reference.h"
#include "policy/secret_ref.h"
#include "policy/yaml_reader.h"
#include "util/read_file.h"

namespace promote::service {

// agent.yaml is read as strictly as promote.yaml, with the policy module's reader (policy/yaml_reader.h).
using policy::Reader;

namespace {

// A registries entry's host: a registry host ("prod.registry.example", "127.0.0.1:5000"), or one
// with a repository namespace ("harbor.example/team-a") for an account that only holds that.
Status ValidateCredentialScope(const std::string& scope) {
  std::string quoted = "registries.host '" + scope + "'";
  if (scope.empty()) return InvalidArgument("registries.host must not be empty");
  if (scope.find("://") != std::string::npos) {
    return InvalidArgument(quoted + " is a URL; give the registry host (and optionally a namespace: host/team)");
  }
  for (char ch : scope) {
    if (ch <= ' ' || ch == 0x7f) return InvalidArgument(quoted + " contains a space or control character");
  }
  auto slash = scope.find('/');
  if (slash == std::string::npos) return OkStatus();
  auto repo = oci::ParseRepository(scope);
  if (!repo.ok() || repo->registry + "/" + repo->repository != scope) {
    return InvalidArgument(quoted + " is not a registry host followed by a repository namespace (host/team)");
  }
  return OkStatus();
}

constexpr size_t kMaxAgentConfigBytes = 1024 * 1024;

Result<int> ParsePort(const std::string& text, const std::string& address) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument("listen address '" + address + "': port must be a number");
  }
  int port = std::stoi(text);
  if (port > 65535) return InvalidArgument("listen address '" + address + "': port out of range");
  return port;
}

Result<int> ParseMode(const Reader& r, const YAML::Node& n) {
  PROMOTE_ASSIGN_OR_RETURN(std::string v, r.String(n, "socket-mode"));
  if (v.size() < 3 || v.size() > 4 || v.find_first_not_of("01234567") != std::string::npos) {
    return r.Error(n, "socket-mode must be octal like \"0660\", not '" + v + "'");
  }
  int mode = std::stoi(v, nullptr, 8);
  if ((mode & 0007) != 0) return r.Error(n, "socket-mode must not give other users access (" + v + ")");
  return mode;
}

// A group name, or a number for a group without a name on this host.
Result<int> ParseGroup(const Reader& r, const YAML::Node& n) {
  PROMOTE_ASSIGN_OR_RETURN(std::string v, r.String(n, "socket-group"));
  if (v.empty()) return r.Error(n, "socket-group must name a group");
  if (v.size() <= 9 && v.find_first_not_of("0123456789") == std::string::npos) return std::stoi(v);
  std::vector<char> buffer(16384);
  struct group entry {};
  struct group* found = nullptr;
  if (::getgrnam_r(v.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return r.Error(n, "socket-group '" + v + "': no such group on this host");
  }
  return static_cast<int>(found->gr_gid);
}

}  // namespace

bool ListenAddress::loopback() const {
  if (kind == kUnix) return true;
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string ListenAddress::GrpcAddress() const {
  if (kind == kUnix) return "unix:" + path;
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(const std::string& text) {
  ListenAddress a;
  a.original = text;
  if (text.rfind("unix:", 0) == 0) {
    std::string path = text.substr(5);
    if (path.rfind("//", 0) == 0) path = path.substr(2);
    if (path.empty() || path[0] != '/') {
      return InvalidArgument("listen address '" + text + "': a unix socket needs an absolute path (unix:///path)");
    }
    a.kind = ListenAddress::kUnix;
    a.path = path;
    return a;
  }
  std::string rest = text.rfind("tcp://", 0) == 0 ? text.substr(6) : text;
  if (rest.find("://") != std::string::npos) {
    return InvalidArgument("listen address '" + text + "': use unix:///path or tcp://host:port");
  }
  a.kind = ListenAddress::kTcp;
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return InvalidArgument("listen address '" + text + "': expected [ipv6]:port");
    }
    a.host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return InvalidArgument("listen address '" + text + "': expected host:port");
    }
    a.host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (a.host.find_first_of(" /\t\r\n") != std::string::npos) {
    return InvalidArgument("listen address '" + text + "': bad host");
  }
  PROMOTE_ASSIGN_OR_RETURN(a.port, ParsePort(port, text));
  return a;
}

Result<ListenAddress> ParseMetricsAddress(const std::string& text) {
  const std::string quoted = "metrics.listen '" + text + "'";
  if (text.rfind("unix:", 0) == 0) {
    return InvalidArgument(quoted + ": metrics are served over TCP (host:port)");
  }
  auto a = ParseListenAddress(text);
  if (!a.ok()) return InvalidArgument(quoted + ": " + a.status().message());
  unsigned char buf[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, a->host.c_str(), buf) != 1 && inet_pton(AF_INET6, a->host.c_str(), buf) != 1) {
    return InvalidArgument(quoted +
                           ": the host must be an IP address (127.0.0.1, 0.0.0.0, [::1]), not a name");
  }
  return a;
}

namespace {

// Each section parser reads its keys of agent.yaml (`root`) into `c`; absent keys keep their
// defaults. ParseAgentConfig calls them in the order below, so the first error is the same
// whatever the file's key order.

Status ParseListen(const Reader& r, const YAML::Node& root, AgentConfig* c) {
  if (!root["listen"]) return r.Error(root, "listen is required (e.g. [unix:///run/promote/agent.sock])");
  PROMOTE_ASSIGN_OR_RETURN(auto listen, r.StringList(root["listen"], "listen"));
  if (listen.empty()) return r.Error(root["listen"], "listen must name at least one address");
  for (size_t i = 0; i < listen.size(); ++i) {
    auto a = ParseListenAddress(listen[i]);
    if (!a.ok()) return r.Error(root["listen"][i], a.status().message());
    c->listen.push_back(*a);
  }
  if (root["socket-mode"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->socket_mode, ParseMode(r, root["socket-mode"]));
  }
  if (root["socket-group"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->socket_group, ParseGroup(r, root["socket-group"]));
  }
  return OkStatus();
}

// tls: and auth: — how callers are served and authenticated.
Status ParseCallerAuth(const Reader& r, const YAML::Node& root, AgentConfig* c) {
  if (const auto& tls = root["tls"]) {
    PROMOTE_RETURN_IF_ERROR(r.Keys(tls, "tls", {"cert", "key", "client-ca"}));
    if (!tls["cert"] || !tls["key"]) return r.Error(tls, "tls needs cert and key");
    PROMOTE_ASSIGN_OR_RETURN(c->tls_cert, r.String(tls["cert"], "tls.cert"));
    PROMOTE_ASSIGN_OR_RETURN(c->tls_key, r.String(tls["key"], "tls.key"));
    if (tls["client-ca"]) {
      PROMOTE_ASSIGN_OR_RETURN(c->tls_client_ca, r.String(tls["client-ca"], "tls.client-ca"));
    }
  }
  if (const auto& auth = root["auth"]) {
    PROMOTE_RETURN_IF_ERROR(r.Keys(auth, "auth", {"token-file"}));
    if (auth["token-file"]) {
      PROMOTE_ASSIGN_OR_RETURN(c->token_file, r.String(auth["token-file"], "auth.token-file"));
    }
  }
  return OkStatus();
}

Status ParseRegistries(const Reader& r, const YAML::Node& regs, AgentConfig* c) {
  if (!regs.IsSequence()) return r.Error(regs, "registries must be a list of {host, username, password}");
  for (const auto& n : regs) {
    PROMOTE_RETURN_IF_ERROR(r.Keys(n, "registries entry", {"host", "username", "password"}));
    if (!n["host"] || !n["username"] || !n["password"]) {
      return r.Error(n, "registries entries need host, username and password");
    }
    AgentRegistryCredentials e;
    PROMOTE_ASSIGN_OR_RETURN(e.host, r.String(n["host"], "registries.host"));
    if (auto st = ValidateCredentialScope(e.host); !st.ok()) return r.Error(n["host"], st.message());
    for (const auto& earlier : c->registries) {
      if (earlier.host == e.host) return r.Error(n["host"], "registries: '" + e.host + "' is listed twice");
    }
    PROMOTE_ASSIGN_OR_RETURN(e.username, r.String(n["username"], "registries.username"));
    PROMOTE_ASSIGN_OR_RETURN(e.password, r.Secret(n["password"], "registries.password"));
    c->registries.push_back(std::move(e));
  }
  return OkStatus();
}

// registries:, docker-config:, ca-file:, plain-http: — how the agent reaches registries.
Status ParseRegistryAccess(const Reader& r, const YAML::Node& root, AgentConfig* c) {
  if (root["registries"]) PROMOTE_RETURN_IF_ERROR(ParseRegistries(r, root["registries"], c));
  if (root["docker-config"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->docker_config, r.String(root["docker-config"], "docker-config"));
  }
  if (root["ca-file"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->ca_file, r.String(root["ca-file"], "ca-file"));
  }
  if (root["plain-http"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->plain_http, r.StringList(root["plain-http"], "plain-http"));
  }
  return OkStatus();
}

Status ParseAgentSigning(const Reader& r, const YAML::Node& s, AgentConfig* c) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(s, "signing", {"key", "password", "format"}));
  if (!s["key"]) return r.Error(s, "signing needs key (file:/path or env:NAME holding the path)");
  PROMOTE_ASSIGN_OR_RETURN(c->signing.key, r.Secret(s["key"], "signing.key"));
  if (s["format"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->signing.format, r.SigningFormat(s["format"]));
  }
  if (s["password"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->signing.password, r.Secret(s["password"], "signing.password"));
  }
  return OkStatus();
}

Status ParseLimits(const Reader& r, const YAML::Node& l, AgentLimits* limits) {
  struct Limit {
    const char* key;
    int AgentLimits::*field;
    int min, max;
  };
  static constexpr Limit kLimits[] = {
      {"operations", &AgentLimits::operations, 1, 4096},
      {"queue", &AgentLimits::queue, 0, 100000},
      {"jobs", &AgentLimits::jobs, 1, 256},
      {"registry-requests", &AgentLimits::registry_requests, 1, 1024},
      {"handshake-timeout-seconds", &AgentLimits::handshake_timeout_seconds, 1, 300},
      {"idle-connection-seconds", &AgentLimits::idle_connection_seconds, 1, 86400},
      {"keepalive-seconds", &AgentLimits::keepalive_seconds, 10, 86400},
      {"streams-per-connection", &AgentLimits::streams_per_connection, 1, 10000},
  };
  std::set<std::string> keys;
  for (const Limit& limit : kLimits) keys.insert(limit.key);
  PROMOTE_RETURN_IF_ERROR(r.Keys(l, "limits", keys));
  for (const Limit& limit : kLimits) {
    if (!l[limit.key]) continue;
    PROMOTE_ASSIGN_OR_RETURN(limits->*limit.field,
                             r.Int(l[limit.key], std::string("limits.") + limit.key, limit.min, limit.max));
  }
  return OkStatus();
}

Status ParseLog(const Reader& r, const YAML::Node& log, AgentConfig* c) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(log, "log", {"format", "level"}));
  if (log["format"]) {
    PROMOTE_ASSIGN_OR_RETURN(std::string f, r.String(log["format"], "log.format"));
    if (f != "json" && f != "text") return r.Error(log["format"], "log.format must be json or text");
    c->log_json = f == "json";
  }
  if (log["level"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->log_level, r.String(log["level"], "log.level"));
    static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
    if (kLevels.count(c->log_level) == 0) {
      return r.Error(log["level"], "log.level must be one of trace, debug, info, warn, error, off");
    }
  }
  return OkStatus();
}

Status ParseMetrics(const Reader& r, const YAML::Node& m, AgentConfig* c) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(m, "metrics", {"listen"}));
  if (!m["listen"]) return r.Error(m, "metrics needs listen (e.g. {listen: 127.0.0.1:9464})");
  PROMOTE_ASSIGN_OR_RETURN(std::string text, r.String(m["listen"], "metrics.listen"));
  auto a = ParseMetricsAddress(text);
  if (!a.ok()) return r.Error(m["listen"], a.status().message());
  for (const auto& l : c->listen) {
    if (l.kind == ListenAddress::kTcp && l.port != 0 && l.port == a->port) {
      return r.Error(m["listen"], "metrics.listen '" + text + "' uses the port of listen address '" + l.original + "'");
    }
  }
  c->metrics_listen = *a;
  return OkStatus();
}

// Whom a TCP listener serves must be decided: off loopback it needs TLS, and any TCP listener
// needs a way to authenticate callers (the unix socket relies on its file permissions).
Status CheckListeners(const Reader& r, const YAML::Node& root, const AgentConfig& c) {
  for (size_t i = 0; i < c.listen.size(); ++i) {
    const auto& a = c.listen[i];
    if (a.kind != ListenAddress::kTcp) continue;
    if (!a.loopback() && !c.tls()) {
      return r.Error(root["listen"][i], "'" + a.original + "' is not a loopback address: it needs tls: {cert, key}");
    }
    if (c.token_file.empty() && c.tls_client_ca.empty()) {
      return r.Error(root["listen"][i], "'" + a.original +
                                            "' is a TCP address: set auth.token-file or tls.client-ca so callers "
                                            "are authenticated");
    }
  }
  if (!c.tls_client_ca.empty() && !c.tls()) return r.Error(root["tls"], "tls.client-ca needs tls.cert and tls.key");
  return OkStatus();
}

// The sections, in order; YAML::Exception is the caller's to catch.
// agent.yaml spells its keys as promote.yaml does, in kebab-case. Earlier versions spelled these
// in snake_case; a file that still does is read the same, with a deprecation warning for each.
constexpr std::string_view kSnakeCaseKeys[] = {
    "socket_mode", "socket_group", "client_ca", "token_file", "docker_config", "ca_file", "plain_http",
    "allow_request_credentials", "shutdown_grace_seconds", "registry_requests", "handshake_timeout_seconds",
    "idle_connection_seconds", "keepalive_seconds", "streams_per_connection"};

std::string KebabCase(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return key;
}

// Renames the old spellings in place (the key nodes keep their lines, so later errors still name
// them); both spellings in one mapping are an error. Scanners' `env:` maps are the user's names.
Status RenameSnakeCaseKeys(const Reader& r, YAML::Node node, std::vector<std::string>* warnings) {
  if (node.IsSequence()) {
    for (auto item : node) PROMOTE_RETURN_IF_ERROR(RenameSnakeCaseKeys(r, item, warnings));
    return OkStatus();
  }
  if (!node.IsMap()) return OkStatus();
  for (auto kv : node) {
    if (!kv.first.IsScalar()) continue;
    const std::string key = kv.first.as<std::string>();
    if (key == "env") continue;
    PROMOTE_RETURN_IF_ERROR(RenameSnakeCaseKeys(r, kv.second, warnings));
    if (std::find(std::begin(kSnakeCaseKeys), std::end(kSnakeCaseKeys), key) == std::end(kSnakeCaseKeys)) continue;
    const std::string kebab = KebabCase(key);
    if (static_cast<const YAML::Node&>(node)[kebab]) return r.Error(kv.first, "both '" + key + "' and '" + kebab + "': keep '" + kebab + "'");
    warnings->push_back(r.Error(kv.first, "'" + key + "' is deprecated: spell it '" + kebab + "'").message());
    YAML::Node renamed = kv.first;
    renamed = kebab;
  }
  return OkStatus();
}

Status ParseSections(const Reader& r, const YAML::Node& root, AgentConfig* c) {
  PROMOTE_RETURN_IF_ERROR(
      r.Keys(root, "agent config",
             {"version", "listen", "socket-mode", "socket-group", "tls", "auth", "registries", "docker-config",
              "ca-file", "plain-http", "signing", "scanners", "limits", "allow-request-credentials", "log",
              "shutdown-grace-seconds", "policy", "metrics"}));
  if (root["version"]) PROMOTE_RETURN_IF_ERROR(r.Int(root["version"], "version", 1, 1).status());
  PROMOTE_RETURN_IF_ERROR(ParseListen(r, root, c));
  PROMOTE_RETURN_IF_ERROR(ParseCallerAuth(r, root, c));
  PROMOTE_RETURN_IF_ERROR(ParseRegistryAccess(r, root, c));
  if (root["signing"]) PROMOTE_RETURN_IF_ERROR(ParseAgentSigning(r, root["signing"], c));
  if (root["scanners"]) PROMOTE_RETURN_IF_ERROR(policy::ParseScanners(r, root["scanners"], &c->scanners));
  if (root["limits"]) PROMOTE_RETURN_IF_ERROR(ParseLimits(r, root["limits"], &c->limits));
  if (root["policy"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->policy, policy::ParseServerPolicy(r, root["policy"], c->origin, c->scanners));
  }
  if (root["allow-request-credentials"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->allow_request_credentials,
                             r.Bool(root["allow-request-credentials"], "allow-request-credentials"));
  }
  if (root["log"]) PROMOTE_RETURN_IF_ERROR(ParseLog(r, root["log"], c));
  if (root["shutdown-grace-seconds"]) {
    PROMOTE_ASSIGN_OR_RETURN(c->shutdown_grace_seconds,
                             r.Int(root["shutdown-grace-seconds"], "shutdown-grace-seconds", 0, 3600));
  }
  if (root["metrics"]) PROMOTE_RETURN_IF_ERROR(ParseMetrics(r, root["metrics"], c));
  return CheckListeners(r, root, *c);
}

}  // namespace

Result<AgentConfig> ParseAgentConfig(const std::string& yaml_text, const std::string& origin) {
  if (yaml_text.size() > kMaxAgentConfigBytes) return InvalidArgument(origin + ": larger than 1 MiB");
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  Reader r(origin);
  AgentConfig c;
  c.origin = origin;
  try {
    PROMOTE_RETURN_IF_ERROR(RenameSnakeCaseKeys(r, root, &c.warnings));
    PROMOTE_RETURN_IF_ERROR(ParseSections(r, root, &c));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return c;
}

Result<AgentConfig> LoadAgentConfig(const std::string& path) {
  PROMOTE_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "agent config"));
  return ParseAgentConfig(text, path);
}

std::vector<std::string> SecretEnvNames(const AgentConfig& config) {
  std::vector<std::string> names;
  for (const auto& r : config.registries) {
    policy::AppendEnvName(r.username, &names);
    policy::AppendEnvName(r.password.ref, &names);
  }
  policy::AppendEnvName(config.signing.key.ref, &names);
  policy::AppendEnvName(config.signing.password.ref, &names);
  return names;
}

}  // namespace promote::service
