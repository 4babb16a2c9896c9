// `promote approve`: one approver approves promoting a commit's image into an environment. The
// commit's immutable tag is resolved in the environment promotions come from, and a signed
// approval (promotion/approval.h) is attached to that digest, where the environment's approval
// gate reads it (and where copies to later environments carry it along).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/promote_config.h"
#include "promotion/ci_context.h"
#include "promotion/promotion_runner.h"
#include "registry/registry_pool.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::promotion {

struct ApproveRequest {
  std::string env;       // the environment the promotion goes into
  std::string sha;
  std::string approver;
  std::string comment;
  CiContext ci;
  std::string caller;    // who asked the agent to sign; "" in-process
  // Whether the key signs for the approver themself (their own key, in-process) rather than
  // vouching for them (promote's or the agent's signing key).
  bool own_key = false;
  const CancelToken* cancel = nullptr;
};

struct ApproveResult {
  Status status;
  std::string env, sha, approver;
  std::string source_env, source_reference, digest;
  std::string attestation_reference;
  std::string time;
  // A release set: each image approved, the approval (naming every digest) attached to each;
  // the fields above then describe the first. Empty for one image.
  struct Image {
    std::string name, source_reference, digest, attestation_reference;
  };
  std::vector<Image> images;
  // The approval's fields of the JSON result (docs/result-json.md), without the envelope the
  // service wraps them in.
  nlohmann::json BodyJson() const;
};

// Approves with `key`. Bad input (unknown environment, no approval gate there, an approver it
// does not list, an approver bound to a key of their own approving with another key) is
// kInvalidArgument naming it; a commit with no image in the source environment is kNotFound.
ApproveResult Approve(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                      const SigningKey& key, const ApproveRequest& request);

}  // namespace promote::promotion
