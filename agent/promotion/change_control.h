// The change-control gates of one promotion, as the runner runs them: the window gate (with any
// break-glass), the soak gate (against the previous environment's records) and the approval gate
// (against the approvals attached to the source digest). Reads what it needs from the registries;
// the verdicts themselves are the pure judgements of window_gate.h, soak_gate.h and
// approval_gate.h.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "oci/digest.h"
#include "policy/promote_config.h"
#include "promotion/gate_result.h"
#include "promotion/promotion_runner.h"
#include "registry/registry_pool.h"
#include "util/status.h"

namespace promote::promotion {

// Where approvals for promotions into `env` are attached: the environment promotions into it come
// from (the first environment: itself). `promote approve` writes there and the gate reads there.
const policy::Environment& ApprovalHome(const policy::PromoteConfig& config, const policy::Environment& env);

// What the gates decided, for the result and the record.
struct ChangeControl {
  std::vector<GateResult> gates;         // window, soak, approval: those the environment has
  std::string break_glass;               // the reason, when the window gate was overridden
  std::vector<std::string> approved_by;  // the approvals the gate counted
};

// What the gates look at.
struct ChangeControlSubject {
  const policy::PromoteConfig* config = nullptr;
  const policy::Environment* env = nullptr;
  std::string sha;
  oci::Digest source_digest;  // the image in the environment promotions come from
  std::chrono::system_clock::time_point now;
};

// Runs the environment's change-control gates. Registry failures and unreadable approver keys are
// errors; refusals are verdicts in the gates.
Result<ChangeControl> RunChangeControl(const ChangeControlSubject& subject, const RunRequest& request,
                                       registry::RegistryPool& registries, const SigningKey& signing);

}  // namespace promote::promotion
