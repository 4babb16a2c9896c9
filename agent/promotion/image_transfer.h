// CopyImage: the promotion's copy from the source environment into the target — blobs,
// manifests by digest and (unless the request says not to) attachments, through the copy
// engine's transfer step; no tags (target_tags.h writes them once the image is signed). The
// first environment receives builds directly: nothing to copy there. A dry run only counts.
#pragma once

#include "promotion/promotion_plan.h"
#include "util/status.h"

namespace promote::promotion {

Status CopyImage(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result);

// The end of a dry run: what the tags would do, the signature that would be made; outcome "planned".
void ReportPlanned(const PromotionPlan& plan, RunResult* result);

}  // namespace promote::promotion
