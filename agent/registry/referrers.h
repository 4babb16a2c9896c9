// OCI 1.1 referrers of a manifest (signatures, attestations, SBOMs that name it as `subject`),
// listed and pushed the same way whatever the registry supports: the referrers API
// (GET /v2/<name>/referrers/<digest>) when it has one, otherwise the referrers tag schema — an
// image index at tag "sha256-<hex>" that clients keep up to date themselves. See
// docs/cosign-format.md §7 and the OCI distribution spec 1.1.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "registry/registry_client.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::registry {

// One entry of a referrers index.
struct Referrer {
  std::string media_type;
  oci::Digest digest;
  int64_t size = 0;
  std::string artifact_type;
  std::map<std::string, std::string> annotations;  // string-valued ones
};

struct ReferrerList {
  std::vector<Referrer> referrers;
  bool from_api = false;  // false: read from the tag-schema fallback index
};

// The referrers of `subject` in `repo` whose artifactType is `artifact_type` (all when empty).
// Asks the API first; when the registry has none, reads the fallback index (a missing tag is an
// empty list). Entries without a valid digest are left out. Registry failures are passed on;
// a fallback tag holding something other than an index is kRegistryError naming it.
Result<ReferrerList> ListReferrers(RegistryClient& client, const std::string& repo, const oci::Digest& subject,
                                   const std::string& artifact_type, const Scopes& scopes,
                                   const CancelToken* cancel = nullptr);

struct PushedReferrer {
  bool via_api = false;          // the registry indexed it (answered OCI-Subject)
  bool fallback_updated = false;  // the fallback index gained this entry
  std::string fallback_tag;      // "sha256-<hex>" when the fallback was used
};

// PUTs `manifest` (an image manifest with `subject` and, usually, artifactType; its blobs
// already pushed) under its digest. When the registry does not answer OCI-Subject (it has no
// referrers API, as distribution 2.8), adds the manifest to the fallback index at the subject's "sha256-<hex>" tag:
// read, append {mediaType, digest, size, artifactType, annotations} unless already listed, write
// back, keeping every existing entry (held against other writers on this host with TagLock).
// kInvalidArgument for a manifest without subject; registry failures are passed on.
Result<PushedReferrer> PushReferrer(RegistryClient& client, const std::string& repo, const oci::Manifest& manifest,
                                    const Scopes& scopes, const CancelToken* cancel = nullptr);

}  // namespace promote::registry
