// The approval gate: a promotion needs `required` distinct approvals of the image for this
// environment and commit, each by a listed approver, signed by that approver's key (or by the
// signing key that vouches for approvers without one), not expired, and — with no-self-approval —
// not by the commit's author. Every approval that does not count is listed with the reason.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "policy/change_gates.h"
#include "policy/promote_config.h"
#include "promotion/approval.h"
#include "promotion/gate_result.h"

namespace promote::promotion {

// The key name ReadApprovals uses for the signing key (the agent's, or promote.yaml's).
inline constexpr const char* kSigningKeyName = "";

// Where approvals for promotions into `env` are attached: the environment promotions into it come
// from (the first environment: itself). `promote approve` writes there and the gate reads there.
const policy::Environment& ApprovalHome(const policy::PromoteConfig& config, const policy::Environment& env);

// What the approvals must be about.
struct ApprovalSubject {
  std::string env;
  std::string sha;
  std::string digest;                          // the source digest
  std::string author;                          // the commit's author; "" when unknown
  std::chrono::system_clock::time_point now;   // the caller's clock
};

// The gate's verdict on `approvals` (ReadApprovals). Pure. data: {required, approved_by: [...],
// not_counted: [{approver, reason}], author}.
GateResult JudgeApprovals(const policy::ApprovalGateConfig& gate, const std::vector<ApprovalEvidence>& approvals,
                          const ApprovalSubject& subject);

// Why one approval does not count ("" when it does), duplicates aside.
std::string WhyNotCounted(const policy::ApprovalGateConfig& gate, const ApprovalEvidence& approval,
                          const ApprovalSubject& subject);

}  // namespace promote::promotion
