// The gates a promotion runs on the source image, after ResolveSource and before anything is
// written, in the order of kSourceGates. Each is one file in this directory. A gate judges the
// plan and returns its GateResult, or nothing when it does not apply to this environment; an
// error (a registry that cannot be read, a key that does not parse) ends the promotion at once.
// A gate may add to the plan what later phases need (the revision gate the full commit, the
// scan gate its reports). To add one: copy revision_gate.cc, declare the function here and list
// it in kSourceGates.
#pragma once

#include <optional>
#include <vector>
#include <utility>

#include "promotion/gate_result.h"
#include "promotion/promotion_plan.h"
#include "util/status.h"

namespace promote::promotion {

// A gate's verdict; nullopt when the gate does not apply to this environment.
using GateOutcome = Result<std::optional<GateResult>>;
inline GateOutcome NotApplicable() { return std::optional<GateResult>(); }
inline GateOutcome Judged(GateResult verdict) { return std::optional<GateResult>(std::move(verdict)); }

using Gate = GateOutcome (*)(const PromotionContext& ctx, PromotionPlan* plan);

// The commit the image states (its revision label or annotation) is the commit promoted; with a
// short --sha, it becomes the full commit for the gates after it and the record.
GateOutcome RevisionGate(const PromotionContext& ctx, PromotionPlan* plan);
// The source digest has a valid promotion record for the environment before this one.
GateOutcome StageOrderGate(const PromotionContext& ctx, PromotionPlan* plan);
// Now is inside one of the environment's windows and outside its freezes, or a break-glass
// reason overrides that where promote.yaml allows it (window_gate.h).
GateOutcome WindowGate(const PromotionContext& ctx, PromotionPlan* plan);
// The commit has been in the previous environment at least the soak time, and was not rolled
// back out of it (soak_gate.h).
GateOutcome SoakGate(const PromotionContext& ctx, PromotionPlan* plan);
// Enough listed approvers, other than the commit's author, approved this digest (approval_gate.h).
GateOutcome ApprovalGate(const PromotionContext& ctx, PromotionPlan* plan);
// The source digest carries a signature by the environment's key (signature: in promote.yaml).
GateOutcome SignatureGate(const PromotionContext& ctx, PromotionPlan* plan);
// The source digest carries SLSA provenance of the commit, signed with the environment's
// provenance key (promotion/provenance_gate.h).
GateOutcome ProvenanceGate(const PromotionContext& ctx, PromotionPlan* plan);
// The environment's scanners find nothing the policy refuses (promotion/scan_gate.h).
GateOutcome ScanGate(const PromotionContext& ctx, PromotionPlan* plan);

inline constexpr Gate kSourceGates[] = {RevisionGate, StageOrderGate, WindowGate,     SoakGate,
                                        ApprovalGate, SignatureGate,  ProvenanceGate, ScanGate};

// The previous environment's records of the source digest (ReadRecords, with MarkIncompleteRecords),
// read on first use and kept in the plan for the gates after; empty for the first environment or
// without a public key to check them.
Result<const std::vector<CheckedRecord>*> PreviousRecords(const PromotionContext& ctx, PromotionPlan* plan);

// Runs kSourceGates in order, adding each verdict to result->gates (and any break-glass to
// result->break_glass), then refuses with the first refused gate: kGateRefused, or kUnavailable
// when a scanner could not scan.
Status RunSourceGates(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result);

}  // namespace promote::promotion
