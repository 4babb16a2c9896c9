// Registry credentials and where they come from: explicit per-registry or per-namespace values
// (flags, env, agent config) and the docker config.json (`auths`, `credHelpers`, `credsStore` through
// `docker-credential-<name> get`, honouring DOCKER_CONFIG). Secrets stay in Secret values.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/environment_variables.h"
#include "util/secret.h"
#include "util/status.h"

namespace promote::registry {

struct Credentials {
  std::string username;
  Secret password;
  // OAuth2 refresh token ("identitytoken" in docker config; helpers return it with
  // username "<token>"): exchanged at the token endpoint instead of username/password.
  Secret identity_token;
  // A ready bearer token to send as is (e.g. from a CI system).
  Secret registry_token;

  // Where these apply, as the entry that matched names it: a host ("registry.example") or a
  // host and a repository namespace ("registry.example/team-a"). Not secret. Requests whose
  // credentials have the same scope share one client (its connections and tokens).
  std::string scope;

  bool empty() const { return username.empty() && identity_token.empty() && registry_token.empty(); }
};

// Whether credentials for `scope` ("host" or "host/namespace…") apply to `repository` of
// `registry`: the host is the same and the namespace, if any, is the repository or a parent of
// it ("reg/team" covers "team/app" and "team/sub/app", not "teamx/app").
bool ScopeCovers(std::string_view scope, std::string_view registry, std::string_view repository);

// Finds credentials for a repository of a registry host ("127.0.0.1:5000", "shop/app"). The
// most specific entry wins: one for the repository's namespace before one for the whole host,
// so one registry can hold repositories that need different accounts (a robot per project).
class Keychain {
 public:
  virtual ~Keychain() = default;
  // nullopt: no credentials known (anonymous). An error: a configured source failed
  // (unreadable config, helper crashed): that must not silently become anonymous.
  virtual Result<std::optional<Credentials>> Resolve(std::string_view registry, std::string_view repository) const = 0;
};

// Credentials given explicitly, per registry host or per "host/namespace".
class StaticKeychain : public Keychain {
 public:
  void Add(std::string scope, Credentials credentials);
  Result<std::optional<Credentials>> Resolve(std::string_view registry, std::string_view repository) const override;

 private:
  std::map<std::string, Credentials, std::less<>> entries_;
};

// A docker config.json. Construct with the file path (a missing file means no credentials) and
// the environment its credential helpers are started from (filtered by util/child_env.h).
class DockerConfigKeychain : public Keychain {
 public:
  // Path of the config docker itself would read in `environment`: $DOCKER_CONFIG/config.json,
  // else $HOME/.docker/config.json.
  static std::string DefaultPath(const EnvironmentVariables& environment);
  DockerConfigKeychain(std::string path, EnvironmentVariables environment)
      : path_(std::move(path)), environment_(std::move(environment)) {}
  Result<std::optional<Credentials>> Resolve(std::string_view registry, std::string_view repository) const override;

 private:
  std::string path_;
  EnvironmentVariables environment_;
};

// Tries each keychain in order; the first that knows the registry wins.
class ChainKeychain : public Keychain {
 public:
  void Append(std::shared_ptr<const Keychain> keychain) { chain_.push_back(std::move(keychain)); }
  Result<std::optional<Credentials>> Resolve(std::string_view registry, std::string_view repository) const override;

 private:
  std::vector<std::shared_ptr<const Keychain>> chain_;
};

// What a docker config.json says about one registry, before any credential helper is run.
struct DockerConfigEntry {
  std::optional<Credentials> credentials;  // from `auths`
  std::string helper;                      // else the helper to ask (credHelpers, then credsStore)
};

// Parses docker config.json text and finds the entry for `repository` of `registry`; runs
// nothing. `auths` keys may name a namespace ("reg.example/team", as containers-auth.json
// allows); the most specific wins, then credHelpers, auths and credsStore for the host as docker
// reads them. An empty entry (no credentials, no helper) means anonymous. Malformed JSON, mistyped fields, an `auth` that is
// not base64 of user:password and invalid helper names are kInvalidArgument naming `origin`.
Result<DockerConfigEntry> ParseDockerConfigEntry(std::string_view json_text, std::string_view registry,
                                                 std::string_view origin, std::string_view repository = "");

// Parses docker config.json text and resolves `registry` from it (credential helpers are run,
// started from `helper_environment`, filtered as util/child_env.h says: empty, they see none of
// promote's variables and search the default PATH). Exposed for tests; `origin` names the file
// in errors.
Result<std::optional<Credentials>> ResolveFromDockerConfig(std::string_view json_text, std::string_view registry,
                                                           std::string_view origin, std::string_view repository = "",
                                                           const EnvironmentVariables& helper_environment = EnvironmentVariables());

}  // namespace promote::registry
