#include "copy/image_copier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <semaphore>
#include <thread>

#include "copy/attachments.h"
#include "copy/image_walker.h"
#include "util/log_context.h"

namespace promote::copy {
namespace {

using registry::RepositoryScope;

// Waits for every future, returning the first error (all are awaited so no task outlives
// the data it references).
template <typename T>
Status WaitAll(std::vector<std::future<T>>& futures, std::vector<T>* results = nullptr) {
  Status first;
  for (auto& f : futures) {
    T r = f.get();
    if constexpr (std::is_same_v<T, Status>) {
      if (!r.ok() && first.ok()) first = r;
    } else {
      if (!r.ok() && first.ok()) first = r.status();
    }
    if (results != nullptr) results->push_back(std::move(r));
  }
  return first;
}

AttachmentNotCarried NotCarriedForSubset(const oci::Digest& source_index) {
  return {source_index.str(),
          "signatures, attestations and referrers of the source index (" + source_index.TagForm() +
              ".sig/.att/.sbom) name its digest, not the subset's; the platform images keep theirs. Sign the "
              "subset at the target if it needs a signature of its own"};
}

}  // namespace

ImageCopier::ImageCopier(registry::RegistryPool* registries, CopyOptions options)
    : registries_(registries),
      options_(std::move(options)),
      pool_(options_.jobs),
      blobs_(options_.blob, options_.progress, options_.cancel) {}

std::vector<std::string> ImageCopier::TagsFor(const CopyRequest& request) const {
  std::vector<std::string> tags;
  if (!request.target.tag.empty()) tags.push_back(request.target.tag);
  for (const auto& t : options_.tags) {
    if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
  }
  if (tags.empty() && options_.reuse_source_tag && !request.source.tag.empty())
    tags.push_back(request.source.tag);
  return tags;
}

std::vector<CopyReport> ImageCopier::CopyAll(const std::vector<CopyRequest>& requests) {
  std::vector<CopyReport> reports(requests.size());
  if (requests.size() == 1) {
    reports[0] = Copy(requests[0]);
    return reports;
  }
  std::counting_semaphore<256> slots(std::clamp(options_.max_concurrent_images, 1, 256));
  std::vector<std::thread> threads;
  threads.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    slots.acquire();
    threads.emplace_back([&, i, request_id = CurrentRequestId()] {
      ScopedRequestId scope(request_id);  // this thread's log lines name the call it works for
      reports[i] = Copy(requests[i]);
      slots.release();
    });
  }
  for (auto& t : threads) t.join();
  return reports;
}

CopyReport ImageCopier::Copy(const CopyRequest& request) {
  auto start = std::chrono::steady_clock::now();
  // Counted here, not in CopyAll: a promotion copies its one image through Copy.
  if (options_.progress != nullptr) options_.progress->images_total++;
  CopyReport report;
  report.source = request.source.str();
  report.target = request.target.str();
  report.status = CopyInto(request, &report);
  report.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (options_.progress != nullptr) options_.progress->images_done++;
  return report;
}

Status ImageCopier::CopyInto(const CopyRequest& request, CopyReport* report) {
  const CancelToken* cancel = options_.cancel;
  const auto& src_ref = request.source;
  const auto& dst_ref = request.target;
  std::vector<std::string> tags = TagsFor(request);
  for (const auto& t : tags) {
    if (auto st = oci::ValidateTag(t); !st.ok()) return st;
  }

  PROMOTE_ASSIGN_OR_RETURN(auto src, registries_->Get(src_ref.registry, src_ref.repository));
  PROMOTE_ASSIGN_OR_RETURN(auto dst, registries_->Get(dst_ref.registry, dst_ref.repository));
  BlobEndpoint source{src.get(), src_ref.repository, {RepositoryScope(src_ref.repository, "pull")}};
  BlobEndpoint target{dst.get(), dst_ref.repository, {RepositoryScope(dst_ref.repository, "pull,push")}};
  if (src == dst && src_ref.repository != dst_ref.repository) {
    // One token for the mount: push+pull on the target and pull on the source.
    target.scopes.push_back(RepositoryScope(src_ref.repository, "pull"));
  }

  PROMOTE_ASSIGN_OR_RETURN(ImageGraph graph, WalkImage(*src, src_ref.repository, src_ref.Identifier(), source.scopes,
                                                       cancel));
  if (src_ref.digest && *src_ref.digest != graph.root.digest) {
    return DataLoss("source " + src_ref.str() + " resolved to " + graph.root.digest.str());
  }
  report->source_digest = graph.root.digest.str();
  PROMOTE_ASSIGN_OR_RETURN(graph, SelectPlatforms(std::move(graph), options_.platforms));
  const oci::Digest digest = graph.root.digest;
  report->digest = digest.str();
  if (graph.subset_of) report->subset_of = graph.subset_of->str();
  report->media_type = graph.root.media_type;
  report->platforms = graph.platforms;
  report->target = dst_ref.WithDigest(digest).str();

  TagPolicy tag_policy{options_.force, options_.mutable_tags};
  // Refuse conflicts before writing anything.
  PROMOTE_ASSIGN_OR_RETURN(TagOutcome planned, PlanTags(*dst, dst_ref.repository, digest, tags, tag_policy,
                                                        target.scopes, cancel));
  if (!planned.refused.empty()) {
    report->tags_refused = planned.refused;
    return Status(Code::kConflict, planned.first_conflict);
  }
  if (options_.dry_run) return PlanInto(graph, *src, source, *dst, target, planned, report);

  // 1. Blobs.
  std::vector<oci::Descriptor> blobs = graph.UniqueBlobs();
  for (const auto& b : blobs) blobs_.Plan(b);
  std::vector<std::future<Result<BlobOutcome>>> blob_futures;
  for (const auto& b : blobs) {
    blob_futures.push_back(
        pool_.Submit([this, &source, &target, b] { return blobs_.Copy(source, target, b); }));
  }
  std::vector<Result<BlobOutcome>> outcomes;
  Status blob_status = WaitAll(blob_futures, &outcomes);
  if (!blob_status.ok()) return blob_status;
  for (size_t i = 0; i < blobs.size(); ++i) {
    switch (*outcomes[i]) {
      case BlobOutcome::kCopied:
        report->blobs.copied++;
        report->blob_bytes.copied += blobs[i].size;
        break;
      case BlobOutcome::kMounted:
        report->blobs.mounted++;
        report->blob_bytes.mounted += blobs[i].size;
        break;
      case BlobOutcome::kSkipped:
        report->blobs.skipped++;
        report->blob_bytes.skipped += blobs[i].size;
        break;
    }
  }

  // 2. Manifests below the root (children first), then the root, each by digest.
  auto put_if_missing = [&](const oci::Manifest& m) -> Result<bool> {
    PROMOTE_ASSIGN_OR_RETURN(auto head,
                             dst->HeadManifest(dst_ref.repository, m.digest.str(), target.scopes, cancel));
    if (head) return false;
    Status put = dst->PutManifest(dst_ref.repository, m.digest.str(), m, target.scopes, cancel);
    // Another writer committing the same blob at the same moment can make a registry briefly
    // report a blob we saw as present as unknown (distribution's filesystem driver rewrites the
    // blob's link). When every blob is there by HEAD, that refusal is transient: try again.
    for (int attempt = 1; !put.ok() && attempt <= 3 && put.code() != Code::kCancelled; ++attempt) {
      if (put.code() != Code::kDataLoss && put.code() != Code::kRegistryError) break;
      bool all_present = true;
      for (const auto& b : m.Blobs()) {
        PROMOTE_ASSIGN_OR_RETURN(bool exists,
                                 dst->BlobExists(dst_ref.repository, b.digest, target.scopes, cancel));
        all_present = all_present && exists;
      }
      if (!all_present) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
      put = dst->PutManifest(dst_ref.repository, m.digest.str(), m, target.scopes, cancel);
    }
    PROMOTE_RETURN_IF_ERROR(put);
    if (options_.progress != nullptr) options_.progress->manifests_done++;
    return true;
  };
  // Image manifests do not depend on each other: write them concurrently. Nested indexes
  // follow in order, as each needs its children present.
  std::vector<std::future<Result<bool>>> leaf_futures;
  for (const auto& m : graph.children) {
    if (!m.is_index())
      leaf_futures.push_back(pool_.Submit([&put_if_missing, &m] { return put_if_missing(m); }));
  }
  std::vector<Result<bool>> leaf_results;
  PROMOTE_RETURN_IF_ERROR(WaitAll(leaf_futures, &leaf_results));
  for (const auto& r : leaf_results) (*r ? report->manifests_copied : report->manifests_skipped)++;
  for (const auto& m : graph.children) {
    if (!m.is_index()) continue;
    PROMOTE_ASSIGN_OR_RETURN(bool written, put_if_missing(m));
    (written ? report->manifests_copied : report->manifests_skipped)++;
  }
  PROMOTE_ASSIGN_OR_RETURN(bool root_written, put_if_missing(graph.root));
  (root_written ? report->manifests_copied : report->manifests_skipped)++;

  // Signatures, attestations, SBOMs and referrers come before any tag, so a tag never names
  // an image whose signatures have not arrived yet.
  // A subset index is new: nothing at the source is attached to it, and what is attached to the
  // index it was cut from signs that digest, not this one.
  if (options_.attachments) {
    std::vector<oci::Digest> subjects;
    if (!graph.subset_of) subjects.push_back(digest);
    for (const auto& m : graph.children) subjects.push_back(m.digest);
    PROMOTE_RETURN_IF_ERROR(CopyAttachments(blobs_, source, target, subjects, &report->attachments, cancel));
    if (graph.subset_of) report->attachments.not_carried.push_back(NotCarriedForSubset(*graph.subset_of));
  }

  // 3. Tags, last of all.
  TagOutcome written;
  Status tag_status =
      WriteTags(*dst, dst_ref.repository, graph.root, tags, tag_policy, target.scopes, cancel, &written);
  report->tags_written = written.written;
  report->tags_unchanged = written.unchanged;
  report->tags_moved = written.moved;
  report->tags_refused = written.refused;
  return tag_status;
}

Status ImageCopier::PlanInto(const ImageGraph& graph, registry::RegistryClient& src,
                             const BlobEndpoint& source, registry::RegistryClient& dst,
                             const BlobEndpoint& target, const TagOutcome& tags, CopyReport* report) {
  const CancelToken* cancel = options_.cancel;
  report->dry_run = true;
  for (const auto& b : graph.UniqueBlobs()) {
    PROMOTE_ASSIGN_OR_RETURN(bool exists, dst.BlobExists(target.repository, b.digest, target.scopes, cancel));
    if (exists) {
      report->blobs.skipped++;
      report->blob_bytes.skipped += b.size;
    } else if (&src == &dst && source.repository != target.repository) {
      report->blobs.mounted++;
      report->blob_bytes.mounted += b.size;
    } else {
      report->blobs.copied++;
      report->blob_bytes.copied += b.size;
    }
  }
  std::vector<const oci::Manifest*> manifests;
  for (const auto& c : graph.children) manifests.push_back(&c);
  manifests.push_back(&graph.root);
  for (const auto* m : manifests) {
    PROMOTE_ASSIGN_OR_RETURN(auto head,
                             dst.HeadManifest(target.repository, m->digest.str(), target.scopes, cancel));
    (head ? report->manifests_skipped : report->manifests_copied)++;
  }
  if (options_.attachments && graph.subset_of) {
    report->attachments.not_carried.push_back(NotCarriedForSubset(*graph.subset_of));
  }
  report->tags_written = tags.written;
  report->tags_unchanged = tags.unchanged;
  report->tags_moved = tags.moved;
  return OkStatus();
}

}  // namespace promote::copy
