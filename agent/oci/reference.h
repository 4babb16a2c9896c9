// Image references ("registry/repo:tag@sha256:…"), parsed and normalised the way Docker and
// crane do: a missing registry means docker.io, single-name Docker Hub images get "library/",
// and the distribution grammar (lowercase path components, tag charset, lengths) is enforced.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "oci/digest.h"
#include "util/status.h"

namespace promote::oci {

// Docker Hub goes by several names, and each place that meets one needs the right one: references
// name it kDockerHub; its API answers at kDockerHubApiHost; docker's config.json `auths` and
// credential helpers know it by kDockerHubConfigKey (its v1 URL); kDockerHubIndexHost is the older
// name docker's own reference parser still accepts.
inline constexpr std::string_view kDockerHub = "docker.io";
inline constexpr std::string_view kDockerHubIndexHost = "index.docker.io";
inline constexpr std::string_view kDockerHubApiHost = "registry-1.docker.io";
inline constexpr std::string_view kDockerHubConfigKey = "https://index.docker.io/v1/";

// True for any of Docker Hub's host names.
constexpr bool IsDockerHub(std::string_view host) {
  return host == kDockerHub || host == kDockerHubIndexHost || host == kDockerHubApiHost;
}

struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "127.0.0.1:5000", "[::1]:5000"
  std::string repository;  // "library/busybox", "shop/payment-svc"
  std::string tag;         // empty when absent
  std::optional<Digest> digest;

  // Normalised full form: registry/repository[:tag][@digest].
  std::string str() const;
  // registry/repository, the identity cosign signs.
  std::string Name() const { return registry + "/" + repository; }
  // The same repository with another tag or digest.
  Reference WithTag(std::string t) const;
  Reference WithDigest(const Digest& d) const;
  // Tag if set, else digest string, else "latest" (what to ask the registry for).
  std::string Identifier() const;
};

// Parses a reference. A missing tag and digest leaves both empty (callers decide whether
// "latest" is implied). Errors are kInvalidArgument and quote the input.
Result<Reference> ParseReference(std::string_view text);

// Parses a repository without tag or digest ("registry/repo"), e.g. a copy target.
Result<Reference> ParseRepository(std::string_view text);

// Validates a tag against the distribution grammar [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
Status ValidateTag(std::string_view tag);

// True for a host (no port) that names this machine literally: "localhost", a dotted-quad
// 127.0.0.0/8 address ("127.0.0.1", not "127.example.com" nor "127.1"), "::1" or "[::1]".
// Anything else counts as remote, even when it happens to resolve to loopback: plain HTTP and
// credentials over plain HTTP are allowed on loopback only, so this errs on the side of "remote".
bool IsLoopbackHost(std::string_view host);

// IsLoopbackHost for a registry as written in references (with or without port).
bool IsLoopbackRegistry(std::string_view registry);

}  // namespace promote::oci
