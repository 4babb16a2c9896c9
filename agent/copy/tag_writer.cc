#include "copy/tag_writer.h"

#include <algorithm>

namespace promote::copy {
namespace {

std::string ConflictMessage(const std::string& repository_name, const std::string& tag, const oci::Digest& existing,
                            const oci::Digest& wanted) {
  return "tag '" + tag + "' at " + repository_name + " already names " + existing.str() + ", not " + wanted.str() +
         "; immutable tags are never moved (--force overrides)";
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
  for (const auto& tag : tags) {
    if (cancel != nullptr && cancel->cancelled()) return Status(Code::kCancelled, "cancelled before tagging");
    PROMOTE_ASSIGN_OR_RETURN(auto head, client.HeadManifest(repository, tag, scopes, cancel));
    if (head && head->digest == manifest.digest) {
      outcome->unchanged.push_back(tag);
      continue;
    }
    if (head && !policy.MayMove(tag)) {
      outcome->refused.push_back(tag);
      return Status(Code::kConflict,
                    ConflictMessage(client.host() + "/" + repository, tag, head->digest, manifest.digest));
    }
    PROMOTE_RETURN_IF_ERROR(client.PutManifest(repository, tag, manifest, scopes, cancel));
    (head ? outcome->moved : outcome->written).push_back(tag);
  }
  return OkStatus();
}

}  // namespace promote::copy
