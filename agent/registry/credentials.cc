#include "registry/credentials.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "oci/reference.h"
#include "util/base64.h"
#include "util/child_env.h"
#include "util/subprocess.h"

namespace promote::registry {
namespace {

using nlohmann::json;

constexpr size_t kMaxConfigBytes = 1024 * 1024;

// The keys docker uses for a registry in `auths`: Docker Hub is stored under its v1 URL.
std::vector<std::string> ConfigKeysFor(std::string_view registry) {
  std::string r(registry);
  if (r == oci::kDockerHub) {
    return {std::string(oci::kDockerHubConfigKey), std::string(oci::kDockerHubIndexHost),
            std::string(oci::kDockerHub), std::string(oci::kDockerHubApiHost)};
  }
  return {r, "https://" + r, "http://" + r, "https://" + r + "/v1/", "http://" + r + "/v1/"};
}

// containers-auth.json keys for a repository's namespaces, most specific first:
// "reg/team/sub/app", "reg/team/sub", "reg/team".
std::vector<std::string> NamespaceKeysFor(std::string_view registry, std::string_view repository) {
  std::vector<std::string> keys;
  std::string ns(repository);
  while (!ns.empty()) {
    keys.push_back(std::string(registry) + "/" + ns);
    auto slash = ns.rfind('/');
    ns.resize(slash == std::string::npos ? 0 : slash);
  }
  return keys;
}

// The credentials in one `auths` entry (an object); empty when it holds none.
Result<Credentials> CredentialsFromAuthsEntry(const json& a, const std::string& key, std::string_view origin) {
  auto field_error = [&](const std::string& what) {
    return InvalidArgument(std::string(origin) + ": auths[\"" + key + "\"]" + what);
  };
  Credentials c;
  if (auto auth = a.find("auth"); auth != a.end() && auth->is_string() && !auth->get<std::string>().empty()) {
    auto decoded = Base64Decode(auth->get<std::string>());
    if (!decoded) return field_error(".auth is not valid base64");
    auto colon = decoded->find(':');
    if (colon == std::string::npos) {
      WipeString(*decoded);
      return field_error(".auth is not base64 of user:password");
    }
    c.username = decoded->substr(0, colon);
    c.password = Secret(decoded->substr(colon + 1));
    WipeString(*decoded);
  } else if (a.contains("username") && a.contains("password")) {
    const json& user = a["username"];
    const json& password = a["password"];
    if (!user.is_string() || !password.is_string()) return field_error(".username and password must be strings");
    c.username = user.get<std::string>();
    c.password = Secret(password.get<std::string>());
  }
  if (auto it = a.find("identitytoken"); it != a.end() && it->is_string() && !it->get<std::string>().empty()) {
    c.identity_token = Secret(it->get<std::string>());
  }
  if (auto it = a.find("registrytoken"); it != a.end() && it->is_string() && !it->get<std::string>().empty()) {
    c.registry_token = Secret(it->get<std::string>());
  }
  return c;
}

bool ValidHelperName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.';
    if (!ok) return false;
  }
  return true;
}

Result<std::optional<Credentials>> RunCredentialHelper(const std::string& helper, std::string_view registry,
                                                       std::string_view origin, const EnvironmentVariables& environment) {
  std::string server(registry == oci::kDockerHub ? oci::kDockerHubConfigKey : registry);
  ProcessOptions p;
  p.argv = {"docker-credential-" + helper, "get"};
  p.stdin_data = server;
  p.timeout = std::chrono::seconds(30);
  // Only what a helper needs: a helper asked about this registry must not see the passwords of
  // the others, the key passphrase or the agent token that are in our environment.
  p.env = ChildEnvironment(ChildKind::kCredentialHelper, environment);
  auto run = RunProcess(p);
  if (!run.ok()) {
    return Status(Code::kUnauthenticated, std::string(origin) + ": credential helper docker-credential-" + helper +
                                              " for " + std::string(registry) + ": " + run.status().message());
  }
  if (!run->finished()) {
    return Status(Code::kUnauthenticated, "credential helper docker-credential-" + helper + " timed out");
  }
  if (run->exit_code != 0) {
    // The helper protocol says "credentials not found in native keychain" on stdout for a miss.
    if (run->stdout_data.find("credentials not found") != std::string::npos) return std::optional<Credentials>();
    return Status(Code::kUnauthenticated, "credential helper docker-credential-" + helper + " failed for " +
                                              std::string(registry) + " (exit " + std::to_string(run->exit_code) + ")");
  }
  json j = json::parse(run->stdout_data, nullptr, false);
  WipeString(run->stdout_data);
  if (!j.is_object() || !j.contains("Secret") || !j["Secret"].is_string() ||
      (j.contains("Username") && !j["Username"].is_string())) {
    return Status(Code::kUnauthenticated,
                  "credential helper docker-credential-" + helper + " printed no valid credentials JSON");
  }
  Credentials c;
  std::string user = j.value("Username", "");
  std::string secret = j["Secret"].get<std::string>();
  if (user == "<token>") {
    c.identity_token = Secret(std::move(secret));
  } else {
    c.username = user;
    c.password = Secret(std::move(secret));
  }
  return std::optional<Credentials>(std::move(c));
}

}  // namespace

bool ScopeCovers(std::string_view scope, std::string_view registry, std::string_view repository) {
  if (scope.substr(0, registry.size()) != registry) return false;
  if (scope.size() == registry.size()) return true;
  if (scope[registry.size()] != '/') return false;
  std::string_view ns = scope.substr(registry.size() + 1);
  return repository.substr(0, ns.size()) == ns && (repository.size() == ns.size() || repository[ns.size()] == '/');
}

void StaticKeychain::Add(std::string scope, Credentials credentials) {
  credentials.scope = scope;
  entries_[std::move(scope)] = std::move(credentials);
}

Result<std::optional<Credentials>> StaticKeychain::Resolve(std::string_view registry,
                                                           std::string_view repository) const {
  const Credentials* best = nullptr;
  for (const auto& [scope, credentials] : entries_) {
    if (ScopeCovers(scope, registry, repository) && (best == nullptr || scope.size() > best->scope.size())) {
      best = &credentials;
    }
  }
  if (best == nullptr) return std::optional<Credentials>();
  return std::optional<Credentials>(*best);
}

std::string DockerConfigKeychain::DefaultPath(const EnvironmentVariables& environment) {
  if (std::string dir = environment.GetOr("DOCKER_CONFIG", ""); !dir.empty()) return dir + "/config.json";
  return environment.Get("HOME").value_or("") + "/.docker/config.json";
}

Result<std::optional<Credentials>> DockerConfigKeychain::Resolve(std::string_view registry,
                                                                 std::string_view repository) const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::optional<Credentials>();
  std::string text;
  text.resize(kMaxConfigBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) return InvalidArgument("docker config " + path_ + ": larger than 1 MiB");
  auto r = ResolveFromDockerConfig(text, registry, "docker config " + path_, repository, environment_);
  WipeString(text);
  return r;
}

Result<DockerConfigEntry> ParseDockerConfigEntry(std::string_view json_text, std::string_view registry,
                                                 std::string_view origin, std::string_view repository) {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument(std::string(origin) + ": not a valid JSON object");
  }
  auto field_error = [&](const std::string& what) {
    return InvalidArgument(std::string(origin) + ": " + what);
  };
  auto helper_entry = [&](const std::string& helper) -> Result<DockerConfigEntry> {
    if (!ValidHelperName(helper)) return field_error("credential helper name '" + helper + "' is not valid");
    DockerConfigEntry entry;
    entry.helper = helper;
    return entry;
  };
  auto auths = j.find("auths");
  if (auths != j.end() && !auths->is_object()) return field_error("auths is not an object");
  // The first `auths` entry among `keys` with credentials in it.
  auto from_auths = [&](const std::vector<std::string>& keys) -> Result<std::optional<Credentials>> {
    if (auths == j.end()) return std::optional<Credentials>();
    for (const auto& key : keys) {
      auto a = auths->find(key);
      if (a == auths->end()) continue;
      if (!a->is_object()) return field_error("auths[\"" + key + "\"] is not an object");
      PROMOTE_ASSIGN_OR_RETURN(Credentials c, CredentialsFromAuthsEntry(*a, key, origin));
      // An empty entry (as `docker login` with a credsStore leaves) falls through to the store.
      if (!c.empty()) return std::optional<Credentials>(std::move(c));
    }
    return std::optional<Credentials>();
  };
  auto credentials_entry = [](Credentials c, std::string scope) {
    c.scope = std::move(scope);
    DockerConfigEntry entry;
    entry.credentials = std::move(c);
    return entry;
  };

  // A namespace's own entry is more specific than anything said for the whole host.
  for (const auto& key : NamespaceKeysFor(registry, repository)) {
    PROMOTE_ASSIGN_OR_RETURN(auto found, from_auths({key}));
    if (found) return credentials_entry(std::move(*found), key);
  }
  // credHelpers (per registry) take precedence over auths, as in docker.
  if (auto helpers = j.find("credHelpers"); helpers != j.end()) {
    if (!helpers->is_object()) return field_error("credHelpers is not an object");
    for (const auto& key : ConfigKeysFor(registry)) {
      auto h = helpers->find(key);
      if (h == helpers->end()) continue;
      if (!h->is_string()) return field_error("credHelpers[\"" + key + "\"] is not a string");
      return helper_entry(h->get<std::string>());
    }
  }
  PROMOTE_ASSIGN_OR_RETURN(auto host_wide, from_auths(ConfigKeysFor(registry)));
  if (host_wide) return credentials_entry(std::move(*host_wide), std::string(registry));
  if (auto store = j.find("credsStore"); store != j.end()) {
    if (!store->is_string()) return field_error("credsStore is not a string");
    if (!store->get<std::string>().empty()) return helper_entry(store->get<std::string>());
  }
  return DockerConfigEntry();
}

Result<std::optional<Credentials>> ResolveFromDockerConfig(std::string_view json_text, std::string_view registry,
                                                           std::string_view origin, std::string_view repository,
                                                           const EnvironmentVariables& helper_environment) {
  PROMOTE_ASSIGN_OR_RETURN(DockerConfigEntry entry, ParseDockerConfigEntry(json_text, registry, origin, repository));
  if (!entry.helper.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(auto found, RunCredentialHelper(entry.helper, registry, origin, helper_environment));
    if (found) found->scope = std::string(registry);
    return found;
  }
  return std::move(entry.credentials);
}

Result<std::optional<Credentials>> ChainKeychain::Resolve(std::string_view registry,
                                                          std::string_view repository) const {
  // The first keychain that knows the repository wins, even if a later one knows it more
  // specifically: the order is the operator's precedence (flags, then agent.yaml, then docker).
  for (const auto& k : chain_) {
    PROMOTE_ASSIGN_OR_RETURN(auto found, k->Resolve(registry, repository));
    if (found) return found;
  }
  return std::optional<Credentials>();
}

}  // namespace promote::registry
