// Cutting entries out of an index: the same index with only some of its `manifests`, to copy some
// platforms of a multi-platform image. The new index is the source's own bytes with the other
// entries removed (every other field, the entries' order and the formatting stay as they were),
// so the same subset of the same index always has the same bytes, and so the same digest.
#pragma once

#include <string>
#include <vector>

#include "oci/manifest.h"
#include "oci/platform.h"
#include "util/status.h"

namespace promote::oci {

struct IndexSubset {
  Manifest index;                      // the new index; the source's itself when every entry was kept
  std::vector<std::string> platforms;  // the kept entries' platforms, in index order
};

// Keeps the entries of `index` whose platform matches one of `wanted` (PlatformMatches) and the
// attestation manifests docker buildx lists for a kept entry (annotations
// vnd.docker.reference.type: attestation-manifest and vnd.docker.reference.digest). Every wanted
// platform must match an entry: otherwise kInvalidArgument naming the ones missing and the
// platforms the index has. Bytes that cannot be cut unambiguously (a duplicated `manifests` key,
// which parsers read differently) are kRegistryError.
Result<IndexSubset> SubsetIndex(const Manifest& index, const std::vector<Platform>& wanted);

}  // namespace promote::oci
