// Reading YAML config files strictly (promote.yaml, scan policies, agent.yaml): every error
// names origin:line, unknown keys are errors, secrets must be references. Shared by the loaders
// of the policy module and agent.yaml's (service/agent_config.cc).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "policy/promote_config.h"
#include "scan/finding.h"
#include "scan/scanner_hook.h"
#include "util/status.h"

namespace promote::policy {

// Reads a YAML tree strictly; every error names origin:line.
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  Status Error(const YAML::Node& at, const std::string& message) const {
    int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    return InvalidArgument(origin_ + (line > 0 ? ":" + std::to_string(line) : "") + ": " + message);
  }

  Status Keys(const YAML::Node& map, const std::string& where, const std::set<std::string>& allowed) const {
    if (!map.IsMap()) return Error(map, where + " must be a mapping");
    for (const auto& kv : map) {
      std::string key = kv.first.as<std::string>();
      if (allowed.count(key) == 0) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return Error(kv.first, "unknown key '" + key + "' in " + where + " (allowed: " + list + ")");
      }
    }
    return OkStatus();
  }

  Result<std::string> String(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) return Error(n, what + " must be a string");
    return n.as<std::string>();
  }

  Result<bool> Bool(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) return Error(n, what + " must be true or false");
    std::string v = n.as<std::string>();
    if (v == "true") return true;
    if (v == "false") return false;
    return Error(n, what + " must be true or false, not '" + v + "'");
  }

  Result<int> Int(const YAML::Node& n, const std::string& what, int min, int max) const {
    if (!n.IsScalar()) return Error(n, what + " must be a number");
    std::string v = n.as<std::string>();
    if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
      return Error(n, what + " must be a whole number, not '" + v + "'");
    }
    int i = std::stoi(v);
    if (i < min || i > max) {
      return Error(n, what + " must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return i;
  }

  Result<std::vector<std::string>> StringList(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) return Error(n, what + " must be a list");
    std::vector<std::string> out;
    for (const auto& item : n) {
      PROMOTE_ASSIGN_OR_RETURN(std::string s, String(item, what + " entries"));
      out.push_back(std::move(s));
    }
    return out;
  }

  Result<SecretRef> Secret(const YAML::Node& n, const std::string& what) const {
    PROMOTE_ASSIGN_OR_RETURN(std::string v, String(n, what));
    if (IsEnvReference(v)) return SecretRef{v};
    if (v.rfind("file:", 0) == 0 && v.size() > 5) return SecretRef{v};
    // The value itself is never echoed: it may be a pasted password.
    return Error(n, what + " must be a reference (env:NAME or file:/path), never a literal secret");
  }

  // signing.format: how signatures and records are written (sign/signature_format.h).
  Result<std::string> SigningFormat(const YAML::Node& n) const {
    PROMOTE_ASSIGN_OR_RETURN(std::string v, String(n, "signing format"));
    if (v != "cosign" && v != "bundle") return Error(n, "signing format '" + v + "' must be cosign or bundle");
    return v;
  }

  Result<scan::Severity> Severity(const YAML::Node& n, const std::string& what) const {
    PROMOTE_ASSIGN_OR_RETURN(std::string v, String(n, what));
    auto s = scan::ParseSeverity(v);
    if (!s || v.empty()) return Error(n, what + ": unknown severity '" + v + "' (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)");
    return *s;
  }

 private:
  // "env:NAME", NAME matching [A-Za-z_][A-Za-z0-9_]*. Checked by hand: std::regex recurses once
  // per character and overflows the stack on a long value.
  static bool IsEnvReference(std::string_view v) {
    if (v.size() < 5 || v.substr(0, 4) != "env:") return false;
    auto word = [](char c, bool first) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9');
    };
    for (size_t i = 4; i < v.size(); ++i) {
      if (!word(v[i], i == 4)) return false;
    }
    return true;
  }

  std::string origin_;
};

// The `scanners:` mapping (name: {kind, executable, args, format, timeout, env, …}).
Status ParseScanners(const Reader& r, const YAML::Node& node, std::map<std::string, scan::HookConfig>* scanners);

// A provenance rule's optional `builder-id` (a non-empty pattern) and `build-level` (1-3), as
// promote.yaml's provenance gate and agent.yaml's provenance policy both write them; what is
// absent is left as it was.
Status ParseBuilderTrust(const Reader& r, const YAML::Node& n, const std::string& where, std::string* builder_id,
                         int* build_level);

}  // namespace promote::policy
