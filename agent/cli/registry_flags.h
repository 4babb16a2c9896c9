// The command-line options every registry-touching command shares (TLS, plain HTTP,
// credentials, concurrency) and turning them into a request's RegistryAccess. Secrets never come from flag
// values: only from environment variables, files, docker config or credential helpers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "oci/reference.h"
#include "promote/v1/promote.pb.h"
#include "registry/credentials.h"
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

  // Which explicit credential flags a command offers: run, history and rollback read
  // credentials from promote.yaml and the docker config only, and list no --src-username.
  enum class CredentialFlags { kNone, kSource, kSourceAndTarget };
  void Register(CLI::App* cmd, CredentialFlags credentials);

  // The operator's keychain for in-process runs: `first` (may be null), then the docker config.
  std::shared_ptr<const registry::Keychain> Keychain(std::shared_ptr<const registry::Keychain> first) const;

  // The request's registry access: explicit credentials (--src-username/--dst-username with
  // PROMOTE_SRC_PASSWORD / PROMOTE_DST_PASSWORD or the password files) for the given source and
  // target scopes (a registry host, or "host/repository"), plain-HTTP hosts, retries and the
  // request limit.
  Result<v1::RegistryAccess> Access(const std::vector<std::string>& source_scopes,
                                    const std::vector<std::string>& target_scopes) const;
};

}  // namespace promote::cli
