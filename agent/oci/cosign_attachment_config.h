// The image config go-containerregistry, and so cosign, writes for an artifact that is nothing but
// layers: the attachment manifests at "sha256-<hex>.sig/.att" tags (docs/cosign-format.md §2).
// Nobody verifies it, but it must exist and list every layer's diff_id, so whoever appends a layer
// (a signer) or merges two such manifests (a copy) writes a new one.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace promote::oci {

// cosign refuses attachment manifests with more layers than this.
inline constexpr size_t kMaxAttachmentLayers = 1000;

// The config's JSON for layers whose diff_ids (uncompressed digests, which for attachments are
// the layer digests) are `diff_ids`, in manifest order.
std::string CosignAttachmentConfig(const std::vector<std::string>& diff_ids);

}  // namespace promote::oci
