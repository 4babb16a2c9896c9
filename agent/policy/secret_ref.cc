#include "policy/secret_ref.h"

#include <fstream>
#include <string_view>

#include "util/read_file.h"

namespace promote::policy {

Result<Secret> ResolveSecret(const SecretRef& ref, const std::string& what,
                             const EnvironmentVariables& environment) {
  if (ref.ref.rfind("env:", 0) == 0) {
    std::string name = ref.ref.substr(4);
    // A secret of ours from now on, whatever the allow-lists say: no helper or scanner sees it.
    WithholdFromChildren(name);
    std::optional<std::string> v = environment.Get(name);
    if (!v) return InvalidArgument(what + ": environment variable " + name + " is not set");
    return Secret(std::move(*v));
  }
  if (ref.ref.rfind("file:", 0) == 0) {
    std::string path = ref.ref.substr(5);
    std::ifstream in(path, std::ios::binary);
    if (!in) return InvalidArgument(what + ": cannot read " + path);
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return Secret(std::move(line));
  }
  return InvalidArgument(what + ": '" + ref.ref.substr(0, 5) + "…' is not env:NAME or file:/path");
}

void AppendEnvName(const std::string& ref, std::vector<std::string>* names) {
  if (ref.rfind("env:", 0) == 0 && ref.size() > 4) names->push_back(ref.substr(4));
}

std::vector<std::string> SecretEnvNames(const PromoteConfig& config) {
  std::vector<std::string> names;
  for (const auto& env : config.environments) {
    AppendEnvName(env.credentials.username, &names);
    AppendEnvName(env.credentials.password.ref, &names);
  }
  AppendEnvName(config.signing.key.ref, &names);
  AppendEnvName(config.signing.password.ref, &names);
  return names;
}

Result<std::string> ResolvePath(const SecretRef& ref, const std::string& what,
                                const EnvironmentVariables& environment) {
  if (ref.ref.rfind("file:", 0) == 0) return ref.ref.substr(5);
  if (ref.ref.rfind("env:", 0) == 0) {
    std::string name = ref.ref.substr(4);
    const std::string value = environment.GetOr(name, "");
    if (value.empty()) {
      return InvalidArgument(what + ": environment variable " + name + " (the file path) is not set");
    }
    // Content where a path belongs (a key pasted into a CI secret) would be echoed by every "cannot
    // read <path>" error: refuse it without a byte of it.
    if (value.find('\n') != std::string::npos || value.rfind("-----BEGIN", 0) == 0) {
      return InvalidArgument(what + ": environment variable " + name +
                             " holds file content, not a file path (its value is not shown)");
    }
    return value;
  }
  return InvalidArgument(what + ": must be env:NAME or file:/path");
}

Result<KeyDocument> ResolveKeyDocument(const SecretRef& ref, const std::string& what, size_t max_bytes,
                                       const EnvironmentVariables& environment) {
  if (ref.ref.rfind("env:", 0) == 0) {
    std::string name = ref.ref.substr(4);
    std::optional<std::string> v = environment.Get(name);
    if (v && v->rfind("-----BEGIN", 0) == 0) {
      WithholdFromChildren(name);
      Secret pem{std::move(*v)};
      if (pem.reveal().size() > max_bytes) {
        return InvalidArgument(what + ": environment variable " + name + " is larger than " +
                               std::to_string(max_bytes) + " bytes");
      }
      return KeyDocument{"env:" + name, std::move(pem)};
    }
  }
  PROMOTE_ASSIGN_OR_RETURN(std::string path, ResolvePath(ref, what, environment));
  PROMOTE_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, what, max_bytes));
  return KeyDocument{path, Secret(std::move(text))};
}

Result<std::string> ResolveUsername(const std::string& value, const std::string& what,
                                    const EnvironmentVariables& environment) {
  if (value.rfind("env:", 0) != 0) return value;
  std::optional<std::string> v = environment.Get(value.substr(4));
  if (!v) return InvalidArgument(what + ": environment variable " + value.substr(4) + " is not set");
  return std::move(*v);
}

namespace {

// The environment whose image of a release set lives at registry/repository; null when none.
const Environment* SetImageEnvironment(const PromoteConfig& config, std::string_view registry,
                                       std::string_view repository) {
  for (const auto& image : config.images) {
    for (const auto& [env_name, at] : image.locations) {
      if (at.registry == registry && at.repository == repository) return config.FindEnvironment(env_name);
    }
  }
  return nullptr;
}

}  // namespace

ConventionalCredentialVariables CredentialVariablesFor(std::string_view environment) {
  std::string name = "PROMOTE_";
  for (char c : environment) {
    if (c >= 'a' && c <= 'z') {
      name += static_cast<char>(c - 'a' + 'A');
    } else {
      name += (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_';
    }
  }
  return {name + "_USERNAME", name + "_PASSWORD"};
}

std::string ReservedCredentialVariable(const ConventionalCredentialVariables& names) {
  static const char* const kReserved[] = {
      "PROMOTE_SIGNING_KEY", "PROMOTE_KEY_PASSWORD",     "PROMOTE_SRC_PASSWORD", "PROMOTE_DST_PASSWORD",
      "PROMOTE_AGENT",       "PROMOTE_AGENT_CA",         "PROMOTE_AGENT_CERT",   "PROMOTE_AGENT_KEY",
      "PROMOTE_AGENT_TOKEN", "PROMOTE_AGENT_TOKEN_FILE", "PROMOTE_LOG_LEVEL",
  };
  for (const char* reserved : kReserved) {
    if (names.username == reserved || names.password == reserved) return reserved;
  }
  return "";
}

Result<std::optional<registry::Credentials>> ConfigKeychain::Resolve(std::string_view registry,
                                                                     std::string_view repository) const {
  // The environment of this very repository decides: stage and prod may share a registry host
  // and still need different accounts, and an environment that declares none uses the docker
  // config, never a neighbour's. A repository that is no environment's (`promote scan` of
  // another image) gets the credentials of an environment on its host.
  // A release set's image (images:) uses the credentials of its environment there.
  const Environment* chosen = SetImageEnvironment(*config_, registry, repository);
  const bool set_image = chosen != nullptr;
  if (set_image && chosen->credentials.empty()) return std::optional<registry::Credentials>();
  for (const auto& env : config_->environments) {
    if (set_image) break;
    if (env.registry != registry) continue;
    if (env.repository == repository) {
      if (env.credentials.empty()) return std::optional<registry::Credentials>();
      chosen = &env;
      break;
    }
    if (chosen == nullptr && !env.credentials.empty()) chosen = &env;
  }
  if (chosen == nullptr) return std::optional<registry::Credentials>();
  std::string what = "environment '" + chosen->name + "' credentials";
  registry::Credentials c;
  PROMOTE_ASSIGN_OR_RETURN(c.username, ResolveUsername(chosen->credentials.username, what, environment_));
  PROMOTE_ASSIGN_OR_RETURN(c.password, ResolveSecret(chosen->credentials.password, what, environment_));
  c.scope = set_image || chosen->repository == repository ? std::string(registry) + "/" + std::string(repository)
                                                          : std::string(registry);
  return std::optional<registry::Credentials>(std::move(c));
}

}  // namespace promote::policy
