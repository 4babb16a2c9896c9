#include "policy/promote_config.h"
#include "policy/yaml_reader.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "oci/reference.h"
#include "policy/branch_rules.h"
#include "scan/report_format.h"
#include "util/child_env.h"
#include "util/sha256.h"

namespace promote::policy {
namespace {

constexpr size_t kMaxConfigBytes = 1024 * 1024;

bool IsEnvironmentName(const std::string& name) {
  if (name.empty() || name.size() > 256 || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

Status ParseScannerKind(const Reader& r, const YAML::Node& s, const std::string& where, scan::HookConfig* hook) {
  std::string kind = "trivy";
  if (s["kind"]) {
    PROMOTE_ASSIGN_OR_RETURN(kind, r.String(s["kind"], where + " kind"));
  }
  if (kind == "trivy") {
    hook->kind = scan::HookConfig::kTrivy;
  } else if (kind == "grype") {
    hook->kind = scan::HookConfig::kGrype;
  } else if (kind == "command") {
    hook->kind = scan::HookConfig::kCommand;
  } else {
    return r.Error(s["kind"], where + ": kind must be trivy, grype or command, not '" + kind + "'");
  }
  return OkStatus();
}

// The names of the variables a scanner is given from promote's environment: never one of its secrets.
Status ParseScannerPassEnv(const Reader& r, const YAML::Node& p, const std::string& where, scan::HookConfig* hook) {
  PROMOTE_ASSIGN_OR_RETURN(hook->pass_env, r.StringList(p, where + " pass-env"));
  for (const std::string& name : hook->pass_env) {
    if (!IsEnvironmentName(name)) {
      return r.Error(p, where + " pass-env: '" + name + "' is not a variable name");
    }
    if (IsWithheldFromChildren(name)) {
      return r.Error(p, where + " pass-env: " + name +
                            " holds one of promote's own secrets and is never passed to a scanner");
    }
  }
  return OkStatus();
}

Result<scan::HookConfig> ParseScanner(const Reader& r, const YAML::Node& s, const std::string& where) {
  PROMOTE_RETURN_IF_ERROR(
      r.Keys(s, where, {"kind", "executable", "args", "format", "timeout", "workdir", "env", "pass-env", "exit-codes"}));
  scan::HookConfig hook;
  PROMOTE_RETURN_IF_ERROR(ParseScannerKind(r, s, where, &hook));
  if (s["executable"]) {
    PROMOTE_ASSIGN_OR_RETURN(hook.executable, r.String(s["executable"], where + " executable"));
  }
  if (s["args"]) {
    PROMOTE_ASSIGN_OR_RETURN(hook.args, r.StringList(s["args"], where + " args"));
  }
  if (s["format"]) {
    PROMOTE_ASSIGN_OR_RETURN(hook.format, r.String(s["format"], where + " format"));
    if (!scan::IsKnownReportFormat(hook.format)) {
      return r.Error(s["format"], where + ": format must be trivy-json, grype-json or sarif");
    }
  }
  if (hook.kind == scan::HookConfig::kCommand && (hook.executable.empty() || hook.format.empty())) {
    return r.Error(s, where + ": a command scanner needs executable and format");
  }
  if (s["timeout"]) {
    PROMOTE_ASSIGN_OR_RETURN(int t, r.Int(s["timeout"], where + " timeout (seconds)", 1, 86400));
    hook.timeout = std::chrono::seconds(t);
  }
  if (s["workdir"]) {
    PROMOTE_ASSIGN_OR_RETURN(hook.workdir, r.String(s["workdir"], where + " workdir"));
  }
  if (s["env"]) {
    if (!s["env"].IsMap()) return r.Error(s["env"], where + " env must be a mapping");
    for (const auto& e : s["env"]) {
      PROMOTE_ASSIGN_OR_RETURN(std::string v, r.String(e.second, where + " env value"));
      hook.env[e.first.as<std::string>()] = v;
    }
  }
  if (s["pass-env"]) PROMOTE_RETURN_IF_ERROR(ParseScannerPassEnv(r, s["pass-env"], where, &hook));
  if (s["exit-codes"]) {
    hook.expected_exit_codes.clear();
    for (const auto& c : s["exit-codes"]) {
      PROMOTE_ASSIGN_OR_RETURN(int code, r.Int(c, where + " exit-codes", 0, 255));
      hook.expected_exit_codes.push_back(code);
    }
  }
  return hook;
}

}  // namespace

Status ParseScanners(const Reader& r, const YAML::Node& node,
                     std::map<std::string, scan::HookConfig>* scanners) {
  if (!node.IsMap()) return r.Error(node, "scanners must be a mapping of name to scanner");
  for (const auto& kv : node) {
    std::string name = kv.first.as<std::string>();
    PROMOTE_ASSIGN_OR_RETURN(scan::HookConfig hook, ParseScanner(r, kv.second, "scanner '" + name + "'"));
    (*scanners)[name] = hook;
  }
  return OkStatus();
}

Status ParseBuilderTrust(const Reader& r, const YAML::Node& n, const std::string& where, std::string* builder_id,
                         int* build_level) {
  if (n["builder-id"]) {
    PROMOTE_ASSIGN_OR_RETURN(*builder_id, r.String(n["builder-id"], where + " builder-id"));
    if (builder_id->empty()) {
      return r.Error(n["builder-id"], where + ": builder-id must be a pattern (or be left out for any builder)");
    }
  }
  if (n["build-level"]) {
    PROMOTE_ASSIGN_OR_RETURN(*build_level, r.Int(n["build-level"], where + " build-level", 1, 3));
  }
  return OkStatus();
}

namespace {

Result<ScanGateConfig> ParseScanGate(const Reader& r, const YAML::Node& n,
                                     const std::map<std::string, scan::HookConfig>& scanners,
                                     const std::string& where) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(n, where, {"scanners", "fail-on", "ignore-unfixed", "unknown-as", "max", "allow",
                                            "trivyignore", "platforms", "on-error"}));
  ScanGateConfig gate;
  if (!n["scanners"]) return r.Error(n, where + ": scanners is required (names from the top-level scanners)");
  PROMOTE_ASSIGN_OR_RETURN(gate.scanners, r.StringList(n["scanners"], where + " scanners"));
  if (gate.scanners.empty()) return r.Error(n["scanners"], where + ": scanners must name at least one scanner");
  for (const auto& s : gate.scanners) {
    if (scanners.count(s) == 0) return r.Error(n["scanners"], where + ": unknown scanner '" + s + "'");
  }
  if (n["fail-on"]) {
    PROMOTE_ASSIGN_OR_RETURN(gate.policy.threshold, r.Severity(n["fail-on"], where + " fail-on"));
  }
  if (n["ignore-unfixed"]) {
    PROMOTE_ASSIGN_OR_RETURN(gate.policy.ignore_unfixed, r.Bool(n["ignore-unfixed"], where + " ignore-unfixed"));
  }
  if (n["unknown-as"]) {
    PROMOTE_ASSIGN_OR_RETURN(gate.policy.unknown_counts_as, r.Severity(n["unknown-as"], where + " unknown-as"));
  }
  if (n["max"]) {
    if (!n["max"].IsMap()) return r.Error(n["max"], where + " max must map severities to counts");
    for (const auto& kv : n["max"]) {
      PROMOTE_ASSIGN_OR_RETURN(scan::Severity sev, r.Severity(kv.first, where + " max"));
      PROMOTE_ASSIGN_OR_RETURN(int count, r.Int(kv.second, where + " max count", 0, 1000000));
      gate.policy.max_count[sev] = count;
    }
  }
  if (n["allow"]) {
    if (!n["allow"].IsSequence()) return r.Error(n["allow"], where + " allow must be a list");
    for (const auto& a : n["allow"]) {
      PROMOTE_RETURN_IF_ERROR(r.Keys(a, where + " allow entry", {"id", "reason", "expires"}));
      scan::AllowEntry entry;
      if (!a["id"] || !a["reason"]) return r.Error(a, where + ": an allow entry needs id and reason");
      PROMOTE_ASSIGN_OR_RETURN(entry.id, r.String(a["id"], "allow id"));
      PROMOTE_ASSIGN_OR_RETURN(entry.reason, r.String(a["reason"], "allow reason"));
      // An acceptance nobody can explain is not an acceptance: the reason is shown beside every
      // finding the entry hides and kept in the promotion record.
      auto blank = [](const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; };
      if (blank(entry.id)) return r.Error(a["id"], where + ": an allow entry needs a non-empty id");
      if (blank(entry.reason)) {
        return r.Error(a["reason"], where + ": allow entry " + entry.id + " needs a non-empty reason (why it is accepted)");
      }
      if (a["expires"]) {
        PROMOTE_ASSIGN_OR_RETURN(std::string d, r.String(a["expires"], "allow expires"));
        auto date = scan::ParseIsoDate(d);
        if (!date) return r.Error(a["expires"], where + ": expires must be a date YYYY-MM-DD, not '" + d + "'");
        entry.expires = *date;
      }
      gate.policy.allowlist.push_back(std::move(entry));
    }
  }
  if (n["trivyignore"]) {
    PROMOTE_ASSIGN_OR_RETURN(gate.trivyignore, r.String(n["trivyignore"], where + " trivyignore"));
  }
  if (n["platforms"]) {
    PROMOTE_ASSIGN_OR_RETURN(gate.platforms, r.StringList(n["platforms"], where + " platforms"));
  }
  if (n["on-error"]) {
    PROMOTE_ASSIGN_OR_RETURN(std::string v, r.String(n["on-error"], where + " on-error"));
    if (v != "fail" && v != "warn") return r.Error(n["on-error"], where + ": on-error must be fail or warn");
    gate.warn_on_scanner_error = v == "warn";
  }
  return gate;
}

Result<ProvenanceGateConfig> ParseProvenanceGate(const Reader& r, const YAML::Node& n, const std::string& where) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(n, where, {"key", "builder-id", "build-level"}));
  ProvenanceGateConfig gate;
  if (!n["key"]) return r.Error(n, where + ": key is required (the cosign public key the provenance is signed with)");
  PROMOTE_ASSIGN_OR_RETURN(gate.public_key, r.String(n["key"], where + " key"));
  if (gate.public_key.empty()) return r.Error(n["key"], where + ": key must name a public key file");
  PROMOTE_RETURN_IF_ERROR(ParseBuilderTrust(r, n, where, &gate.builder_id, &gate.build_level));
  return gate;
}

// The change-control gates (policy/change_gates.h) of an environment's `gates:`.
Status ParseChangeGates(const Reader& r, const YAML::Node& g, const std::string& where, Environment* env) {
  if (g["window"]) {
    PROMOTE_ASSIGN_OR_RETURN(env->window, ParseWindowGate(r, g["window"], where + " window gate"));
  }
  if (g["soak"]) {
    PROMOTE_ASSIGN_OR_RETURN(env->soak, ParseSoakGate(r, g["soak"], where + " soak gate"));
  }
  if (g["approval"]) {
    PROMOTE_ASSIGN_OR_RETURN(env->approval, ParseApprovalGate(r, g["approval"], where + " approval gate"));
  }
  return OkStatus();
}

// gates: signature: {key, identity-policy, trusted-root}.
Result<SignatureGateConfig> ParseSignatureGate(const Reader& r, const YAML::Node& s, const std::string& where) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(s, where + " signature gate", {"key", "identity-policy", "trusted-root"}));
  SignatureGateConfig sig;
  if (!s["key"]) return r.Error(s, where + ": the signature gate needs key (a cosign public key)");
  PROMOTE_ASSIGN_OR_RETURN(sig.public_key, r.String(s["key"], "signature key"));
  if (s["identity-policy"]) {
    PROMOTE_ASSIGN_OR_RETURN(sig.identity_policy, r.String(s["identity-policy"], "identity-policy"));
    if (sig.identity_policy != "match-repository" && sig.identity_policy != "exact" &&
        sig.identity_policy != "ignore") {
      return r.Error(s["identity-policy"], "identity-policy must be match-repository, exact or ignore");
    }
  }
  if (s["trusted-root"]) {
    PROMOTE_ASSIGN_OR_RETURN(sig.trusted_root, r.String(s["trusted-root"], "trusted-root"));
  }
  return sig;
}

// The environment's registry and repository, as one repository reference would name them.
Status ParseEnvironmentRepository(const Reader& r, const YAML::Node& n, const std::string& where, Environment* env) {
  PROMOTE_ASSIGN_OR_RETURN(env->registry, r.String(n["registry"], where + " registry"));
  PROMOTE_ASSIGN_OR_RETURN(env->repository, r.String(n["repository"], where + " repository"));
  auto parsed = oci::ParseRepository(env->registry + "/" + env->repository);
  if (!parsed.ok()) return r.Error(n["repository"], where + ": " + parsed.status().message());
  if (parsed->registry != env->registry && !oci::IsDockerHub(env->registry)) {
    return r.Error(n["registry"], where + ": '" + env->registry + "' is not a registry host (e.g. registry.example.com:5000)");
  }
  env->registry = parsed->registry;
  env->repository = parsed->repository;
  return OkStatus();
}

Status ParseEnvironmentPlatforms(const Reader& r, const YAML::Node& p, const std::string& where, Environment* env) {
  PROMOTE_ASSIGN_OR_RETURN(auto texts, r.StringList(p, where + " platforms"));
  if (texts.empty()) {
    return r.Error(p, where + ": platforms must name at least one platform (or be left out for all)");
  }
  auto platforms = oci::ParsePlatforms(texts);
  if (!platforms.ok()) return r.Error(p, where + " platforms: " + platforms.status().message());
  env->platforms = std::move(*platforms);
  return OkStatus();
}

Status ParseEnvironmentCredentials(const Reader& r, const YAML::Node& c, const std::string& where, Environment* env) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(c, where + " credentials", {"username", "password"}));
  if (!c["username"] || !c["password"]) return r.Error(c, where + ": credentials need username and password");
  PROMOTE_ASSIGN_OR_RETURN(env->credentials.username, r.String(c["username"], "credentials username"));
  PROMOTE_ASSIGN_OR_RETURN(env->credentials.password, r.Secret(c["password"], where + " credentials password"));
  return OkStatus();
}

Status ParseEnvironmentGates(const Reader& r, const YAML::Node& g, const PromoteConfig& config,
                             const std::string& where, Environment* env) {
  PROMOTE_RETURN_IF_ERROR(
      r.Keys(g, where + " gates", {"scan", "signature", "provenance", "window", "soak", "approval"}));
  PROMOTE_RETURN_IF_ERROR(ParseChangeGates(r, g, where, env));
  if (g["scan"]) {
    PROMOTE_ASSIGN_OR_RETURN(auto scan_gate, ParseScanGate(r, g["scan"], config.scanners, where + " scan gate"));
    env->scan = std::move(scan_gate);
  }
  if (g["signature"]) {
    PROMOTE_ASSIGN_OR_RETURN(env->verify, ParseSignatureGate(r, g["signature"], where));
  }
  if (g["provenance"]) {
    PROMOTE_ASSIGN_OR_RETURN(env->provenance, ParseProvenanceGate(r, g["provenance"], where + " provenance gate"));
  }
  return OkStatus();
}

Result<Environment> ParseEnvironment(const Reader& r, const YAML::Node& n, const PromoteConfig& config) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(n, "environment",
                                 {"name", "registry", "repository", "from", "mutable-tags", "stage-order",
                                  "sign", "credentials", "gates", "require-revision", "platforms"}));
  Environment env;
  env.line = n.Mark().line + 1;
  if (!n["name"] || !n["registry"] || !n["repository"]) {
    return r.Error(n, "an environment needs name, registry and repository");
  }
  PROMOTE_ASSIGN_OR_RETURN(env.name, r.String(n["name"], "environment name"));
  static const std::regex kName("[a-z0-9][a-z0-9_-]{0,62}");
  if (!std::regex_match(env.name, kName)) {
    return r.Error(n["name"], "environment name '" + env.name + "' must be lowercase letters, digits, '-' or '_'");
  }
  std::string where = "environment '" + env.name + "'";
  PROMOTE_RETURN_IF_ERROR(ParseEnvironmentRepository(r, n, where, &env));
  if (n["from"]) {
    PROMOTE_ASSIGN_OR_RETURN(std::string from, r.String(n["from"], where + " from"));
    env.from = from;
  }
  if (n["mutable-tags"]) {
    PROMOTE_ASSIGN_OR_RETURN(env.mutable_tags, r.StringList(n["mutable-tags"], where + " mutable-tags"));
    for (const auto& t : env.mutable_tags) {
      if (Status st = oci::ValidateTag(t); !st.ok()) return r.Error(n["mutable-tags"], where + ": " + st.message());
    }
  }
  if (n["platforms"]) PROMOTE_RETURN_IF_ERROR(ParseEnvironmentPlatforms(r, n["platforms"], where, &env));
  if (n["require-revision"]) {
    PROMOTE_ASSIGN_OR_RETURN(env.require_revision, r.Bool(n["require-revision"], where + " require-revision"));
  }
  if (n["stage-order"]) {
    PROMOTE_ASSIGN_OR_RETURN(env.stage_order, r.Bool(n["stage-order"], where + " stage-order"));
  }
  if (n["sign"]) {
    PROMOTE_ASSIGN_OR_RETURN(env.sign, r.Bool(n["sign"], where + " sign"));
  }
  if (n["credentials"]) PROMOTE_RETURN_IF_ERROR(ParseEnvironmentCredentials(r, n["credentials"], where, &env));
  if (n["gates"]) PROMOTE_RETURN_IF_ERROR(ParseEnvironmentGates(r, n["gates"], config, where, &env));
  return env;
}

Status Validate(const Reader& r, const YAML::Node& root, PromoteConfig* config) {
  std::set<std::string> names;
  for (const auto& env : config->environments) {
    if (!names.insert(env.name).second) {
      return InvalidArgument(config->origin + ":" + std::to_string(env.line) + ": environment '" + env.name +
                             "' is defined twice");
    }
  }
  for (const auto& env : config->environments) {
    if (env.from && config->FindEnvironment(*env.from) == nullptr) {
      return InvalidArgument(config->origin + ":" + std::to_string(env.line) + ": environment '" + env.name +
                             "' comes from unknown environment '" + *env.from + "'");
    }
    // A subset is made by a promotion into the environment; the first one receives builds as
    // they were pushed, and cutting an index there would move the tag the build wrote.
    if (!env.platforms.empty() && config->SourceOf(env) == nullptr) {
      return InvalidArgument(
          config->origin + ":" + std::to_string(env.line) + ": environment '" + env.name +
          "' receives builds directly (no environment comes before it), so platforms: cannot "
          "apply to it; set platforms: on the environments images are promoted into");
    }
    if (env.soak && config->SourceOf(env) == nullptr) {
      return InvalidArgument(config->origin + ":" + std::to_string(env.line) + ": environment '" + env.name +
                             "' receives builds directly (no environment comes before it), so it has no previous "
                             "environment to soak in; set soak: on the environments images are promoted into");
    }
    // Walk the `from` chain: it must end, never revisit an environment.
    std::set<std::string> seen = {env.name};
    for (const Environment* e = config->SourceOf(env); e != nullptr; e = config->SourceOf(*e)) {
      if (!seen.insert(e->name).second) {
        return InvalidArgument(config->origin + ":" + std::to_string(env.line) + ": environments form a cycle through '" +
                               e->name + "'");
      }
    }
  }
  for (const auto& rule : config->branches) {
    for (const auto& to : rule.to) {
      if (config->FindEnvironment(to) == nullptr) {
        return InvalidArgument(config->origin + ":" + std::to_string(rule.line) + ": branch rule '" + rule.pattern +
                               "' names unknown environment '" + to + "'");
      }
    }
  }
  (void)r;
  (void)root;
  return OkStatus();
}

Result<YAML::Node> LoadYaml(const std::string& yaml_text, const std::string& origin) {
  if (yaml_text.size() > kMaxConfigBytes) return InvalidArgument(origin + ": larger than 1 MiB");
  try {
    return YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
}

Result<std::string> ReadConfigFile(const std::string& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("config " + path + ": cannot be read (pass " + flag + " PATH)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One `repositories:` value: "path" (at the environment's registry) or {registry, repository}.
Result<ImageLocation> ParseImageLocation(const Reader& r, const YAML::Node& n, const Environment& env,
                                         const std::string& where) {
  ImageLocation at{env.registry, ""};
  if (n.IsMap()) {
    PROMOTE_RETURN_IF_ERROR(r.Keys(n, where, {"registry", "repository"}));
    if (!n["registry"] || !n["repository"]) return r.Error(n, where + " needs registry and repository");
    PROMOTE_ASSIGN_OR_RETURN(at.registry, r.String(n["registry"], where + " registry"));
    PROMOTE_ASSIGN_OR_RETURN(at.repository, r.String(n["repository"], where + " repository"));
  } else {
    PROMOTE_ASSIGN_OR_RETURN(at.repository, r.String(n, where));
  }
  auto parsed = oci::ParseRepository(at.registry + "/" + at.repository);
  if (!parsed.ok()) return r.Error(n, where + ": " + parsed.status().message());
  if (parsed->registry != at.registry && !oci::IsDockerHub(at.registry)) {
    return r.Error(n, where + ": '" + at.registry + "' is not a registry host (e.g. registry.example.com:5000)");
  }
  return ImageLocation{parsed->registry, parsed->repository};
}

// images: [{name, repositories: {env: repository | {registry, repository}}}]: a release set.
// Every image must say where it is in every environment: a set promoted together has no member
// that an environment lacks.
Status ParseImages(const Reader& r, const YAML::Node& node, PromoteConfig* config) {
  if (!node.IsSequence() || node.size() == 0) return r.Error(node, "images must be a non-empty list");
  static const std::regex kImageName("[a-z0-9][a-z0-9-]{0,62}");
  for (const auto& n : node) {
    PROMOTE_RETURN_IF_ERROR(r.Keys(n, "image", {"name", "repositories"}));
    if (!n["name"] || !n["repositories"]) return r.Error(n, "an image of images: needs name and repositories");
    SetImage image;
    image.line = n.Mark().line + 1;
    PROMOTE_ASSIGN_OR_RETURN(image.name, r.String(n["name"], "image name"));
    if (!std::regex_match(image.name, kImageName)) {
      return r.Error(n["name"], "image name '" + image.name + "' must be lowercase letters, digits or '-'");
    }
    for (const auto& other : config->images) {
      if (other.name == image.name) return r.Error(n["name"], "image '" + image.name + "' is listed twice");
    }
    const std::string where = "image '" + image.name + "'";
    const YAML::Node& repos = n["repositories"];
    if (!repos.IsMap()) return r.Error(repos, where + " repositories must map environment names to repositories");
    for (const auto& kv : repos) {
      const std::string env_name = kv.first.as<std::string>();
      const Environment* env = config->FindEnvironment(env_name);
      if (env == nullptr) return r.Error(kv.first, where + " names unknown environment '" + env_name + "'");
      PROMOTE_ASSIGN_OR_RETURN(image.locations[env_name],
                               ParseImageLocation(r, kv.second, *env, where + " repository in '" + env_name + "'"));
    }
    for (const auto& env : config->environments) {
      if (image.locations.count(env.name) == 0) {
        return r.Error(repos, where + " has no repository for environment '" + env.name +
                                  "' (every image of the set needs one in every environment)");
      }
    }
    config->images.push_back(std::move(image));
  }
  return OkStatus();
}

// signing: {key, password, format}. format alone is allowed: the key is then the agent's.
Status ParseSigning(const Reader& r, const YAML::Node& s, SigningConfig* out) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(s, "signing", {"key", "password", "format"}));
  // format alone is allowed: the key is then the agent's (agent.yaml signing:).
  if (!s["key"] && (!s["format"] || s["password"])) {
    return r.Error(s, "signing needs key (env:NAME holding the key path, or file:/path)");
  }
  if (s["key"]) {
    PROMOTE_ASSIGN_OR_RETURN(out->key, r.Secret(s["key"], "signing key"));
  }
  if (s["format"]) {
    PROMOTE_ASSIGN_OR_RETURN(out->format, r.SigningFormat(s["format"]));
  }
  if (s["password"]) {
    PROMOTE_ASSIGN_OR_RETURN(out->password, r.Secret(s["password"], "signing password"));
  }
  return OkStatus();
}

}  // namespace

PromoteConfig PromoteConfig::ForImage(const SetImage& image) const {
  PromoteConfig one = *this;
  one.images.clear();
  for (auto& env : one.environments) {
    const ImageLocation& at = image.locations.at(env.name);
    env.registry = at.registry;
    env.repository = at.repository;
  }
  return one;
}

const Environment* PromoteConfig::FindEnvironment(const std::string& name) const {
  for (const auto& e : environments) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const Environment* PromoteConfig::SourceOf(const Environment& env) const {
  if (env.from) return FindEnvironment(*env.from);
  for (size_t i = 0; i < environments.size(); ++i) {
    if (environments[i].name == env.name) return i == 0 ? nullptr : &environments[i - 1];
  }
  return nullptr;
}

std::vector<BranchRule> DefaultBranchRules(const std::vector<Environment>& environments) {
  auto has = [&](const std::string& n) {
    for (const auto& e : environments) {
      if (e.name == n) return true;
    }
    return false;
  };
  std::vector<BranchRule> rules;
  if (has("dev")) rules.push_back({"develop", {"dev"}, 0});
  if (has("stage")) rules.push_back({"release/*", {"stage"}, 0});
  if (has("prod")) rules.push_back({"main", {"prod"}, 0});
  // A hotfix goes to prod "through the same gates": its build is recorded in dev and it passes
  // stage like a release, so the stage-order gate holds for it too.
  std::vector<std::string> hotfix;
  for (const char* n : {"dev", "stage", "prod"}) {
    if (has(n)) hotfix.push_back(n);
  }
  if (has("prod")) rules.push_back({"hotfix/*", hotfix, 0});
  return rules;
}

Result<PromoteConfig> ParsePromoteConfig(const std::string& yaml_text, const std::string& origin) {
  PROMOTE_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml_text, origin));
  Reader r(origin);
  try {
    PROMOTE_RETURN_IF_ERROR(
        r.Keys(root, "promote.yaml", {"version", "image", "tags", "environments", "branches", "scanners", "signing", "images"}));
    PromoteConfig config;
    config.origin = origin;
    config.sha256 = Sha256Hex(yaml_text);
    if (!root["version"]) return r.Error(root, "version is required (version: 1)");
    PROMOTE_ASSIGN_OR_RETURN(int version, r.Int(root["version"], "version", 1, 1));
    (void)version;
    if (root["image"]) {
      PROMOTE_ASSIGN_OR_RETURN(config.image, r.String(root["image"], "image"));
    }
    if (root["tags"]) {
      const YAML::Node& t = root["tags"];
      PROMOTE_RETURN_IF_ERROR(r.Keys(t, "tags", {"immutable", "version-from-branch"}));
      if (t["immutable"]) {
        PROMOTE_ASSIGN_OR_RETURN(config.immutable_tag, r.String(t["immutable"], "tags immutable"));
        if (config.immutable_tag.find("{sha7}") == std::string::npos &&
            config.immutable_tag.find("{sha12}") == std::string::npos &&
            config.immutable_tag.find("{sha}") == std::string::npos) {
          return r.Error(t["immutable"], "tags immutable must contain {sha7}, {sha12} or {sha}");
        }
        if (Status st = oci::ValidateTag(RenderImmutableTag(config.immutable_tag, std::string(40, 'a'))); !st.ok()) {
          return r.Error(t["immutable"], "tags immutable renders an invalid tag: " + st.message());
        }
      }
      if (t["version-from-branch"]) {
        PROMOTE_ASSIGN_OR_RETURN(config.version_tag_from_branch, r.Bool(t["version-from-branch"], "version-from-branch"));
      }
    }
    if (root["signing"]) PROMOTE_RETURN_IF_ERROR(ParseSigning(r, root["signing"], &config.signing));
    if (root["scanners"]) PROMOTE_RETURN_IF_ERROR(ParseScanners(r, root["scanners"], &config.scanners));
    if (!root["environments"] || !root["environments"].IsSequence() || root["environments"].size() == 0) {
      return r.Error(root["environments"] ? root["environments"] : root, "environments must be a non-empty list");
    }
    for (const auto& e : root["environments"]) {
      PROMOTE_ASSIGN_OR_RETURN(Environment env, ParseEnvironment(r, e, config));
      config.environments.push_back(std::move(env));
    }
    if (root["images"]) PROMOTE_RETURN_IF_ERROR(ParseImages(r, root["images"], &config));
    if (root["branches"]) {
      if (!root["branches"].IsSequence()) return r.Error(root["branches"], "branches must be a list");
      for (const auto& b : root["branches"]) {
        PROMOTE_RETURN_IF_ERROR(r.Keys(b, "branch rule", {"pattern", "to"}));
        if (!b["pattern"] || !b["to"]) return r.Error(b, "a branch rule needs pattern and to");
        BranchRule rule;
        rule.line = b.Mark().line + 1;
        PROMOTE_ASSIGN_OR_RETURN(rule.pattern, r.String(b["pattern"], "branch pattern"));
        if (Status st = ValidateBranchPattern(rule.pattern); !st.ok()) return r.Error(b["pattern"], st.message());
        PROMOTE_ASSIGN_OR_RETURN(rule.to, r.StringList(b["to"], "branch rule to"));
        if (rule.to.empty()) return r.Error(b["to"], "a branch rule must name at least one environment");
        config.branches.push_back(std::move(rule));
      }
    } else {
      config.branches = DefaultBranchRules(config.environments);
    }
    PROMOTE_RETURN_IF_ERROR(Validate(r, root, &config));
    return config;
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Result<PromoteConfig> LoadPromoteConfig(const std::string& path) {
  PROMOTE_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path, "--config"));
  return ParsePromoteConfig(text, path);
}

Result<ScanPolicy> ParseScanPolicy(const std::string& yaml_text, const std::string& origin) {
  PROMOTE_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml_text, origin));
  Reader r(origin);
  try {
    PROMOTE_RETURN_IF_ERROR(r.Keys(root, "scan policy", {"version", "scanners", "scan"}));
    if (root["version"]) {
      PROMOTE_ASSIGN_OR_RETURN(int version, r.Int(root["version"], "version", 1, 1));
      (void)version;
    }
    if (!root["scanners"])
      return r.Error(root, "scanners is required (name: {kind, executable, args, format, …})");
    if (!root["scan"]) return r.Error(root, "scan is required (the gate: scanners, fail-on, allow, …)");
    ScanPolicy policy;
    policy.origin = origin;
    PROMOTE_RETURN_IF_ERROR(ParseScanners(r, root["scanners"], &policy.scanners));
    PROMOTE_ASSIGN_OR_RETURN(policy.gate, ParseScanGate(r, root["scan"], policy.scanners, "scan"));
    return policy;
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Result<ScanPolicy> LoadScanPolicy(const std::string& path) {
  PROMOTE_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path, "--policy"));
  return ParseScanPolicy(text, path);
}

}  // namespace promote::policy
