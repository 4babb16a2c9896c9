// Evidence at the target: the image's signature and the scan reports as attestations
// (SignTarget, before the tags), then the promotion record (RecordPromotion, once the tags are in
// place: a promotion that failed or was killed before leaves no record, so history and the next
// stage's gate never count it). Idempotent: an equal valid record (same environment, commit and
// source) means this promotion happened before, and its evidence is not attached again.
#pragma once

#include "promotion/promotion_plan.h"
#include "util/status.h"

namespace promote::promotion {

// Looks for an equal record (plan->have_record), then, where the environment signs, signs the
// target digest and attaches the scan reports; sets the result's signature reference and the
// scan gate's attestations.
Status SignTarget(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result);

// Writes the promotion record unless an equal one exists; with no key, nothing (CheckSigningSetup
// has warned). A re-run after a failure between the tags and the record finds the tags unchanged
// and writes the record.
Status RecordPromotion(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result);

}  // namespace promote::promotion
