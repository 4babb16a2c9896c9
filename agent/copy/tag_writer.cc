#include "copy/tag_writer.h"

#include <algorithm>

#include "registry/tag_lock.h"

namespace promote::copy {
namespace {

std::string ConflictMessage(const std::string& repository_name, const std::string& tag,
                            const oci::Digest& existing, const oci::Digest& wanted) {
  return "tag '" + tag + "' at " + repository_name + " already names " + existing.str() + ", not " +
         wanted.str() + "; immutable tags are never moved";
}

}  // namespace

bool TagPolicy::MayMove(const std::string& tag) const {
  return force || std::find(mutable_tags.begin(), mutable_tags.end(), tag) != mutable_tags.end();
}

Result<TagOutcome> PlanTags(registry::RegistryClient& client, const std::string& repository,
                            const oci::Digest& digest, const std::vector<std::string>& tags, const TagPolicy& policy,
                            const registry::Scopes& scopes, const CancelToken* cancel) {
  TagOutcome out;
  for (const auto& tag : tags) {
    PROMOTE_ASSIGN_OR_RETURN(auto head, client.HeadManifest(repository, tag, scopes, cancel));
    if (!head) {
      out.written.push_back(tag);
    } else if (head->digest == digest) {
      out.unchanged.push_back(tag);
    } else if (policy.MayMove(tag)) {
      out.moved.push_back(tag);
      out.previous.emplace(tag, head->digest);
    } else {
      if (out.refused.empty()) {
        out.first_conflict = ConflictMessage(client.host() + "/" + repository, tag, head->digest, digest);
      }
      out.refused.push_back(tag);
    }
  }
  return out;
}

Status WriteTags(registry::RegistryClient& client, const std::string& repository, const oci::Manifest& manifest,
                 const std::vector<std::string>& tags, const TagPolicy& policy, const registry::Scopes& scopes,
                 const CancelToken* cancel, TagOutcome* outcome) {
  const std::string where = client.host() + "/" + repository;
  if (cancel != nullptr && cancel->cancelled()) return Status(Code::kCancelled, "cancelled before tagging");
  // Writers of the same immutable tags on this host take turns from the check to the recheck,
  // so exactly one of them finds the tag free. Mutable tags are last-writer-wins: no turn.
  std::vector<std::string> guarded;
  for (const auto& tag : tags) {
    if (!policy.MayMove(tag)) guarded.push_back(tag);
  }
  PROMOTE_ASSIGN_OR_RETURN(registry::TagLock lock, registry::TagLock::Acquire(client.host(), repository, guarded, cancel));

  // Check every tag before writing any: a writer that loses one of its tags leaves none behind.
  PROMOTE_ASSIGN_OR_RETURN(TagOutcome plan, PlanTags(client, repository, manifest.digest, tags, policy, scopes, cancel));
  if (!plan.refused.empty()) {
    outcome->refused = plan.refused;
    return Status(Code::kConflict, plan.first_conflict);
  }
  outcome->previous = plan.previous;
  auto listed = [](const std::vector<std::string>& v, const std::string& t) {
    return std::find(v.begin(), v.end(), t) != v.end();
  };
  for (const auto& tag : tags) {
    if (cancel != nullptr && cancel->cancelled()) return Status(Code::kCancelled, "cancelled before tagging");
    if (listed(plan.unchanged, tag)) {
      outcome->unchanged.push_back(tag);
      continue;
    }
    const bool immutable = !policy.MayMove(tag);
    Status put = client.PutManifest(repository, tag, manifest, scopes, cancel);
    if (!put.ok()) {
      // Registries that enforce tag immutability themselves (Harbor: 412 PRECONDITION, ECR: 400
      // TAG_INVALID) refuse the overwrite of a tag another writer has just claimed: when the tag
      // now names another digest, that is the conflict, whatever words the registry used.
      if (immutable && put.code() == Code::kRegistryError) {
        auto head = client.HeadManifest(repository, tag, scopes, cancel);
        if (head.ok() && *head && (*head)->digest != manifest.digest) {
          outcome->refused.push_back(tag);
          return Status(Code::kConflict, ConflictMessage(where, tag, (*head)->digest, manifest.digest) +
                                             " (the registry refused the write: " + put.message() + ")");
        }
      }
      return put;
    }
    if (immutable) {
      // No conditional PUT exists: another writer (on another host, or one that does not take
      // turns) may have written the tag between our check and our write. Read it back; whoever
      // the tag names is the winner, and a writer that is not it claims nothing.
      PROMOTE_ASSIGN_OR_RETURN(auto head, client.HeadManifest(repository, tag, scopes, cancel));
      if (!head || head->digest != manifest.digest) {
        outcome->refused.push_back(tag);
        std::string now = head ? "names " + head->digest.str() : "is gone";
        return Status(Code::kConflict, "tag '" + tag + "' at " + where +
                                           " was written by another writer at the same time: it " + now +
                                           ", not " + manifest.digest.str() +
                                           "; immutable tags are never moved");
      }
    }
    (listed(plan.moved, tag) ? outcome->moved : outcome->written).push_back(tag);
  }
  return OkStatus();
}

}  // namespace promote::copy
