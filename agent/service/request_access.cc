#include "service/request_access.h"

#include <algorithm>

#include "oci/reference.h"
#include "policy/secret_ref.h"

namespace promote::service {

Result<std::shared_ptr<registry::RegistryPool>> PoolFor(const ServiceSettings& settings,
                                                        const v1::RegistryAccess& access,
                                                        const policy::PromoteConfig* config) {
  if (access.credentials_size() > 0 && !settings.accept_request_secrets) {
    return Status(Code::kPermissionDenied,
                  "this agent does not accept registry credentials in requests; its operator configures them in "
                  "agent.yaml (or sets allow_request_credentials: true)");
  }
  bool config_credentials = false;
  if (config != nullptr && settings.accept_request_secrets) {
    for (const auto& env : config->environments) config_credentials |= !env.credentials.empty();
  }
  bool own_tuning = settings.honour_request_access &&
                    (access.plain_http_size() > 0 || access.retries() > 0 || access.registry_requests() > 0);
  if (settings.shared_pool && access.credentials_size() == 0 && !config_credentials && !own_tuning) {
    return settings.shared_pool;
  }

  auto chain = std::make_shared<registry::ChainKeychain>();
  if (access.credentials_size() > 0) {
    auto carried = std::make_shared<registry::StaticKeychain>();
    for (const auto& c : access.credentials()) {
      if (c.registry().empty() || c.username().empty()) {
        return InvalidArgument("request credentials need a registry and a username");
      }
      registry::Credentials creds;
      creds.username = c.username();
      creds.password = Secret(c.password());
      carried->Add(c.registry(), std::move(creds));
    }
    chain->Append(carried);
  }
  if (config_credentials) chain->Append(std::make_shared<policy::ConfigKeychain>(config));
  if (settings.keychain) chain->Append(settings.keychain);

  registry::RegistryOptions options = settings.registry;
  if (settings.honour_request_access) {
    for (const auto& host : access.plain_http()) options.plain_http_registries.push_back(host);
    if (access.retries() > 0) options.retry.max_attempts = access.retries();
    if (access.registry_requests() > 0) options.max_concurrent_requests = access.registry_requests();
  }
  return std::make_shared<registry::RegistryPool>(chain, settings.tls, options);
}

bool IsPlainHttp(const ServiceSettings& settings, const v1::RegistryAccess& access, const std::string& host) {
  if (oci::IsLoopbackRegistry(host)) return true;
  const auto& own = settings.registry.plain_http_registries;
  if (std::find(own.begin(), own.end(), host) != own.end()) return true;
  if (!settings.honour_request_access) return false;
  return std::find(access.plain_http().begin(), access.plain_http().end(), host) != access.plain_http().end();
}

Result<policy::PromoteConfig> ConfigFrom(const ServiceSettings& settings, const v1::File& file,
                                         const std::string& what) {
  if (file.content().empty() && file.name().empty()) return InvalidArgument(what + " is missing from the request");
  PROMOTE_ASSIGN_OR_RETURN(policy::PromoteConfig config,
                           policy::ParsePromoteConfig(file.content(), file.name().empty() ? what : file.name()));
  // A config whose secrets we may resolve (the CLI's own) names variables no child may see. An
  // untrusted request's names are not recorded: they would let a caller strip PATH from scanners.
  if (settings.accept_request_secrets) policy::WithholdSecretsFromChildren(config);
  return config;
}

Result<promotion::SigningKey> SigningKeyFor(const ServiceSettings& settings, const policy::PromoteConfig& config) {
  if (settings.signing.key) return settings.signing;
  if (config.signing.empty()) return promotion::SigningKey{};
  if (!settings.accept_request_secrets) {
    return Status(Code::kPermissionDenied, config.origin +
                                               ": signing: names a key, but this agent signs only with the key of its "
                                               "agent.yaml and has none configured");
  }
  return promotion::LoadSigningKey(config.signing, promotion::PassphraseFallback::kEnvironment);
}

Result<std::map<std::string, scan::HookConfig>> ScannersFor(const ServiceSettings& settings,
                                                            const std::map<std::string, scan::HookConfig>& requested) {
  if (!settings.scanners) return requested;
  std::map<std::string, scan::HookConfig> out;
  for (const auto& [name, hook] : requested) {
    auto it = settings.scanners->find(name);
    if (it == settings.scanners->end()) {
      return Status(Code::kPermissionDenied, "scanner '" + name +
                                                 "' is not configured on this agent; the agent runs only the scanners "
                                                 "of its agent.yaml");
    }
    out[name] = it->second;
  }
  return out;
}

int JobsFor(const ServiceSettings& settings, int jobs) {
  if (jobs <= 0) jobs = 8;
  return std::min(jobs, std::max(1, settings.max_jobs));
}

promotion::CiContext CiContextFrom(const v1::CiContext& ci) {
  promotion::CiContext out;
  out.system = ci.system();
  out.run_id = ci.run_id();
  out.run_url = ci.run_url();
  out.actor = ci.actor();
  return out;
}

}  // namespace promote::service
