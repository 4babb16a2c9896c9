// Writes a throw-away Docker config (config.json, the format registry/credentials.h reads) holding the credentials of exactly one
// registry, so a scanner can authenticate through DOCKER_CONFIG without the password ever
// appearing on a command line or in an environment variable other scanners' children could read.
#pragma once

#include <string>
#include <string_view>

#include "util/secret.h"
#include "util/status.h"

namespace promote::registry {

// The key Docker clients look up for `registry_host`: Docker Hub's hosts (docker.io,
// index.docker.io, registry-1.docker.io) use "https://index.docker.io/v1/", others the host[:port].
std::string DockerConfigKey(std::string_view registry_host);

// Creates `dir` (mode 0700, must not exist yet) and `dir`/config.json (mode 0600, created
// exclusively, never following a symlink) containing only
//   {"auths": {"<key>": {"auth": base64(username:password)}}}.
// Buffers that held the password are wiped. Errors are Internal and never contain the password.
Status WriteDockerAuthFile(const std::string& dir, std::string_view registry_host, std::string_view username,
                           const Secret& password);

}  // namespace promote::registry
