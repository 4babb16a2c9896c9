// ImageCopier: copies images between registries so that the target digest equals the source
// digest, always. Order: blobs, child manifests, the index, then tags — so a failure never
// leaves a tag pointing at an incomplete image. Tags that already name another digest are a
// conflict unless forced or declared mutable. Re-running is cheap: what exists is skipped.
// Several images can be copied in one call; they share the transfer pool and blob transfers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "copy/blob_copier.h"
#include "copy/copy_progress.h"
#include "copy/copy_report.h"
#include "copy/image_walker.h"
#include "copy/tag_writer.h"
#include "copy/transfer_pool.h"
#include "oci/reference.h"
#include "registry/registry_pool.h"
#include "util/cancel.h"

namespace promote::copy {

struct CopyRequest {
  oci::Reference source;  // tag or digest (or both: the digest wins)
  oci::Reference target;  // repository, optionally with a tag
};

struct CopyOptions {
  // Tags written at the target besides the target reference's own tag. Without any, the
  // source's tag is reused; a source given only by digest gets no tag.
  std::vector<std::string> tags;
  bool force = false;                      // move any existing tag
  std::vector<std::string> mutable_tags;   // tags that may move without force ("latest", "stage")
  int jobs = 8;                            // concurrent blob transfers
  int max_concurrent_images = 16;
  bool reuse_source_tag = true;            // no tags given: write the source's tag
  // Plan only: report what would be copied, mounted, skipped and tagged; write nothing.
  bool dry_run = false;
  // Carry the image's .sig/.att/.sbom tags and referrers along (copy/attachments.h).
  bool attachments = true;
  // Copy only these platforms of an index: the target gets a new index listing them
  // (SelectPlatforms in copy/image_walker.h), with its own digest, and the source index's
  // attachments stay behind (they name the source digest); its images keep theirs. A single
  // image must be of these platforms. Empty: the whole image.
  std::vector<oci::Platform> platforms;
  BlobCopyOptions blob;
  CopyProgress* progress = nullptr;
  const CancelToken* cancel = nullptr;
};

// The two ends of a copy: a client for each registry and the token scopes each side needs —
// pull at the source; pull and push at the target, plus pull on the source repository when one
// registry serves both (one token then covers a cross-repository mount).
struct CopyEndpoints {
  std::shared_ptr<registry::RegistryClient> source_client, target_client;
  BlobEndpoint source, target;  // their clients are the two above
};

// The endpoints for copying from `source` to `target` (their registry and repository).
Result<CopyEndpoints> OpenEndpoints(registry::RegistryPool& registries, const oci::Reference& source,
                                    const oci::Reference& target);

// Copy runs these steps, in order: OpenEndpoints; walk the source (WalkImage, then
// SelectPlatforms); plan its tags (PlanTags: conflicts are refused before anything is written);
// Transfer (CopyWalked); write the tags (WriteTags). A caller that walks the source and writes
// the tags itself — a promotion signs in between — runs the steps it needs.
class ImageCopier {
 public:
  ImageCopier(registry::RegistryPool* registries, CopyOptions options);

  // Copies every request, concurrently; one report per request, in order.
  std::vector<CopyReport> CopyAll(const std::vector<CopyRequest>& requests);
  CopyReport Copy(const CopyRequest& request);

  // The transfer step alone: the blobs, manifests (by digest) and, when options say so,
  // attachments of `graph`, walked at `ends.source`, into `ends.target`; no tags. In a dry run,
  // only what that would copy, mount and skip.
  CopyReport CopyWalked(const ImageGraph& graph, const CopyEndpoints& ends);

 private:
  template <typename Step>
  CopyReport Measured(std::string source, std::string target, Step step);
  Status CopyInto(const CopyRequest& request, CopyReport* report);
  Result<ImageGraph> WalkSource(const oci::Reference& source, const CopyEndpoints& ends, CopyReport* report);
  Status Transfer(const ImageGraph& graph, const CopyEndpoints& ends, CopyReport* report);
  Status PlanTransfer(const ImageGraph& graph, const CopyEndpoints& ends, CopyReport* report);
  Status CopyBlobs(const ImageGraph& graph, const CopyEndpoints& ends, CopyReport* report);
  Status CopyManifests(const ImageGraph& graph, const CopyEndpoints& ends, CopyReport* report);
  Result<bool> PutManifestIfMissing(const oci::Manifest& manifest, const BlobEndpoint& target);
  std::vector<std::string> TagsFor(const CopyRequest& request) const;

  registry::RegistryPool* const registries_;
  const CopyOptions options_;
  TransferPool pool_;
  BlobCopier blobs_;
};

}  // namespace promote::copy
