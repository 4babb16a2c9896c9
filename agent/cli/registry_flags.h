// The command-line options every registry-touching command shares (TLS, plain HTTP,
// credentials, concurrency) and turning them into a RegistryPool. Secrets never come from flag
// values: only from environment variables, files, docker config or credential helpers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "oci/reference.h"
#include "registry/registry_pool.h"
#include "util/status.h"

namespace promote::cli {

struct RegistryFlags {
  std::string ca_file;
  std::vector<std::string> plain_http;
  std::string authfile;  // docker config.json; default $DOCKER_CONFIG/config.json or ~/.docker/config.json
  std::string src_username;
  std::string src_password_file;
  std::string dst_username;
  std::string dst_password_file;
  int retries = 5;
  int per_registry_requests = 16;

  void Register(CLI::App* cmd, bool with_target);

  // Builds the pool. Explicit credentials (flags + PROMOTE_SRC_PASSWORD / PROMOTE_DST_PASSWORD
  // or the password files) apply to the given source and target registries and take
  // precedence over the docker config.
  // `first` (e.g. promote.yaml credentials) is consulted before the docker config.
  Result<std::unique_ptr<registry::RegistryPool>> BuildPool(
      const std::vector<oci::Reference>& sources, const std::vector<oci::Reference>& targets,
      std::shared_ptr<const registry::Keychain> first = nullptr) const;
  // The keychain BuildPool uses without explicit src/dst credentials: `first`, then the docker config.
  std::shared_ptr<const registry::Keychain> Keychain(std::shared_ptr<const registry::Keychain> first) const;
};

}  // namespace promote::cli
