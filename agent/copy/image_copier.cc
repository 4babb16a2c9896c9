#include "copy/image_copier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <semaphore>
#include <thread>

#include "copy/attachments.h"
#include "copy/image_walker.h"
#include "registry/retry.h"
#include "util/log_context.h"

namespace promote::copy {
namespace {

using registry::RepositoryScope;

// A manifest PUT refused while its blobs are all there: three more tries, about 0.2, 0.4 and 0.8 s
// apart.
const registry::RetryPolicy kManifestPutRetry{.max_attempts = 4,
                                              .initial_backoff = std::chrono::milliseconds(200),
                                              .max_backoff = std::chrono::milliseconds(800)};

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

Result<CopyEndpoints> OpenEndpoints(registry::RegistryPool& registries, const oci::Reference& source,
                                    const oci::Reference& target) {
  CopyEndpoints ends;
  PROMOTE_ASSIGN_OR_RETURN(ends.source_client, registries.Get(source.registry, source.repository));
  PROMOTE_ASSIGN_OR_RETURN(ends.target_client, registries.Get(target.registry, target.repository));
  ends.source = {ends.source_client.get(), source.repository, {RepositoryScope(source.repository, "pull")}};
  ends.target = {ends.target_client.get(), target.repository, {RepositoryScope(target.repository, "pull,push")}};
  if (ends.source_client == ends.target_client && source.repository != target.repository) {
    // One token for the mount: push+pull on the target and pull on the source.
    ends.target.scopes.push_back(RepositoryScope(source.repository, "pull"));
  }
  return ends;
}

template <typename Step>
CopyReport ImageCopier::Measured(std::string source, std::string target, Step step) {
  auto start = std::chrono::steady_clock::now();
  // Counted here, not in CopyAll: a promotion copies its one image through CopyWalked.
  if (options_.progress != nullptr) options_.progress->images_total++;
  CopyReport report;
  report.source = std::move(source);
  report.target = std::move(target);
  report.status = step(&report);
  report.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (options_.progress != nullptr) options_.progress->images_done++;
  return report;
}

CopyReport ImageCopier::Copy(const CopyRequest& request) {
  return Measured(request.source.str(), request.target.str(),
                  [&](CopyReport* report) { return CopyInto(request, report); });
}

CopyReport ImageCopier::CopyWalked(const ImageGraph& graph, const CopyEndpoints& ends) {
  return Measured(ends.source.repository + "@" + (graph.subset_of ? *graph.subset_of : graph.root.digest).str(),
                  ends.target.repository + "@" + graph.root.digest.str(),
                  [&](CopyReport* report) { return Transfer(graph, ends, report); });
}

Status ImageCopier::CopyInto(const CopyRequest& request, CopyReport* report) {
  std::vector<std::string> tags = TagsFor(request);
  for (const auto& t : tags) {
    if (auto st = oci::ValidateTag(t); !st.ok()) return st;
  }
  PROMOTE_ASSIGN_OR_RETURN(CopyEndpoints ends, OpenEndpoints(*registries_, request.source, request.target));
  PROMOTE_ASSIGN_OR_RETURN(ImageGraph graph, WalkSource(request.source, ends, report));
  const oci::Digest digest = graph.root.digest;
  report->target = request.target.WithDigest(digest).str();

  TagPolicy tag_policy{options_.force, options_.mutable_tags};
  // Refuse conflicts before writing anything.
  PROMOTE_ASSIGN_OR_RETURN(TagOutcome planned, PlanTags(*ends.target_client, ends.target.repository, digest, tags,
                                                        tag_policy, ends.target.scopes, options_.cancel));
  if (!planned.refused.empty()) {
    report->tags_refused = planned.refused;
    return Status(Code::kConflict, planned.first_conflict);
  }
  PROMOTE_RETURN_IF_ERROR(Transfer(graph, ends, report));
  // Tags, last of all.
  TagOutcome written = planned;
  Status tag_status = OkStatus();
  if (!options_.dry_run) {
    written = TagOutcome();
    tag_status = WriteTags(*ends.target_client, ends.target.repository, graph.root, tags, tag_policy,
                           ends.target.scopes, options_.cancel, &written);
    report->tags_refused = written.refused;
  }
  report->tags_written = written.written;
  report->tags_unchanged = written.unchanged;
  report->tags_moved = written.moved;
  return tag_status;
}

// Walks the source and cuts the platforms the options name; the report says what was found.
Result<ImageGraph> ImageCopier::WalkSource(const oci::Reference& source, const CopyEndpoints& ends,
                                           CopyReport* report) {
  PROMOTE_ASSIGN_OR_RETURN(ImageGraph graph, WalkImage(*ends.source_client, source.repository, source.Identifier(),
                                                       ends.source.scopes, options_.cancel));
  if (source.digest && *source.digest != graph.root.digest) {
    return DataLoss("source " + source.str() + " resolved to " + graph.root.digest.str());
  }
  report->source_digest = graph.root.digest.str();
  PROMOTE_ASSIGN_OR_RETURN(graph, SelectPlatforms(std::move(graph), options_.platforms));
  report->digest = graph.root.digest.str();
  if (graph.subset_of) report->subset_of = graph.subset_of->str();
  report->media_type = graph.root.media_type;
  report->platforms = graph.platforms;
  return graph;
}

Status ImageCopier::Transfer(const ImageGraph& graph, const CopyEndpoints& ends, CopyReport* report) {
  if (options_.dry_run) return PlanTransfer(graph, ends, report);
  PROMOTE_RETURN_IF_ERROR(CopyBlobs(graph, ends, report));
  PROMOTE_RETURN_IF_ERROR(CopyManifests(graph, ends, report));
  // Signatures, attestations, SBOMs and referrers come before any tag, so a tag never names
  // an image whose signatures have not arrived yet.
  // A subset index is new: nothing at the source is attached to it, and what is attached to the
  // index it was cut from signs that digest, not this one.
  if (options_.attachments) {
    std::vector<oci::Digest> subjects;
    if (!graph.subset_of) subjects.push_back(graph.root.digest);
    for (const auto& m : graph.children) subjects.push_back(m.digest);
    PROMOTE_RETURN_IF_ERROR(
        CopyAttachments(blobs_, ends.source, ends.target, subjects, &report->attachments, options_.cancel));
    if (graph.subset_of) report->attachments.not_carried.push_back(NotCarriedForSubset(*graph.subset_of));
  }
  return OkStatus();
}

Status ImageCopier::CopyBlobs(const ImageGraph& graph, const CopyEndpoints& ends, CopyReport* report) {
  std::vector<oci::Descriptor> blobs = graph.UniqueBlobs();
  for (const auto& b : blobs) blobs_.Plan(b);
  std::vector<std::future<Result<BlobOutcome>>> blob_futures;
  for (const auto& b : blobs) {
    blob_futures.push_back(pool_.Submit([this, &ends, b] { return blobs_.Copy(ends.source, ends.target, b); }));
  }
  std::vector<Result<BlobOutcome>> outcomes;
  PROMOTE_RETURN_IF_ERROR(WaitAll(blob_futures, &outcomes));
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
  return OkStatus();
}

// Manifests below the root (children first), then the root, each by digest.
Status ImageCopier::CopyManifests(const ImageGraph& graph, const CopyEndpoints& ends, CopyReport* report) {
  const BlobEndpoint& target = ends.target;
  // Image manifests do not depend on each other: write them concurrently. Nested indexes
  // follow in order, as each needs its children present.
  std::vector<std::future<Result<bool>>> leaf_futures;
  for (const auto& m : graph.children) {
    if (!m.is_index()) leaf_futures.push_back(pool_.Submit([this, &target, &m] { return PutManifestIfMissing(m, target); }));
  }
  std::vector<Result<bool>> leaf_results;
  PROMOTE_RETURN_IF_ERROR(WaitAll(leaf_futures, &leaf_results));
  for (const auto& r : leaf_results) (*r ? report->manifests_copied : report->manifests_skipped)++;
  for (const auto& m : graph.children) {
    if (!m.is_index()) continue;
    PROMOTE_ASSIGN_OR_RETURN(bool written, PutManifestIfMissing(m, target));
    (written ? report->manifests_copied : report->manifests_skipped)++;
  }
  PROMOTE_ASSIGN_OR_RETURN(bool root_written, PutManifestIfMissing(graph.root, target));
  (root_written ? report->manifests_copied : report->manifests_skipped)++;
  return OkStatus();
}

// Whether the manifest was written (false: the target had it).
Result<bool> ImageCopier::PutManifestIfMissing(const oci::Manifest& m, const BlobEndpoint& target) {
  const CancelToken* cancel = options_.cancel;
  registry::RegistryClient& dst = *target.client;
  PROMOTE_ASSIGN_OR_RETURN(auto head, dst.HeadManifest(target.repository, m.digest.str(), target.scopes, cancel));
  if (head) return false;
  // Another writer committing the same blob at the same moment can make a registry briefly
  // report a blob we saw as present as unknown (distribution's filesystem driver rewrites the
  // blob's link). When every blob is there by HEAD, that refusal is transient: try again.
  auto blobs_all_present = [&](const Status& put) -> Result<bool> {
    if (put.code() != Code::kDataLoss && put.code() != Code::kRegistryError) return false;
    for (const auto& b : m.Blobs()) {
      PROMOTE_ASSIGN_OR_RETURN(bool exists, dst.BlobExists(target.repository, b.digest, target.scopes, cancel));
      if (!exists) return false;
    }
    return true;
  };
  Status put = registry::RetryTransient(
      kManifestPutRetry, cancel, [&] { return dst.PutManifest(target.repository, m.digest.str(), m, target.scopes, cancel); },
      blobs_all_present);
  PROMOTE_RETURN_IF_ERROR(put);
  if (options_.progress != nullptr) options_.progress->manifests_done++;
  return true;
}

// What Transfer would do, from HEAD requests only.
Status ImageCopier::PlanTransfer(const ImageGraph& graph, const CopyEndpoints& ends, CopyReport* report) {
  const CancelToken* cancel = options_.cancel;
  const BlobEndpoint& target = ends.target;
  report->dry_run = true;
  for (const auto& b : graph.UniqueBlobs()) {
    PROMOTE_ASSIGN_OR_RETURN(bool exists, target.client->BlobExists(target.repository, b.digest, target.scopes, cancel));
    if (exists) {
      report->blobs.skipped++;
      report->blob_bytes.skipped += b.size;
    } else if (ends.source_client == ends.target_client && ends.source.repository != target.repository) {
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
    PROMOTE_ASSIGN_OR_RETURN(auto head, target.client->HeadManifest(target.repository, m->digest.str(), target.scopes, cancel));
    (head ? report->manifests_skipped : report->manifests_copied)++;
  }
  if (options_.attachments && graph.subset_of) {
    report->attachments.not_carried.push_back(NotCarriedForSubset(*graph.subset_of));
  }
  return OkStatus();
}

}  // namespace promote::copy
