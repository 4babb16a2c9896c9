#include "cli/request_files.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <vector>

#include "cli/process_environment.h"
#include "cli/signing_key.h"
#include "policy/attached_files.h"
#include "policy/secret_ref.h"
#include "sigstore/size_limits.h"
#include "util/child_env.h"
#include "util/read_file.h"

namespace promote::cli {
namespace {

Status Attach(const std::vector<policy::FileReference>& named, google::protobuf::RepeatedPtrField<v1::File>* files) {
  for (const auto& ref : named) {
    std::string path = ref.name;
    if (ref.is_reference) {
      PROMOTE_ASSIGN_OR_RETURN(path, policy::ResolvePath(policy::SecretRef{ref.name}, ref.what, ProcessEnvironment()));
    }
    auto content = ReadSmallFile(path, ref.what, policy::AttachedFiles::kMaxFileBytes);
    if (!content.ok()) return InvalidArgument(content.status().message());
    v1::File* f = files->Add();
    f->set_name(ref.name);
    f->set_content(std::move(*content));
  }
  return OkStatus();
}

// Variables of the convention that name no environment of promote.yaml: a typo in a name, or a
// Jenkins `credentials:` key promote.yaml does not have. Said on stderr, not refused: a shared
// pipeline may set them for environments this application does not have.
void WarnOfUnusedCredentialVariables(const policy::PromoteConfig& config, const EnvironmentVariables& environment) {
  std::set<std::string> known;
  for (const auto& env : config.environments) {
    const policy::ConventionalCredentialVariables names = policy::CredentialVariablesFor(env.name);
    known.insert(names.username);
    known.insert(names.password);
  }
  std::string unused, environments;
  for (const std::string& entry : environment.Entries()) {
    const std::string name = entry.substr(0, entry.find('='));
    if (name.size() == entry.size() - 1) continue;  // set to "": not given
    const bool conventional = name.rfind("PROMOTE_", 0) == 0 &&
                              (name.ends_with("_USERNAME") || name.ends_with("_PASSWORD"));
    if (!conventional || known.count(name) != 0) continue;
    if (!policy::ReservedCredentialVariable({name, name}).empty()) continue;
    unused += (unused.empty() ? "" : ", ") + name;
  }
  if (unused.empty()) return;
  for (const auto& env : config.environments) environments += (environments.empty() ? "" : ", ") + env.name;
  std::cerr << "promote: warning: " << unused << " name no environment of " << config.origin << " ("
            << environments << "): not used\n";
}

}  // namespace

Status AddConventionalCredentials(const v1::File& config, const EnvironmentVariables& environment,
                                  v1::RegistryAccess* access) {
  auto parsed = policy::ParsePromoteConfig(config.content(), config.name());
  if (!parsed.ok()) return OkStatus();      // the service reports the parse error
  std::map<std::string, std::string> used;  // variable -> the environment that uses it
  for (const auto& env : parsed->environments) {
    if (!env.credentials.empty()) continue;
    const policy::ConventionalCredentialVariables names = policy::CredentialVariablesFor(env.name);
    // A reserved variable holds something else (`key` -> PROMOTE_KEY_PASSWORD, the passphrase):
    // only the other one says the pipeline meant credentials.
    const std::string reserved = policy::ReservedCredentialVariable(names);
    const std::string username = reserved == names.username ? "" : environment.GetOr(names.username, "");
    const std::string password = reserved == names.password ? "" : environment.GetOr(names.password, "");
    if (username.empty() && password.empty()) continue;
    const std::string what = "environment '" + env.name + "' (" + parsed->origin + ":" +
                             std::to_string(env.line) + ") credentials from " + names.username + " and " +
                             names.password;
    if (!reserved.empty()) {
      return InvalidArgument(what + ": " + reserved +
                             " is read by promote for something else; give the environment credentials: in "
                             "promote.yaml naming other variables, or rename it");
    }
    if (auto [it, inserted] = used.emplace(names.username, env.name); !inserted) {
      return InvalidArgument(what + ": environment '" + it->second +
                             "' has the same variables; give one of them credentials: in promote.yaml");
    }
    if (username.empty() || password.empty()) {
      return InvalidArgument(what + ": " + (username.empty() ? names.username : names.password) +
                             " is not set; set both or neither");
    }
    if (username.find(':') != std::string::npos) {
      return InvalidArgument(what + ": the username must not contain ':'");
    }
    WithholdFromChildren(names.username);
    WithholdFromChildren(names.password);
    // The environment's repository, and where a release set's images live in it.
    std::vector<std::string> scopes = {env.registry + "/" + env.repository};
    for (const auto& image : parsed->images) {
      auto at = image.locations.find(env.name);
      if (at == image.locations.end()) continue;
      const std::string scope = at->second.registry + "/" + at->second.repository;
      if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) scopes.push_back(scope);
    }
    for (const auto& scope : scopes) {
      v1::Credential* c = access->add_credentials();
      c->set_registry(scope);
      c->set_username(username);
      c->set_password(password);
    }
  }
  WarnOfUnusedCredentialVariables(*parsed, environment);
  return OkStatus();
}

Status AttachConfigFiles(const v1::File& config, google::protobuf::RepeatedPtrField<v1::File>* files) {
  auto parsed = policy::ParsePromoteConfig(config.content(), config.name());
  if (!parsed.ok()) return OkStatus();
  return Attach(policy::FilesNamedBy(*parsed), files);
}

Status AttachPolicyFiles(const v1::File& policy, google::protobuf::RepeatedPtrField<v1::File>* files) {
  auto parsed = policy::ParseScanPolicy(policy.content(), policy.name());
  if (!parsed.ok()) return OkStatus();
  return Attach(policy::FilesNamedBy(*parsed), files);
}

void ResolveConfigSecretsForAgent(const v1::File& config, v1::RegistryAccess* access, v1::SigningKey* signing) {
  auto parsed = policy::ParsePromoteConfig(config.content(), config.name());
  if (!parsed.ok()) return;
  const EnvironmentVariables environment = ProcessEnvironment();
  for (const auto& env : parsed->environments) {
    if (env.credentials.empty()) continue;
    const std::string what = "environment '" + env.name + "' credentials";
    auto username = policy::ResolveUsername(env.credentials.username, what, environment);
    auto password = policy::ResolveSecret(env.credentials.password, what, environment);
    if (!username.ok() || !password.ok()) continue;
    // Scoped to each repository the environment's credentials are for: its own and, in a
    // release set, each image's there (which may be on another registry).
    std::vector<std::string> repositories = {env.registry + "/" + env.repository};
    for (const auto& image : parsed->images) {
      const policy::ImageLocation& at = image.locations.at(env.name);
      repositories.push_back(at.registry + "/" + at.repository);
    }
    for (const auto& repository : repositories) {
      v1::Credential* c = access->add_credentials();
      c->set_registry(repository);
      c->set_username(*username);
      c->set_password(std::string(password->reveal()));
    }
  }
  if (signing == nullptr || parsed->signing.empty()) return;
  auto document =
      policy::ResolveKeyDocument(parsed->signing.key, "signing key", sigstore::kMaxKeyFileBytes, environment);
  if (!document.ok()) return;
  std::optional<Secret> passphrase;
  if (!parsed->signing.password.empty()) {
    auto p = policy::ResolveSecret(parsed->signing.password, "signing password", environment);
    if (p.ok()) passphrase = std::move(*p);
  } else if (auto p = FindKeyPassphrase(""); p.ok()) {
    passphrase = std::move(*p);
  }
  signing->mutable_key()->set_name(document->source);
  signing->mutable_key()->set_content(std::string(document->pem.reveal()));
  if (passphrase) {
    signing->set_passphrase(std::string(passphrase->reveal()));
    signing->set_has_passphrase(true);
  }
}

}  // namespace promote::cli
