#include "policy/agent_config.h"

#include <arpa/inet.h>
#include <grp.h>

#include "oci/reference.h"
#include "policy/yaml_reader.h"
#include "util/read_file.h"

namespace promote::policy {
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
  PROMOTE_ASSIGN_OR_RETURN(std::string v, r.String(n, "socket_mode"));
  if (v.size() < 3 || v.size() > 4 || v.find_first_not_of("01234567") != std::string::npos) {
    return r.Error(n, "socket_mode must be octal like \"0660\", not '" + v + "'");
  }
  int mode = std::stoi(v, nullptr, 8);
  if ((mode & 0007) != 0) return r.Error(n, "socket_mode must not give other users access (" + v + ")");
  return mode;
}

// A group name, or a number for a group without a name on this host.
Result<int> ParseGroup(const Reader& r, const YAML::Node& n) {
  PROMOTE_ASSIGN_OR_RETURN(std::string v, r.String(n, "socket_group"));
  if (v.empty()) return r.Error(n, "socket_group must name a group");
  if (v.size() <= 9 && v.find_first_not_of("0123456789") == std::string::npos) return std::stoi(v);
  std::vector<char> buffer(16384);
  struct group entry {};
  struct group* found = nullptr;
  if (::getgrnam_r(v.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return r.Error(n, "socket_group '" + v + "': no such group on this host");
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
    PROMOTE_RETURN_IF_ERROR(
        r.Keys(root, "agent config",
               {"version", "listen", "socket_mode", "socket_group", "tls", "auth", "registries",
                "docker_config", "ca_file", "plain_http", "signing", "scanners", "limits",
                "allow_request_credentials", "log", "shutdown_grace_seconds", "policy", "metrics"}));
    if (root["version"]) {
      PROMOTE_ASSIGN_OR_RETURN(int v, r.Int(root["version"], "version", 1, 1));
      (void)v;
    }
    if (!root["listen"]) return r.Error(root, "listen is required (e.g. [unix:///run/promote/agent.sock])");
    PROMOTE_ASSIGN_OR_RETURN(auto listen, r.StringList(root["listen"], "listen"));
    if (listen.empty()) return r.Error(root["listen"], "listen must name at least one address");
    for (size_t i = 0; i < listen.size(); ++i) {
      auto a = ParseListenAddress(listen[i]);
      if (!a.ok()) return r.Error(root["listen"][i], a.status().message());
      c.listen.push_back(*a);
    }
    if (root["socket_mode"]) {
      PROMOTE_ASSIGN_OR_RETURN(c.socket_mode, ParseMode(r, root["socket_mode"]));
    }
    if (root["socket_group"]) {
      PROMOTE_ASSIGN_OR_RETURN(c.socket_group, ParseGroup(r, root["socket_group"]));
    }
    if (const auto& tls = root["tls"]) {
      PROMOTE_RETURN_IF_ERROR(r.Keys(tls, "tls", {"cert", "key", "client_ca"}));
      if (!tls["cert"] || !tls["key"]) return r.Error(tls, "tls needs cert and key");
      PROMOTE_ASSIGN_OR_RETURN(c.tls_cert, r.String(tls["cert"], "tls.cert"));
      PROMOTE_ASSIGN_OR_RETURN(c.tls_key, r.String(tls["key"], "tls.key"));
      if (tls["client_ca"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.tls_client_ca, r.String(tls["client_ca"], "tls.client_ca"));
      }
    }
    if (const auto& auth = root["auth"]) {
      PROMOTE_RETURN_IF_ERROR(r.Keys(auth, "auth", {"token_file"}));
      if (auth["token_file"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.token_file, r.String(auth["token_file"], "auth.token_file"));
      }
    }
    if (const auto& regs = root["registries"]) {
      if (!regs.IsSequence()) return r.Error(regs, "registries must be a list of {host, username, password}");
      for (const auto& n : regs) {
        PROMOTE_RETURN_IF_ERROR(r.Keys(n, "registries entry", {"host", "username", "password"}));
        if (!n["host"] || !n["username"] || !n["password"]) {
          return r.Error(n, "registries entries need host, username and password");
        }
        AgentRegistryCredentials e;
        PROMOTE_ASSIGN_OR_RETURN(e.host, r.String(n["host"], "registries.host"));
        if (auto st = ValidateCredentialScope(e.host); !st.ok()) return r.Error(n["host"], st.message());
        for (const auto& earlier : c.registries) {
          if (earlier.host == e.host) return r.Error(n["host"], "registries: '" + e.host + "' is listed twice");
        }
        PROMOTE_ASSIGN_OR_RETURN(e.username, r.String(n["username"], "registries.username"));
        PROMOTE_ASSIGN_OR_RETURN(e.password, r.Secret(n["password"], "registries.password"));
        c.registries.push_back(std::move(e));
      }
    }
    if (root["docker_config"]) {
      PROMOTE_ASSIGN_OR_RETURN(c.docker_config, r.String(root["docker_config"], "docker_config"));
    }
    if (root["ca_file"]) {
      PROMOTE_ASSIGN_OR_RETURN(c.ca_file, r.String(root["ca_file"], "ca_file"));
    }
    if (root["plain_http"]) {
      PROMOTE_ASSIGN_OR_RETURN(c.plain_http, r.StringList(root["plain_http"], "plain_http"));
    }
    if (const auto& s = root["signing"]) {
      PROMOTE_RETURN_IF_ERROR(r.Keys(s, "signing", {"key", "password"}));
      if (!s["key"]) return r.Error(s, "signing needs key (file:/path or env:NAME holding the path)");
      PROMOTE_ASSIGN_OR_RETURN(c.signing.key, r.Secret(s["key"], "signing.key"));
      if (s["password"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.signing.password, r.Secret(s["password"], "signing.password"));
      }
    }
    if (root["scanners"]) {
      PROMOTE_RETURN_IF_ERROR(ParseScanners(r, root["scanners"], &c.scanners));
    }
    if (const auto& l = root["limits"]) {
      PROMOTE_RETURN_IF_ERROR(r.Keys(l, "limits",
                                     {"operations", "queue", "jobs", "registry_requests", "handshake_timeout_seconds",
                                      "idle_connection_seconds", "keepalive_seconds", "streams_per_connection"}));
      if (l["operations"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.limits.operations, r.Int(l["operations"], "limits.operations", 1, 4096));
      }
      if (l["queue"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.limits.queue, r.Int(l["queue"], "limits.queue", 0, 100000));
      }
      if (l["jobs"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.limits.jobs, r.Int(l["jobs"], "limits.jobs", 1, 256));
      }
      if (l["registry_requests"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.limits.registry_requests,
                                 r.Int(l["registry_requests"], "limits.registry_requests", 1, 1024));
      }
      if (l["handshake_timeout_seconds"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.limits.handshake_timeout_seconds,
                                 r.Int(l["handshake_timeout_seconds"], "limits.handshake_timeout_seconds", 1, 300));
      }
      if (l["idle_connection_seconds"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.limits.idle_connection_seconds,
                                 r.Int(l["idle_connection_seconds"], "limits.idle_connection_seconds", 1, 86400));
      }
      if (l["keepalive_seconds"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.limits.keepalive_seconds,
                                 r.Int(l["keepalive_seconds"], "limits.keepalive_seconds", 10, 86400));
      }
      if (l["streams_per_connection"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.limits.streams_per_connection,
                                 r.Int(l["streams_per_connection"], "limits.streams_per_connection", 1, 10000));
      }
    }
    if (root["policy"]) {
      PROMOTE_ASSIGN_OR_RETURN(c.policy, ParseServerPolicy(r, root["policy"], origin, c.scanners));
    }
    if (root["allow_request_credentials"]) {
      PROMOTE_ASSIGN_OR_RETURN(c.allow_request_credentials,
                               r.Bool(root["allow_request_credentials"], "allow_request_credentials"));
    }
    if (const auto& log = root["log"]) {
      PROMOTE_RETURN_IF_ERROR(r.Keys(log, "log", {"format", "level"}));
      if (log["format"]) {
        PROMOTE_ASSIGN_OR_RETURN(std::string f, r.String(log["format"], "log.format"));
        if (f != "json" && f != "text") return r.Error(log["format"], "log.format must be json or text");
        c.log_json = f == "json";
      }
      if (log["level"]) {
        PROMOTE_ASSIGN_OR_RETURN(c.log_level, r.String(log["level"], "log.level"));
        static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
        if (kLevels.count(c.log_level) == 0) {
          return r.Error(log["level"], "log.level must be one of trace, debug, info, warn, error, off");
        }
      }
    }
    if (root["shutdown_grace_seconds"]) {
      PROMOTE_ASSIGN_OR_RETURN(c.shutdown_grace_seconds,
                               r.Int(root["shutdown_grace_seconds"], "shutdown_grace_seconds", 0, 3600));
    }
    if (const auto& m = root["metrics"]) {
      PROMOTE_RETURN_IF_ERROR(r.Keys(m, "metrics", {"listen"}));
      if (!m["listen"]) return r.Error(m, "metrics needs listen (e.g. {listen: 127.0.0.1:9464})");
      PROMOTE_ASSIGN_OR_RETURN(std::string text, r.String(m["listen"], "metrics.listen"));
      auto a = ParseMetricsAddress(text);
      if (!a.ok()) return r.Error(m["listen"], a.status().message());
      for (const auto& l : c.listen) {
        if (l.kind == ListenAddress::kTcp && l.port != 0 && l.port == a->port) {
          return r.Error(m["listen"], "metrics.listen '" + text + "' uses the port of listen address '" +
                                          l.original + "'");
        }
      }
      c.metrics_listen = *a;
    }
    // Whom a TCP listener serves must be decided: off loopback it needs TLS, and any TCP listener
    // needs a way to authenticate callers (the unix socket relies on its file permissions).
    for (size_t i = 0; i < c.listen.size(); ++i) {
      const auto& a = c.listen[i];
      if (a.kind != ListenAddress::kTcp) continue;
      if (!a.loopback() && !c.tls()) {
        return r.Error(root["listen"][i], "'" + a.original + "' is not a loopback address: it needs tls: {cert, key}");
      }
      if (c.token_file.empty() && c.tls_client_ca.empty()) {
        return r.Error(root["listen"][i], "'" + a.original +
                                              "' is a TCP address: set auth.token_file or tls.client_ca so callers "
                                              "are authenticated");
      }
    }
    if (!c.tls_client_ca.empty() && !c.tls()) return r.Error(root["tls"], "tls.client_ca needs tls.cert and tls.key");
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return c;
}

Result<AgentConfig> LoadAgentConfig(const std::string& path) {
  PROMOTE_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "agent config"));
  return ParseAgentConfig(text, path);
}

}  // namespace promote::policy
