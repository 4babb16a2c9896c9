// Release sets (promote.yaml `images:`): the images one commit built (an API, a worker, a web
// front end) promoted together or not at all. Each member is an ordinary promotion of its own
// view of promote.yaml (PromoteConfig::ForImage) through the phases of promotion_plan.h, run
// phase by phase across the set: every member is gated before any is copied, every member is
// copied and signed before any tag moves, and once every member is tagged the one record naming
// them all is attached to each. A tag write that fails puts the tags the set already moved back
// where they were, and no record is written.
#pragma once

#include <string>
#include <vector>

#include "promotion/promotion_plan.h"
#include "util/status.h"

namespace promote::promotion {

// Runs the set of `ctx.config` (whose `images` is not empty) into `target` (resolved, its branch
// gate passed, its signing setup checked), with the commit's `immutable_tags`. Each member's
// result goes to result->images, in the set's order. Any member refused or failing before the
// copy stops the set with nothing written anywhere; a dry run stops after planning every member.
Status RunReleaseSet(const PromotionContext& ctx, const std::vector<std::string>& immutable_tags, RunResult* result);

}  // namespace promote::promotion
