// Media types of the manifests and artifacts promote handles.
#pragma once

#include <string_view>

namespace promote::oci::media_type {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";

// The Accept header for manifest requests: every type promote can copy byte-for-byte.
inline constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

inline bool IsIndex(std::string_view mt) { return mt == kOciIndex || mt == kDockerManifestList; }
inline bool IsImageManifest(std::string_view mt) { return mt == kOciManifest || mt == kDockerManifest; }
inline bool IsManifest(std::string_view mt) { return IsIndex(mt) || IsImageManifest(mt); }

// Layers that registries are not expected to hold (Windows foreign layers): never copied.
inline bool IsNonDistributable(std::string_view mt) {
  return mt.find("foreign") != std::string_view::npos || mt.find("nondistributable") != std::string_view::npos;
}

}  // namespace promote::oci::media_type
