#include "service/request_access.h"

#include <algorithm>

#include "oci/reference.h"
#include "policy/secret_ref.h"
#include "sigstore/cosign_key.h"
#include "sigstore/pem.h"

namespace promote::service {

namespace {

const policy::Environment* FirstWithCredentials(const policy::PromoteConfig& config) {
  for (const auto& env : config.environments) {
    if (!env.credentials.empty()) return &env;
  }
  return nullptr;
}

}  // namespace

Result<std::shared_ptr<registry::RegistryPool>> PoolFor(const ServiceSettings& settings,
                                                        const v1::RegistryAccess& access,
                                                        const policy::PromoteConfig* config) {
  const policy::Environment* with_credentials = config != nullptr ? FirstWithCredentials(*config) : nullptr;
  if (with_credentials != nullptr && !settings.resolve_request_references) {
    // Refused, not ignored: a promote.yaml that names credentials expects them to be used.
    std::string where = config->origin + ":" + std::to_string(with_credentials->line) + ": environment '" +
                        with_credentials->name + "' credentials:";
    if (!settings.accept_request_secrets) {
      return InvalidArgument(where +
                             " this agent uses the registry credentials of its agent.yaml and accepts none from "
                             "requests (allow-request-credentials: false); remove credentials: from promote.yaml "
                             "when promoting through the agent");
    }
    if (access.credentials_size() == 0) {
      return InvalidArgument(where +
                             " env:/file: references are resolved by the client, never by the agent, and this "
                             "request carries no resolved credentials");
    }
  }
  if (access.credentials_size() > 0 && !settings.accept_request_secrets) {
    return Status(Code::kPermissionDenied,
                  "this agent does not accept registry credentials in requests (the client sends those of "
                  "promote.yaml's credentials: and of PROMOTE_<ENV>_USERNAME/PROMOTE_<ENV>_PASSWORD); its "
                  "operator configures them in agent.yaml (or sets allow-request-credentials: true)");
  }
  bool config_credentials = with_credentials != nullptr && settings.resolve_request_references;
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
  if (config_credentials) chain->Append(std::make_shared<policy::ConfigKeychain>(config, settings.environment));
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

Result<std::shared_ptr<sigstore::PrivateKey>> PrivateKeyFrom(const v1::SigningKey& carried) {
  const std::string source = "cosign key " + carried.key().name();
  Secret pem(carried.key().content());
  PROMOTE_ASSIGN_OR_RETURN(sigstore::PemBlock block, sigstore::DecodePem(pem.reveal(), source));
  Secret passphrase(carried.passphrase());
  if (block.label != "PRIVATE KEY" && !carried.has_passphrase()) {
    return InvalidArgument(source +
                           ": no key passphrase: set PROMOTE_KEY_PASSWORD (or COSIGN_PASSWORD) or pass "
                           "--password-file FILE");
  }
  PROMOTE_ASSIGN_OR_RETURN(sigstore::PrivateKey key,
                           sigstore::ParseCosignPrivateKey(pem.reveal(), passphrase, source));
  return std::make_shared<sigstore::PrivateKey>(std::move(key));
}

Result<promotion::SigningKey> SigningKeyFor(const ServiceSettings& settings, const policy::PromoteConfig& config,
                                            const v1::SigningKey& carried) {
  if (settings.resolve_request_references) {
    // In-process: promote.yaml's references are the caller's own.
    if (settings.signing.key || config.signing.empty()) return settings.signing;
    return promotion::LoadSigningKey(config.signing, settings.key_passphrase, settings.environment);
  }
  const bool carries_key = !carried.key().content().empty();
  if (config.signing.empty() && !carries_key) return settings.signing;
  // Refused, not ignored: a promote.yaml that names a key expects it to be used.
  const std::string where = config.origin + ": signing:";
  if (!settings.accept_request_secrets) {
    return InvalidArgument(where +
                           " this agent signs with the key of its agent.yaml and accepts no key from requests "
                           "(allow-request-credentials: false); remove signing: from promote.yaml when promoting "
                           "through the agent");
  }
  if (settings.signing.key) {
    return InvalidArgument(where + " names a key, but this agent signs with the key of its agent.yaml; remove one");
  }
  if (!carries_key) {
    return InvalidArgument(where +
                           " env:/file: references are resolved by the client, never by the agent, and this "
                           "request carries no key");
  }
  promotion::SigningKey out;
  PROMOTE_ASSIGN_OR_RETURN(out.key, PrivateKeyFrom(carried));
  out.public_key = std::make_shared<sigstore::PublicKey>(out.key->public_key());
  return out;
}

Result<std::map<std::string, scan::HookConfig>> ScannersFor(const ServiceSettings& settings,
                                                            const std::map<std::string, scan::HookConfig>& requested) {
  std::map<std::string, scan::HookConfig> out;
  for (const auto& [name, hook] : requested) {
    if (!settings.scanners) {
      out[name] = hook;
    } else if (auto it = settings.scanners->find(name); it != settings.scanners->end()) {
      out[name] = it->second;
    } else {
      return PermissionDenied("scanner '" + name +
                              "' is not configured on this agent; the agent runs only the scanners of its agent.yaml");
    }
    // The scanner runs in this process's environment, whoever wrote its configuration.
    out[name].host_environment = settings.environment;
  }
  return out;
}

int JobsFor(const ServiceSettings& settings, int jobs) {
  if (jobs <= 0) jobs = 8;
  return std::min(jobs, std::max(1, settings.max_jobs));
}

policy::AttachedFiles FilesFrom(const google::protobuf::RepeatedPtrField<v1::File>& files) {
  policy::AttachedFiles out;
  for (const auto& f : files) out.Add(f.name(), f.content());
  return out;
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
