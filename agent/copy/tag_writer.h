// Tags at a target repository: deciding what writing a set of tags would do (write, leave
// unchanged, move, or refuse because an immutable tag names another digest) and doing it.
// Used last in every copy and promotion, after the image and its attachments are complete.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "oci/manifest.h"
#include "registry/registry_client.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::copy {

struct TagPolicy {
  bool force = false;                     // any tag may move
  std::vector<std::string> mutable_tags;  // these may move without force
  bool MayMove(const std::string& tag) const;
};

struct TagOutcome {
  std::vector<std::string> written;
  std::vector<std::string> unchanged;
  std::vector<std::string> moved;
  std::vector<std::string> refused;       // immutable tags naming another digest
  std::string first_conflict;             // message for the first refused tag
  // What each tag in `moved` named before, so a caller can put it back (a release set whose
  // later member failed to tag). Tags in `written` named nothing.
  std::map<std::string, oci::Digest> previous;
};

// The conflicts below (kConflict, with the refused tags in TagOutcome::refused) say what is in the
// way but no remedy: what the caller may do about it (a flag, another commit) is the caller's to say.

// What writing `tags` for `digest` would do, with no writes.
Result<TagOutcome> PlanTags(registry::RegistryClient& client, const std::string& repository,
                            const oci::Digest& digest, const std::vector<std::string>& tags, const TagPolicy& policy,
                            const registry::Scopes& scopes, const CancelToken* cancel);

// Writes the tags, in order, unless any immutable one (not policy.MayMove) names another digest:
// that is kConflict naming it, and nothing is written. The immutable tags are held (TagLock) from
// this check to a recheck after each write, so of writers on one host exactly one gets a tag;
// each is read back after its PUT, and one that then names another digest (a writer elsewhere
// wrote it at the same moment) is kConflict too, as is a registry refusing the write while the
// tag names another digest. Mutable tags are last-writer-wins.
Status WriteTags(registry::RegistryClient& client, const std::string& repository, const oci::Manifest& manifest,
                 const std::vector<std::string>& tags, const TagPolicy& policy, const registry::Scopes& scopes,
                 const CancelToken* cancel, TagOutcome* outcome);

}  // namespace promote::copy
