#include "policy/secret_ref.h"

#include <cstdlib>
#include <fstream>

namespace promote::policy {

Result<Secret> ResolveSecret(const SecretRef& ref, const std::string& what) {
  if (ref.ref.rfind("env:", 0) == 0) {
    std::string name = ref.ref.substr(4);
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return InvalidArgument(what + ": environment variable " + name + " is not set");
    return Secret(v);
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

Result<std::string> ResolvePath(const SecretRef& ref, const std::string& what) {
  if (ref.ref.rfind("file:", 0) == 0) return ref.ref.substr(5);
  if (ref.ref.rfind("env:", 0) == 0) {
    std::string name = ref.ref.substr(4);
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') {
      return InvalidArgument(what + ": environment variable " + name + " (the key file path) is not set");
    }
    return std::string(v);
  }
  return InvalidArgument(what + ": must be env:NAME or file:/path");
}

Result<std::string> ResolveUsername(const std::string& value, const std::string& what) {
  if (value.rfind("env:", 0) != 0) return value;
  const char* v = std::getenv(value.substr(4).c_str());
  if (v == nullptr) return InvalidArgument(what + ": environment variable " + value.substr(4) + " is not set");
  return std::string(v);
}

Result<std::optional<registry::Credentials>> ConfigKeychain::Resolve(std::string_view registry) const {
  for (const auto& env : config_->environments) {
    if (env.registry != registry || env.credentials.empty()) continue;
    std::string what = "environment '" + env.name + "' credentials";
    registry::Credentials c;
    PROMOTE_ASSIGN_OR_RETURN(c.username, ResolveUsername(env.credentials.username, what));
    PROMOTE_ASSIGN_OR_RETURN(c.password, ResolveSecret(env.credentials.password, what));
    return std::optional<registry::Credentials>(std::move(c));
  }
  return std::optional<registry::Credentials>();
}

}  // namespace promote::policy
