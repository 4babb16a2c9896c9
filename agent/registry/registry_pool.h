// RegistryPool: one RegistryClient per registry host, created on first use and shared by every
// copy in the process (the agent keeps one pool for all requests, so connections and tokens are
// reused across promotions). Credentials are resolved from the keychain once per host.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "registry/credentials.h"
#include "registry/http_client.h"
#include "registry/registry_client.h"

namespace promote::registry {

class RegistryPool {
 public:
  RegistryPool(std::shared_ptr<const Keychain> keychain, TlsOptions tls, RegistryOptions options);

  // The client for `host`; fails only when the keychain fails for it.
  Result<std::shared_ptr<RegistryClient>> Get(const std::string& host);
  // The keychain the clients authenticate with (e.g. to hand a scanner the same credentials).
  std::shared_ptr<const Keychain> keychain() const { return keychain_; }

 private:
  std::shared_ptr<const Keychain> keychain_;
  HttpClient http_;
  RegistryOptions options_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<RegistryClient>> clients_;
};

}  // namespace promote::registry
