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

class ImageCopier {
 public:
  ImageCopier(registry::RegistryPool* registries, CopyOptions options);

  // Copies every request, concurrently; one report per request, in order.
  std::vector<CopyReport> CopyAll(const std::vector<CopyRequest>& requests);
  CopyReport Copy(const CopyRequest& request);

 private:
  Status CopyInto(const CopyRequest& request, CopyReport* report);
  Status PlanInto(const ImageGraph& graph, registry::RegistryClient& src, const BlobEndpoint& source,
                  registry::RegistryClient& dst, const BlobEndpoint& target, const TagOutcome& tags,
                  CopyReport* report);
  std::vector<std::string> TagsFor(const CopyRequest& request) const;

  registry::RegistryPool* const registries_;
  const CopyOptions options_;
  TransferPool pool_;
  BlobCopier blobs_;
};

}  // namespace promote::copy
