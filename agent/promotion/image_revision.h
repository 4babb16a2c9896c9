// The commit an image says it was built from: the OCI `org.opencontainers.image.revision`
// annotation of its manifests (the index's and each image's) and label of its configs, as
// docker buildx, ko and the OCI image spec write it. A promotion checks it against the commit it
// was asked to promote, so a SHA tag is not taken on trust (two commits can share a prefix).
#pragma once

#include <set>
#include <string>

#include "copy/image_walker.h"
#include "registry/registry_client.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::promotion {

inline constexpr std::string_view kRevisionKey = "org.opencontainers.image.revision";

// Every distinct revision the image's manifests and configs state (empty: none states one).
// Fetches each image manifest's config (bounded); a config that is not JSON states nothing.
Result<std::set<std::string>> ImageRevisions(registry::RegistryClient& client, const std::string& repository,
                                             const copy::ImageGraph& graph, const registry::Scopes& scopes,
                                             const CancelToken* cancel);

// Whether two commit SHAs (7-40 hex) can name the same commit: the shorter is a prefix of the
// longer.
bool SameCommit(const std::string& a, const std::string& b);

}  // namespace promote::promotion
