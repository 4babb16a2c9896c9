#include "copy/attachments.h"

#include <spdlog/spdlog.h>

#include <set>

#include "copy/attachment_merge.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "registry/referrers.h"
#include "registry/tag_lock.h"

namespace promote::copy {
namespace {

// The cosign tag suffixes, as in docs/cosign-format.md §2.
constexpr const char* kCosignSuffixes[] = {"sig", "att", "sbom"};
// Attachments are small artifacts; an index of them nests one level at most in practice.
constexpr int kMaxArtifactDepth = 2;

// An artifact as fetched from the source: the manifest and, for an index, its children
// (children before the index that lists them).
struct Artifact {
  oci::Manifest root;
  std::vector<oci::Manifest> children;
};

class AttachmentCarrier {
 public:
  AttachmentCarrier(BlobCopier& blobs, const BlobEndpoint& source, const BlobEndpoint& target,
                    AttachmentCounts* counts, const CancelToken* cancel)
      : blobs_(blobs), source_(source), target_(target), counts_(counts), cancel_(cancel) {}

  // Only tags the source lists are fetched: one tag listing replaces a GET per possible tag.
  void SetSourceTags(std::set<std::string> tags) { source_tags_ = std::move(tags); }

  Status CarrySubject(const oci::Digest& subject) {
    for (const char* suffix : kCosignSuffixes) {
      std::string tag = subject.TagForm() + "." + suffix;
      if (source_tags_.count(tag) != 0) PROMOTE_RETURN_IF_ERROR(CarryTag(tag));
    }
    // The referrers tag-schema fallback index.
    if (source_tags_.count(subject.TagForm()) != 0) PROMOTE_RETURN_IF_ERROR(CarryTag(subject.TagForm()));
    PROMOTE_ASSIGN_OR_RETURN(
        auto referrers, source_.client->GetReferrers(source_.repository, subject, source_.scopes, cancel_));
    if (referrers) {
      for (const auto& d : referrers->children) PROMOTE_RETURN_IF_ERROR(CarryByDigest(d.digest));
    }
    return OkStatus();
  }

 private:
  // The artifact at `identifier` in the source repository; nullopt when it does not exist.
  Result<std::optional<Artifact>> Fetch(const std::string& identifier) {
    auto root = source_.client->GetManifest(source_.repository, identifier, source_.scopes, cancel_);
    if (!root.ok()) {
      if (root.status().code() == Code::kNotFound) return std::optional<Artifact>();
      return root.status();
    }
    Artifact artifact{std::move(*root), {}};
    PROMOTE_RETURN_IF_ERROR(FetchChildren(artifact.root, 1, &artifact));
    return std::optional<Artifact>(std::move(artifact));
  }

  Status FetchChildren(const oci::Manifest& index, int depth, Artifact* artifact) {
    if (!index.is_index()) return OkStatus();
    if (depth > kMaxArtifactDepth) {
      return RegistryError("attachment index " + index.digest.str() + " nests deeper than " +
                           std::to_string(kMaxArtifactDepth) + " levels");
    }
    for (const auto& child : index.children) {
      PROMOTE_ASSIGN_OR_RETURN(
          oci::Manifest m,
          source_.client->GetManifest(source_.repository, child.digest.str(), source_.scopes, cancel_));
      PROMOTE_RETURN_IF_ERROR(FetchChildren(m, depth + 1, artifact));
      artifact->children.push_back(std::move(m));
    }
    return OkStatus();
  }

  Status CopyBlobsOf(const oci::Manifest& m) {
    for (const auto& b : m.Blobs()) {
      if (oci::media_type::IsNonDistributable(b.media_type)) continue;
      blobs_.Plan(b);
      PROMOTE_RETURN_IF_ERROR(blobs_.Copy(source_, target_, b).status());
    }
    return OkStatus();
  }

  // Blobs, then children by digest, then the root under `put_as` (a tag or its digest).
  Status Write(const Artifact& artifact, const std::string& put_as) {
    for (const auto& c : artifact.children) {
      PROMOTE_RETURN_IF_ERROR(CopyBlobsOf(c));
      PROMOTE_ASSIGN_OR_RETURN(auto head, target_.client->HeadManifest(target_.repository, c.digest.str(),
                                                                       target_.scopes, cancel_));
      if (!head) {
        PROMOTE_RETURN_IF_ERROR(
            target_.client->PutManifest(target_.repository, c.digest.str(), c, target_.scopes, cancel_));
      }
      done_.insert(c.digest);
    }
    PROMOTE_RETURN_IF_ERROR(CopyBlobsOf(artifact.root));
    PROMOTE_RETURN_IF_ERROR(
        target_.client->PutManifest(target_.repository, put_as, artifact.root, target_.scopes, cancel_));
    done_.insert(artifact.root.digest);
    return OkStatus();
  }

  // What the source adds to the target's version of a tag: the added layers' blobs (or the added
  // child manifests), the merged manifest's new config, then the merged manifest under the tag.
  Status WriteMerged(const Artifact& artifact, const AttachmentMerge& merge, const std::string& tag) {
    for (const auto& layer : artifact.root.layers) {
      if (merge.added.count(layer.digest) == 0 || oci::media_type::IsNonDistributable(layer.media_type))
        continue;
      blobs_.Plan(layer);
      PROMOTE_RETURN_IF_ERROR(blobs_.Copy(source_, target_, layer).status());
    }
    for (const auto& c : artifact.children) {
      if (merge.added.count(c.digest) == 0) continue;
      PROMOTE_RETURN_IF_ERROR(Write({c, {}}, c.digest.str()));
    }
    if (!merge.config.empty()) {
      PROMOTE_RETURN_IF_ERROR(
          target_.client->PushBlobBytes(target_.repository, merge.config, target_.scopes, cancel_));
    }
    PROMOTE_RETURN_IF_ERROR(
        target_.client->PutManifest(target_.repository, tag, merge.manifest, target_.scopes, cancel_));
    for (const auto& c : artifact.children) done_.insert(c.digest);
    done_.insert(artifact.root.digest);
    done_.insert(merge.manifest.digest);
    return OkStatus();
  }

  Status CarryTag(const std::string& tag) {
    PROMOTE_ASSIGN_OR_RETURN(std::optional<Artifact> artifact, Fetch(tag));
    if (!artifact) return OkStatus();
    // From the check to the write, as signers and recorders appending to the same tag do, so a
    // signature or record appended on this host at that moment is not replaced.
    PROMOTE_ASSIGN_OR_RETURN(
        registry::TagLock lock,
        registry::TagLock::Acquire(target_.client->host(), target_.repository, {tag}, cancel_));
    PROMOTE_ASSIGN_OR_RETURN(auto head,
                             target_.client->HeadManifest(target_.repository, tag, target_.scopes, cancel_));
    if (head && head->digest == artifact->root.digest) {
      counts_->skipped++;
      for (const auto& c : artifact->children) done_.insert(c.digest);
      return OkStatus();
    }
    if (head) {
      PROMOTE_ASSIGN_OR_RETURN(oci::Manifest existing,
                               target_.client->GetManifest(target_.repository, tag, target_.scopes, cancel_));
      auto merge = MergeAttachment(existing, artifact->root);
      if (merge.ok() && merge->added.empty()) {  // a re-run after the target added its own
        counts_->skipped++;
        for (const auto& c : artifact->children) done_.insert(c.digest);
        return OkStatus();
      }
      if (!merge.ok()) {
        counts_->conflicts.push_back({tag, "the target's " + existing.digest.str() + " and the source's " +
                                               artifact->root.digest.str() + ": " + merge.status().message() +
                                               "; the target's is kept, so no signature there is lost"});
        spdlog::warn("attachment {}:{} differs at the target and could not be merged", target_.repository,
                     tag);
        return OkStatus();
      }
      PROMOTE_RETURN_IF_ERROR(WriteMerged(*artifact, *merge, tag));
      counts_->merged++;
      return OkStatus();
    }
    PROMOTE_RETURN_IF_ERROR(Write(*artifact, tag));
    counts_->copied++;
    return OkStatus();
  }

  Status CarryByDigest(const oci::Digest& digest) {
    if (!done_.insert(digest).second) return OkStatus();
    PROMOTE_ASSIGN_OR_RETURN(
        auto head, target_.client->HeadManifest(target_.repository, digest.str(), target_.scopes, cancel_));
    if (head) {
      counts_->skipped++;
      return OkStatus();
    }
    PROMOTE_ASSIGN_OR_RETURN(std::optional<Artifact> artifact, Fetch(digest.str()));
    if (!artifact) {
      return RegistryError("referrer " + digest.str() + " listed by " + source_.client->host() + "/" +
                           source_.repository + " does not exist there");
    }
    if (!artifact->root.subject || !artifact->children.empty()) {
      PROMOTE_RETURN_IF_ERROR(Write(*artifact, digest.str()));
    } else {
      // Pushed as a referrer, so a target without the referrers API lists it in its fallback index.
      PROMOTE_RETURN_IF_ERROR(CopyBlobsOf(artifact->root));
      PROMOTE_RETURN_IF_ERROR(
          registry::PushReferrer(*target_.client, target_.repository, artifact->root, target_.scopes, cancel_).status());
    }
    counts_->copied++;
    return OkStatus();
  }

  BlobCopier& blobs_;
  const BlobEndpoint& source_;
  const BlobEndpoint& target_;
  AttachmentCounts* counts_;
  const CancelToken* cancel_;
  std::set<oci::Digest> done_;
  std::set<std::string> source_tags_;
};

}  // namespace

Status CopyAttachments(BlobCopier& blobs, const BlobEndpoint& source, const BlobEndpoint& target,
                       const std::vector<oci::Digest>& subjects, AttachmentCounts* counts,
                       const CancelToken* cancel) {
  AttachmentCarrier carrier(blobs, source, target, counts, cancel);
  PROMOTE_ASSIGN_OR_RETURN(auto tags, source.client->ListTags(source.repository, source.scopes, cancel));
  carrier.SetSourceTags(std::set<std::string>(tags.begin(), tags.end()));
  for (const auto& subject : subjects) {
    if (cancel != nullptr && cancel->cancelled())
      return Status(Code::kCancelled, "cancelled while copying attachments");
    PROMOTE_RETURN_IF_ERROR(carrier.CarrySubject(subject));
  }
  if (counts->conflicts.empty()) return OkStatus();
  std::string msg = "attachments at the target differ from the source's and cannot be merged:";
  for (const auto& c : counts->conflicts) msg += " " + c.tag + " (" + c.reason + ")";
  msg += "; delete the target's tag to take the source's, or leave the attachments behind";
  return Status(Code::kConflict, msg);
}

}  // namespace promote::copy
