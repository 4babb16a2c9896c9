// Where a promotion goes, decided from the request and promote.yaml alone — no registry, no
// files, no environment variables — so each rule is a table test (tests/unit/promotion/).
#pragma once

#include <string>
#include <vector>

#include "policy/promote_config.h"
#include "promotion/gate_result.h"
#include "promotion/promotion_plan.h"
#include "util/status.h"

namespace promote::promotion {

// The branch (required, valid), the commit (--sha, or the one a -sha-<hex> branch carries; the two
// must agree), the target (--to, or the one environment the branch may promote into) and the source
// (--from, or the target's source in promote.yaml, or the target itself for the first
// environment). kInvalidArgument naming the input; kGateRefused when the branch may promote
// nowhere. On error, `target` holds what was resolved before it (the result reports it).
Status ResolveTarget(const policy::PromoteConfig& config, const RunRequest& request, PromotionTarget* target);

// The branch gate: refused unless the target is one of the environments the branch may promote into.
GateResult BranchGate(const PromotionTarget& target);

// A promotion without a key writes no record. kInvalidArgument when the target signs, or when a
// later environment's stage-order gate would then refuse the image; otherwise a warning that
// history will not show it. Nothing when a key is loaded.
Status CheckSigningSetup(const policy::PromoteConfig& config, const policy::Environment& env, bool have_key,
                         std::vector<std::string>* warnings);

// The immutable tags of a commit: promote.yaml's template rendered with `sha` (which must be long
// enough for it: kInvalidArgument), then the version a release branch names, when
// version-from-branch is on and it is a valid tag.
Result<std::vector<std::string>> ImmutableTags(const policy::PromoteConfig& config, const std::string& sha,
                                               const std::string& branch);

// "a, b" or "none".
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace promote::promotion
