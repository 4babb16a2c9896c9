// Resolving the secret references promote.yaml and agent configs use: "env:NAME" (the value of
// a variable in the EnvironmentVariables the caller passes: the CLI's or the agent's own, never
// read here with getenv) and "file:/path" (the first line of a file). Error messages name the
// reference, never the value. A variable resolved as a secret is withheld from child processes.
#pragma once

#include <string>

#include <vector>

#include "policy/promote_config.h"
#include "registry/credentials.h"
#include "util/child_env.h"
#include "util/environment_variables.h"
#include "util/secret.h"
#include "util/status.h"

namespace promote::policy {

// The secret a reference points at. `what` names its use in errors ("signing password").
Result<Secret> ResolveSecret(const SecretRef& ref, const std::string& what,
                             const EnvironmentVariables& environment);

// The variables the env:NAME references of a config point at (registry passwords and
// usernames, the signing passphrase and key path). Promote withholds them from every child it
// starts (util/child_env.h): WithholdSecretsFromChildren does that for a trusted config, of any
// type with a SecretEnvNames (agent.yaml's is in service/agent_config.h).
std::vector<std::string> SecretEnvNames(const PromoteConfig& config);
// Appends the variable an "env:NAME" reference names to `names`; any other reference adds none.
void AppendEnvName(const std::string& ref, std::vector<std::string>* names);
template <typename Config>
void WithholdSecretsFromChildren(const Config& config) {
  for (const std::string& name : SecretEnvNames(config)) WithholdFromChildren(name);
}

// For file references: env:NAME holds a file path; file:/path is the path itself. A variable
// holding file content instead (several lines, or PEM) is refused without echoing the value.
Result<std::string> ResolvePath(const SecretRef& ref, const std::string& what,
                                const EnvironmentVariables& environment);

// A key (PEM text) a reference points at. env:NAME holds the key file's path or, the way CI
// secrets and cosign's env:// arrive, the PEM itself (it starts with "-----BEGIN"); file:/path is
// the path. `source` names it for errors ("env:NAME" or the path), never holding key content.
struct KeyDocument {
  std::string source;
  Secret pem;
};
Result<KeyDocument> ResolveKeyDocument(const SecretRef& ref, const std::string& what, size_t max_bytes,
                                       const EnvironmentVariables& environment);

// A username that may be literal or "env:NAME".
Result<std::string> ResolveUsername(const std::string& value, const std::string& what,
                                    const EnvironmentVariables& environment);

// The credentials convention for an environment promote.yaml gives no `credentials:`: the
// variables PROMOTE_<ENV>_USERNAME and PROMOTE_<ENV>_PASSWORD, ENV being the environment's name
// upper-cased with every character other than a letter or digit turned into '_' (stage-eu ->
// PROMOTE_STAGE_EU_*). The client reads them where the pipeline runs (agent/cli); this is only
// the naming, kept in one place.
struct ConventionalCredentialVariables {
  std::string username;
  std::string password;
};
ConventionalCredentialVariables CredentialVariablesFor(std::string_view environment);

// Variables promote reads for something else (the signing key and passphrase, the copy
// command's passwords, the agent connection, the log level): an environment whose conventional
// credential variables would be one of them ("key" -> PROMOTE_KEY_PASSWORD) cannot use the
// convention. Returns the reserved name, or "" when neither variable is reserved.
std::string ReservedCredentialVariable(const ConventionalCredentialVariables& names);

// Credentials of each environment that declares them, looked up by registry host and repository
// when first needed (so an unused environment's missing variable is not an error), env:
// references in `environment`.
class ConfigKeychain : public registry::Keychain {
 public:
  ConfigKeychain(const PromoteConfig* config, EnvironmentVariables environment)
      : config_(config), environment_(std::move(environment)) {}
  Result<std::optional<registry::Credentials>> Resolve(std::string_view registry,
                                                       std::string_view repository) const override;

 private:
  const PromoteConfig* config_;
  EnvironmentVariables environment_;
};

}  // namespace promote::policy
