// RegistryPool: the RegistryClients of a process, created on first use and shared by every copy
// (the agent keeps one pool for all requests, so connections and tokens are reused across
// promotions). One client per registry host and credentials: repositories of one host that the
// keychain gives different accounts (a robot per project) get different clients, which still
// share the host's request limit and Retry-After pause (HostLimits).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "registry/credentials.h"
#include "registry/host_limits.h"
#include "registry/http_client.h"
#include "registry/registry_client.h"

namespace promote::registry {

class RegistryPool {
 public:
  RegistryPool(std::shared_ptr<const Keychain> keychain, TlsOptions tls, RegistryOptions options);

  // The client for `repository` of `host`; fails only when the keychain fails for it.
  Result<std::shared_ptr<RegistryClient>> Get(const std::string& host, const std::string& repository);
  // The keychain the clients authenticate with (e.g. to hand a scanner the same credentials).
  std::shared_ptr<const Keychain> keychain() const { return keychain_; }

 private:
  std::shared_ptr<const Keychain> keychain_;
  HttpClient http_;
  RegistryOptions options_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<HostLimits>> limits_;           // by host
  std::map<std::string, std::shared_ptr<RegistryClient>> clients_;      // by host, scope and user
  std::map<std::string, std::shared_ptr<RegistryClient>> client_for_location_;  // by "host/repository"
};

}  // namespace promote::registry
