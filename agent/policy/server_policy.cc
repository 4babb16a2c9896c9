#include "policy/server_policy.h"

#include <fnmatch.h>

#include "policy/change_gates.h"
#include "policy/yaml_reader.h"

namespace promote::policy {

bool PolicyGlobMatches(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

bool EnvironmentRule::Covers(const std::string& host_repository) const {
  for (const auto& r : repositories) {
    if (PolicyGlobMatches(r, host_repository)) return true;
  }
  return false;
}

bool ApplicationRule::Matches(const std::string& image) const {
  for (const auto& a : applications) {
    if (PolicyGlobMatches(a, image)) return true;
  }
  return false;
}

const EnvironmentRule* ApplicationRule::ForRepository(const std::string& host_repository) const {
  for (const auto& e : environments) {
    if (e.Covers(host_repository)) return &e;
  }
  return nullptr;
}

const EnvironmentRule* ApplicationRule::Named(const std::string& name) const {
  for (const auto& e : environments) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const ApplicationRule* ServerPolicy::ForApplication(const std::string& image) const {
  for (const auto& a : applications) {
    if (a.Matches(image)) return &a;
  }
  return nullptr;
}

const EnvironmentRule* ServerPolicy::Covering(const std::string& host_repository) const {
  for (const auto& a : applications) {
    if (const EnvironmentRule* e = a.ForRepository(host_repository)) return e;
  }
  return nullptr;
}

namespace {

Result<ScanFloor> ParseScanFloor(const Reader& r, const YAML::Node& n, const std::string& where,
                                 const std::map<std::string, scan::HookConfig>& scanners) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(n, where, {"scanners", "fail-on", "unknown-as", "ignore-unfixed", "allow"}));
  ScanFloor floor;
  if (!n["scanners"]) return r.Error(n, where + ": scanners is required (names from agent.yaml scanners:)");
  PROMOTE_ASSIGN_OR_RETURN(floor.scanners, r.StringList(n["scanners"], where + " scanners"));
  if (floor.scanners.empty()) return r.Error(n["scanners"], where + ": scanners must name at least one scanner");
  for (const auto& s : floor.scanners) {
    if (scanners.count(s) == 0) return r.Error(n["scanners"], where + ": '" + s + "' is not in agent.yaml scanners:");
  }
  if (n["fail-on"]) {
    PROMOTE_ASSIGN_OR_RETURN(floor.fail_on, r.Severity(n["fail-on"], where + " fail-on"));
  }
  if (n["unknown-as"]) {
    PROMOTE_ASSIGN_OR_RETURN(floor.unknown_as, r.Severity(n["unknown-as"], where + " unknown-as"));
  }
  if (n["ignore-unfixed"]) {
    PROMOTE_ASSIGN_OR_RETURN(floor.ignore_unfixed_allowed, r.Bool(n["ignore-unfixed"], where + " ignore-unfixed"));
  }
  if (n["allow"]) {
    PROMOTE_ASSIGN_OR_RETURN(auto ids, r.StringList(n["allow"], where + " allow"));
    for (auto& id : ids) {
      if (id.empty()) return r.Error(n["allow"], where + ": allow entries are finding ids, not empty");
      floor.allow.insert(std::move(id));
    }
  }
  return floor;
}

Result<ProvenanceFloor> ParseProvenanceFloor(const Reader& r, const YAML::Node& n, const std::string& where) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(n, where, {"keys", "builder-id", "build-level"}));
  ProvenanceFloor floor;
  if (!n["keys"]) return r.Error(n, where + " needs keys (public key files the provenance may be signed with)");
  PROMOTE_ASSIGN_OR_RETURN(floor.keys, r.StringList(n["keys"], where + " keys"));
  if (floor.keys.empty()) return r.Error(n["keys"], where + ": keys must name at least one");
  PROMOTE_RETURN_IF_ERROR(ParseBuilderTrust(r, n, where, &floor.builder_id, &floor.build_level));
  return floor;
}

// approval:, soak: and window: of a policy environment: the change control it requires.
Status ParseChangeControlFloors(const Reader& r, const YAML::Node& n, const std::string& here, EnvironmentRule* e) {
  if (const auto& a = n["approval"]) {
    PROMOTE_RETURN_IF_ERROR(
        r.Keys(a, here + " approval", {"required", "no-self-approval", "expires-after", "approvers"}));
    ApprovalFloor floor;
    if (a["approvers"]) {
      PROMOTE_ASSIGN_OR_RETURN(floor.approvers, ParseApprovers(r, a, here + " approval"));
    }
    if (a["required"]) {
      PROMOTE_ASSIGN_OR_RETURN(floor.required, r.Int(a["required"], here + " approval required", 1, 1000));
    }
    if (a["no-self-approval"]) {
      PROMOTE_ASSIGN_OR_RETURN(floor.no_self_approval, r.Bool(a["no-self-approval"], here + " approval no-self-approval"));
    }
    if (a["expires-after"]) {
      PROMOTE_ASSIGN_OR_RETURN(std::string text, r.String(a["expires-after"], here + " approval expires-after"));
      auto d = ParseDuration(text, here + " approval expires-after");
      if (!d.ok()) return r.Error(a["expires-after"], d.status().message());
      floor.max_expires_after = *d;
    }
    if (!floor.approvers.empty() && floor.required > static_cast<int>(floor.approvers.size())) {
      return r.Error(a["required"], here + " approval: required " + std::to_string(floor.required) +
                                        " approvals, but only " + std::to_string(floor.approvers.size()) +
                                        " approver(s) are listed");
    }
    e->approval = floor;
  }
  if (n["soak"]) {
    PROMOTE_ASSIGN_OR_RETURN(e->soak, ParseSoakGate(r, n["soak"], here + " soak"));
  }
  if (const auto& w = n["window"]) {
    PROMOTE_RETURN_IF_ERROR(r.Keys(w, here + " window", {"required", "break-glass"}));
    if (w["required"]) {
      PROMOTE_ASSIGN_OR_RETURN(e->window_required, r.Bool(w["required"], here + " window required"));
    }
    if (w["break-glass"]) {
      PROMOTE_ASSIGN_OR_RETURN(e->break_glass_allowed, r.Bool(w["break-glass"], here + " window break-glass"));
    }
  }
  return OkStatus();
}

Result<EnvironmentRule> ParseEnvironmentRule(const Reader& r, const YAML::Node& n, const std::string& where,
                                             const std::map<std::string, scan::HookConfig>& scanners) {
  PROMOTE_RETURN_IF_ERROR(
      r.Keys(n, where, {"name", "repositories", "branches", "after", "sign", "scan", "signature", "provenance",
                        "approval", "soak", "window"}));
  EnvironmentRule e;
  e.line = n.Mark().line + 1;
  if (!n["name"] || !n["repositories"] || !n["branches"]) {
    return r.Error(n, where + " needs name, repositories and branches");
  }
  PROMOTE_ASSIGN_OR_RETURN(e.name, r.String(n["name"], where + " name"));
  const std::string here = where + " '" + e.name + "'";
  PROMOTE_ASSIGN_OR_RETURN(e.repositories, r.StringList(n["repositories"], here + " repositories"));
  if (e.repositories.empty()) return r.Error(n["repositories"], here + ": repositories must name at least one");
  for (const auto& repo : e.repositories) {
    if (repo.find('/') == std::string::npos || repo.front() == '/') {
      return r.Error(n["repositories"], here + ": '" + repo + "' must be host/repository (globs allowed)");
    }
  }
  PROMOTE_ASSIGN_OR_RETURN(e.branches, r.StringList(n["branches"], here + " branches"));
  if (e.branches.empty()) return r.Error(n["branches"], here + ": branches must name at least one pattern");
  if (n["after"]) {
    PROMOTE_ASSIGN_OR_RETURN(e.after, r.String(n["after"], here + " after"));
  }
  if (n["sign"]) {
    PROMOTE_ASSIGN_OR_RETURN(e.sign, r.Bool(n["sign"], here + " sign"));
  }
  if (n["scan"]) {
    PROMOTE_ASSIGN_OR_RETURN(e.scan, ParseScanFloor(r, n["scan"], here + " scan", scanners));
  }
  if (const auto& s = n["signature"]) {
    PROMOTE_RETURN_IF_ERROR(r.Keys(s, here + " signature", {"keys"}));
    if (!s["keys"]) return r.Error(s, here + " signature needs keys (public key files)");
    PROMOTE_ASSIGN_OR_RETURN(e.signature_keys, r.StringList(s["keys"], here + " signature keys"));
    if (e.signature_keys.empty()) return r.Error(s["keys"], here + ": signature keys must name at least one");
  }
  if (const auto& p = n["provenance"]) {
    PROMOTE_ASSIGN_OR_RETURN(e.provenance, ParseProvenanceFloor(r, p, here + " provenance"));
  }
  PROMOTE_RETURN_IF_ERROR(ParseChangeControlFloors(r, n, here, &e));
  return e;
}

}  // namespace

Result<ServerPolicy> ParseServerPolicy(const Reader& r, const YAML::Node& node, const std::string& origin,
                                       const std::map<std::string, scan::HookConfig>& scanners) {
  ServerPolicy policy;
  policy.origin = origin;
  if (!node.IsSequence()) return r.Error(node, "policy must be a list of {applications, environments}");
  for (const auto& a : node) {
    PROMOTE_RETURN_IF_ERROR(r.Keys(a, "policy entry", {"applications", "environments"}));
    ApplicationRule app;
    app.line = a.Mark().line + 1;
    app.applications = {"*"};
    if (a["applications"]) {
      PROMOTE_ASSIGN_OR_RETURN(app.applications, r.StringList(a["applications"], "policy applications"));
      if (app.applications.empty()) return r.Error(a["applications"], "policy applications must name at least one");
    }
    if (!a["environments"] || !a["environments"].IsSequence()) {
      return r.Error(a, "a policy entry needs environments: a list of rules");
    }
    for (const auto& n : a["environments"]) {
      PROMOTE_ASSIGN_OR_RETURN(EnvironmentRule e, ParseEnvironmentRule(r, n, "policy environment", scanners));
      if (app.Named(e.name) != nullptr) return r.Error(n, "policy environment '" + e.name + "' is listed twice");
      app.environments.push_back(std::move(e));
    }
    for (const auto& e : app.environments) {
      if (!e.after.empty() && app.Named(e.after) == nullptr) {
        return InvalidArgument(policy.Where(e.line) + ": policy environment '" + e.name + "' comes after '" +
                               e.after + "', which this policy entry does not list");
      }
    }
    policy.applications.push_back(std::move(app));
  }
  return policy;
}

}  // namespace promote::policy
