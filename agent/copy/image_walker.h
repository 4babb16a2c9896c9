// Walking an image: fetch the manifest a reference resolves to and, for an index, every child
// manifest (nested indexes included), verifying each against its digest. The result is the
// complete set of manifests a copy must write, children before parents.
#pragma once

#include <string>
#include <vector>

#include "oci/manifest.h"
#include "registry/registry_client.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::copy {

struct ImageGraph {
  oci::Manifest root;
  // Every manifest below the root, children before the index that lists them.
  std::vector<oci::Manifest> children;
  // "linux/amd64", … : index entries' platforms, or the config's os/architecture of a single image.
  std::vector<std::string> platforms;

  // Every distributable blob of every image manifest, each digest once.
  std::vector<oci::Descriptor> UniqueBlobs() const;
};

// Refuses indexes nested deeper than this or listing more than kMaxChildren manifests in all,
// and an index that (directly or through children) lists itself.
inline constexpr int kMaxIndexDepth = 4;
inline constexpr size_t kMaxChildren = 1024;

Result<ImageGraph> WalkImage(registry::RegistryClient& client, const std::string& repository,
                             const std::string& identifier, const registry::Scopes& scopes,
                             const CancelToken* cancel);

}  // namespace promote::copy
