#include "registry/registry_pool.h"

namespace promote::registry {

RegistryPool::RegistryPool(std::shared_ptr<const Keychain> keychain, TlsOptions tls, RegistryOptions options)
    : keychain_(std::move(keychain)), http_(std::move(tls)), options_(std::move(options)) {}

Result<std::shared_ptr<RegistryClient>> RegistryPool::Get(const std::string& host, const std::string& repository) {
  std::lock_guard lock(mu_);
  // The keychain may run a credential helper: ask it once per repository.
  std::string location = host + "/" + repository;
  if (auto known = client_for_location_.find(location); known != client_for_location_.end()) return known->second;
  std::optional<Credentials> creds;
  if (keychain_) {
    auto found = keychain_->Resolve(host, repository);
    if (!found.ok()) return found.status().WithContext("credentials for " + host + "/" + repository);
    creds = std::move(*found);
  }
  // Neither part is secret; the user name tells apart two sources that name the same scope.
  std::string key = host + "\n" + (creds ? creds->scope + "\n" + creds->username : "");
  auto it = clients_.find(key);
  if (it != clients_.end()) {
    client_for_location_[location] = it->second;
    return it->second;
  }
  auto& limits = limits_[host];
  if (limits == nullptr) limits = std::make_shared<HostLimits>(options_.max_concurrent_requests);
  auto client = std::make_shared<RegistryClient>(host, &http_, std::move(creds), options_, limits);
  clients_[key] = client;
  client_for_location_[location] = client;
  return client;
}

}  // namespace promote::registry
