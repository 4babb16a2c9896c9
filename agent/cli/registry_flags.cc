#include "cli/registry_flags.h"

#include <cstdlib>
#include <filesystem>

#include "cli/process_environment.h"
#include "util/read_file.h"

namespace promote::cli {
namespace {

Result<std::optional<registry::Credentials>> ExplicitCredentials(const std::string& username,
                                                                 const std::string& password_file,
                                                                 const char* password_env, const char* which) {
  const char* env = std::getenv(password_env);
  bool have_password = !password_file.empty() || (env != nullptr);
  if (username.empty() && !have_password) return std::optional<registry::Credentials>();
  if (username.empty()) {
    return InvalidArgument(std::string("--") + which + "-username is required with a " + which + " password");
  }
  if (!have_password) {
    return InvalidArgument(std::string("--") + which + "-username needs a password: set " + password_env +
                           " or pass --" + which + "-password-file");
  }
  registry::Credentials c;
  c.username = username;
  if (!password_file.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(c.password, ReadSecretLine(password_file, "password file"));
  } else {
    c.password = Secret(env);
  }
  return std::optional<registry::Credentials>(std::move(c));
}

}  // namespace

void RegistryFlags::Register(CLI::App* cmd, CredentialFlags credentials) {
  cmd->add_option("--ca-file", ca_file, "PEM file of extra CA certificates to trust")->check(CLI::ExistingFile);
  cmd->add_option("--plain-http", plain_http,
                  "Registry host allowed over plain HTTP (repeatable; loopback registries always are)")
      ->allow_extra_args(false);
  cmd->add_option("--authfile", authfile, "docker config.json to read credentials from");
  if (credentials != CredentialFlags::kNone) {
    cmd->add_option("--src-username", src_username, "Username for the source registry (password: PROMOTE_SRC_PASSWORD)");
    cmd->add_option("--src-password-file", src_password_file, "File holding the source registry password");
  }
  if (credentials == CredentialFlags::kSourceAndTarget) {
    cmd->add_option("--dst-username", dst_username,
                    "Username for the target registry (password: PROMOTE_DST_PASSWORD)");
    cmd->add_option("--dst-password-file", dst_password_file, "File holding the target registry password");
  }
  cmd->add_option("--retries", retries, "Attempts per request on transient failures")->check(CLI::Range(1, 20));
  cmd->add_option("--registry-requests", per_registry_requests, "Concurrent requests per registry")
      ->check(CLI::Range(1, 256));
}

std::shared_ptr<const registry::Keychain> RegistryFlags::Keychain(
    std::shared_ptr<const registry::Keychain> first) const {
  auto chain = std::make_shared<registry::ChainKeychain>();
  if (first) chain->Append(std::move(first));
  const EnvironmentVariables environment = ProcessEnvironment();
  chain->Append(std::make_shared<registry::DockerConfigKeychain>(
      authfile.empty() ? registry::DockerConfigKeychain::DefaultPath(environment) : authfile, environment));
  return chain;
}

Result<v1::RegistryAccess> RegistryFlags::Access(const std::vector<std::string>& source_scopes,
                                                 const std::vector<std::string>& target_scopes) const {
  v1::RegistryAccess access;
  // Given, a missing file is a mistake: silently reading no credentials would fail later, elsewhere.
  if (std::error_code ec; !authfile.empty() && !std::filesystem::exists(authfile, ec)) {
    return InvalidArgument("--authfile " + authfile + ": no such file");
  }
  PROMOTE_ASSIGN_OR_RETURN(auto src, ExplicitCredentials(src_username, src_password_file, "PROMOTE_SRC_PASSWORD", "src"));
  PROMOTE_ASSIGN_OR_RETURN(auto dst, ExplicitCredentials(dst_username, dst_password_file, "PROMOTE_DST_PASSWORD", "dst"));
  auto add = [&](const std::vector<std::string>& scopes, const registry::Credentials& c) {
    for (const auto& scope : scopes) {
      auto* cred = access.add_credentials();
      cred->set_registry(scope);
      cred->set_username(c.username);
      cred->set_password(std::string(c.password.reveal()));
    }
  };
  if (src) add(source_scopes, *src);
  if (dst) add(target_scopes, *dst);
  for (const auto& host : plain_http) access.add_plain_http(host);
  access.set_retries(retries);
  access.set_registry_requests(per_registry_requests);
  return access;
}

}  // namespace promote::cli
