// Holding a request to the operator's policy (agent.yaml `policy:`, policy/server_policy.h). A
// request's promote.yaml may tighten what the policy asks (a stricter threshold, another gate)
// but never loosen it: each check that fails is kGateRefused naming the policy rule and its
// agent.yaml line. Only the agent has a policy; in-process runs have none.
#pragma once

#include <string>

#include "policy/attached_files.h"
#include "policy/promote_config.h"
#include "policy/server_policy.h"
#include "util/status.h"

namespace promote::promotion {

// Whether promoting `config`'s image on `branch` into its environment `to` (the one the request
// targets: --to, or the one its branch rules give) is within `policy`. `files` are the files the
// request carries (its ignore files and signature keys are checked too). `break_glass` is the
// reason the request gives to override a window gate ("" when none).
Status CheckPromotionAgainstPolicy(const policy::ServerPolicy& policy, const policy::PromoteConfig& config,
                                   const std::string& to, const std::string& branch,
                                   const policy::AttachedFiles& files, const std::string& break_glass = "");

// For `promote approve`, an approval of promoting `config`'s image into `to` that the agent signs
// (`own_key` false) or that carries the approver's own signature: when the policy for `to` names
// approvers, `approver` must be one of them, and one it lists with a key must sign with that key.
// Without approvers in the policy, promote.yaml's list decides, as before.
Status CheckApprovalAgainstPolicy(const policy::ServerPolicy& policy, const policy::PromoteConfig& config,
                                  const std::string& to, const std::string& approver, bool own_key);

// For `promote rollback` of `env` (a promote.yaml environment name): moving its tags back writes
// the repository a promotion into it writes, so the rule covering that repository must belong to
// the application and allow `branch` (every image's, for a release set). The gates are not asked
// again: a rollback returns only to a digest whose promotion there the agent's key recorded.
Status CheckRollbackAgainstPolicy(const policy::ServerPolicy& policy, const policy::PromoteConfig& config,
                                  const std::string& env, const std::string& branch);

// For operations other than `run` that write to "host/repository" (copy, sign): a repository the
// policy covers is written only by promotions, whose gates the policy decides.
Status CheckDirectWriteAgainstPolicy(const policy::ServerPolicy& policy, const std::string& host_repository,
                                     const std::string& operation);

}  // namespace promote::promotion
