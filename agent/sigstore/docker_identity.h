// Docker references as they appear in signature identities, normalised the way
// containers/image compares them: "busybox", "docker.io/library/busybox" and
// "index.docker.io/library/busybox" are the same repository.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace promote::sigstore {

struct DockerIdentity {
  std::string repository;  // normalised "registry/path", e.g. "docker.io/library/busybox"
  std::string tag;         // empty when absent
  std::string digest;      // empty when absent, else "algo:hex" as written

  // repository[:tag][@digest]
  std::string ToString() const;
};

// Splits and normalises `reference`. Docker Hub names get the "docker.io" registry and, for
// one-component paths, the "library/" namespace. An empty reference, empty path component,
// whitespace, or an uppercase path is kInvalidArgument naming the reference.
Result<DockerIdentity> ParseDockerIdentity(std::string_view reference);

}  // namespace promote::sigstore
