// Two versions of one attachment tag ("sha256-<hex>.sig", ".att", a referrers fallback index) met
// in a copy: the target's, which may hold signatures and records written there, and the source's.
// Neither may be lost, so the target gets the union: its own manifest with what only the source has
// appended. Merging is pure JSON work here; copy/attachments.cc moves the blobs and writes.
#pragma once

#include <set>
#include <string>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "util/status.h"

namespace promote::copy {

struct AttachmentMerge {
  oci::Manifest manifest;  // the merged root to write under the tag
  // For an image manifest: the new config blob (its rootfs lists every layer, cosign's form).
  // Empty for an index, which has no config.
  std::string config;
  // The source's layers (image manifest) or manifests (index) the target lacked, now listed.
  std::set<oci::Digest> added;
};

// The target's manifest with the source's layers (image manifests: descriptors compared whole, so
// two signatures of one payload are both kept) or child manifests (indexes: by digest) that it
// lacks appended in the source's order. Everything else of the target is kept as it was.
// kConflict, saying why, where no union exists: an index against an image manifest, or more
// layers than cosign accepts (oci::kMaxAttachmentLayers). kInvalidArgument for JSON that is not
// an object. When the target already holds everything the source has, `added` is empty,
// `manifest` is the target's own and there is nothing to write.
Result<AttachmentMerge> MergeAttachment(const oci::Manifest& target, const oci::Manifest& source);

}  // namespace promote::copy
