// Walking an image: fetch the manifest a reference resolves to and, for an index, every child
// manifest (nested indexes included), verifying each against its digest. The result is the
// complete set of manifests a copy must write, children before parents.
#pragma once

#include <optional>
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
  // A single image's platform, when its config says it.
  std::optional<oci::Platform> image_platform;
  // Set by SelectPlatforms when `root` is a new index cut from this one.
  std::optional<oci::Digest> subset_of;

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

// The part of `graph` that `wanted` platforms name. An index becomes the subset index
// (oci/index_subset.h) with only the manifests below its kept entries, and `subset_of` set — or
// stays as it is when every entry was kept. A single image must be of every wanted platform (its
// config's os/architecture) and is returned unchanged. Platforms the image lacks are
// kInvalidArgument naming them and the platforms it has. No platforms: `graph` unchanged.
Result<ImageGraph> SelectPlatforms(ImageGraph graph, const std::vector<oci::Platform>& wanted);

}  // namespace promote::copy
