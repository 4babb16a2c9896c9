// Rollback: move an environment's mutable tags ("prod", "latest") back to a digest that was
// promoted there before — chosen by digest or by counting back — and record the rollback.
// Refused when the chosen digest has no valid promotion record for that environment. The digest
// left behind is marked "rolled-back" (a record beside it), which the next environment's soak
// gate refuses.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/promote_config.h"
#include "promotion/ci_context.h"
#include "promotion/promotion_record.h"
#include "promotion/promotion_runner.h"
#include "registry/registry_pool.h"
#include "util/status.h"

namespace promote::promotion {

struct RollbackRequest {
  std::string env;
  std::optional<oci::Digest> to;  // the digest to go back to
  int steps = 1;                  // otherwise: this many promotions back from the current one
  bool dry_run = false;
  CiContext ci;
  std::string caller;  // who asked the agent for it, recorded as such; empty in-process
  // Set by the release-set rollback for each member: its name and every member, for its record.
  std::string image;
  std::vector<SetMemberRecord> members;
};

struct RollbackResult {
  Status status;
  std::string env;
  std::string from_digest;  // what the mutable tags named
  std::string to_digest;
  std::string git_sha;
  std::vector<std::string> tags_moved;
  std::string record_reference;
  bool dry_run = false;
  bool unchanged = false;  // the mutable tags already named to_digest: nothing written
  // A release set: one result per image (with its `image` name), all moved back to one commit.
  std::string image;
  std::vector<RollbackResult> images;
  // The rollback's fields of the JSON result (docs/result-json.md), without the envelope the
  // service wraps them in; a release set's `images` each have a member's, with its `name`.
  nlohmann::json BodyJson() const;
};

// With a release set (config.images), every image's mutable tags go back together, to the
// images of one commit (--steps counts promotions of the set; --to is refused: it names one
// image): each is chosen and checked before any tag moves, every tag moves before any record is
// written (a failed move puts the set's moved tags back), and each rollback record names all.
RollbackResult Rollback(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                        const SigningKey& signing, const RollbackRequest& request);

}  // namespace promote::promotion
