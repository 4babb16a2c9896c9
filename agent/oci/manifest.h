// The manifest model: an image manifest or an index parsed for what a copy needs (its child
// descriptors), while the exact bytes stay alongside so they can be pushed unchanged.
// Nothing here ever re-serialises a manifest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "oci/platform.h"
#include "util/status.h"

namespace promote::oci {

// Manifests and indexes larger than this are refused (the OCI distribution spec's recommended
// limit, also crane's and oras's).
inline constexpr size_t kMaxManifestBytes = 4 * 1024 * 1024;

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::optional<Platform> platform;  // only for index entries
  std::string artifact_type;
};

// A manifest as served by a registry: its exact bytes, their digest and what it points to.
struct Manifest {
  std::string bytes;
  Digest digest;
  std::string media_type;
  // Image manifest: config and layers. Index: the child manifests.
  std::optional<Descriptor> config;
  std::vector<Descriptor> layers;
  std::vector<Descriptor> children;
  std::optional<Descriptor> subject;

  bool is_index() const;
  // Every blob an image manifest references: config first, then layers.
  std::vector<Descriptor> Blobs() const;
};

// Parses manifest bytes. `content_type` is the registry's Content-Type (may be empty or generic);
// when it is not a manifest type the JSON's mediaType field and then its shape decide.
// Refuses oversize input, JSON nested deeper than kMaxJsonNesting (util/json_nesting.h), schema 1
// manifests and malformed JSON with kInvalidArgument
// (kRegistryError semantics are the caller's business).
Result<Manifest> ParseManifest(std::string bytes, std::string_view content_type);

}  // namespace promote::oci
