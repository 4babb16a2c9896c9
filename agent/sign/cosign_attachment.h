// The manifest cosign keeps beside an image at tag "sha256-<hex>.<suffix>" (.sig signatures,
// .att attestations): an OCI image manifest whose layers are the attachments, read from the
// registry and appended to without disturbing what is already there. See
// docs/cosign-format.md §2 and §6. There is no locking: concurrent appenders race, as with cosign.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/cosign_attachment_config.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "registry/registry_client.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::sign {

inline constexpr std::string_view kSignatureTagSuffix = "sig";
inline constexpr std::string_view kAttestationTagSuffix = "att";
inline constexpr std::string_view kSbomTagSuffix = "sbom";
using oci::kMaxAttachmentLayers;
// An append is a read-modify-write of one tag with no conditional PUT: callers read the tag back
// after appending and append again (at most this many times in all) when another writer replaced
// the manifest with one built from an older read, which dropped their layer.
inline constexpr int kMaxAppendAttempts = 4;

// "sha256-<hex>.<suffix>", e.g. AttachmentTag(d, kSignatureTagSuffix).
std::string AttachmentTag(const oci::Digest& subject, std::string_view suffix);

// One layer descriptor of an attachment manifest.
struct AttachmentLayer {
  std::string media_type;
  oci::Digest digest;
  int64_t size = 0;
  // String-valued annotations (cosign writes only strings; others are left out here but kept
  // in the stored manifest when appending).
  std::map<std::string, std::string> annotations;
};

// What an attachment tag holds now.
struct AttachmentManifest {
  std::string tag;
  std::optional<oci::Manifest> stored;  // nullopt when the tag does not exist yet
  std::vector<AttachmentLayer> layers;  // in manifest order
};

// GETs `tag` in `repo`. A missing tag (404 / MANIFEST_UNKNOWN) is an empty AttachmentManifest,
// not an error. An index, or layers without mediaType/digest/size, are kRegistryError naming the
// tag; network and auth failures are passed on.
Result<AttachmentManifest> ReadAttachmentManifest(registry::RegistryClient& client, const std::string& repo,
                                                  const std::string& tag, const registry::Scopes& scopes,
                                                  const CancelToken* cancel = nullptr);

// A layer to add: its blob and descriptor fields.
struct NewAttachmentLayer {
  std::string media_type;
  std::string blob;  // stored uncompressed, so digest == diff_id
  std::map<std::string, std::string> annotations;
};

// Uploads `layer.blob`, a config whose rootfs.diff_ids lists every layer (cosign's form), and PUTs
// the manifest back to current.tag: the stored manifest with its existing layer descriptors kept
// as they were and the new one appended. Refuses with kConflict when the manifest already has
// kMaxAttachmentLayers layers. `scopes` need pull and push on `repo`. Returns the new manifest's
// digest.
Result<oci::Digest> AppendAttachmentLayer(registry::RegistryClient& client, const std::string& repo,
                                          const AttachmentManifest& current, const NewAttachmentLayer& layer,
                                          const registry::Scopes& scopes,
                                          const CancelToken* cancel = nullptr);

}  // namespace promote::sign
