#include "registry/registry_pool.h"

namespace promote::registry {

RegistryPool::RegistryPool(std::shared_ptr<const Keychain> keychain, TlsOptions tls, RegistryOptions options)
    : keychain_(std::move(keychain)), http_(std::move(tls)), options_(std::move(options)) {}

Result<std::shared_ptr<RegistryClient>> RegistryPool::Get(const std::string& host) {
  std::lock_guard lock(mu_);
  auto it = clients_.find(host);
  if (it != clients_.end()) return it->second;
  std::optional<Credentials> creds;
  if (keychain_) {
    auto found = keychain_->Resolve(host);
    if (!found.ok()) return found.status().WithContext("credentials for " + host);
    creds = std::move(*found);
  }
  auto client = std::make_shared<RegistryClient>(host, &http_, std::move(creds), options_);
  clients_[host] = client;
  return client;
}

}  // namespace promote::registry
