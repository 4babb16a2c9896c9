#include "promotion/image_transfer.h"

namespace promote::promotion {

Status CopyImage(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result) {
  if (plan->target.source == plan->target.env) return OkStatus();
  const RunRequest& request = ctx.request;
  copy::CopyOptions options;
  options.reuse_source_tag = false;
  options.dry_run = request.dry_run;
  options.attachments = request.attachments;
  options.jobs = request.jobs;
  options.progress = request.progress;
  options.cancel = request.cancel;
  copy::ImageCopier copier(ctx.registries, options);
  copy::CopyReport report = copier.CopyWalked(plan->graph, plan->ends);
  result->blobs = report.blobs;
  result->bytes = report.blob_bytes;
  PROMOTE_RETURN_IF_ERROR(report.status);
  plan->wrote_image = report.blobs.copied + report.blobs.mounted + report.manifests_copied > 0;
  return OkStatus();
}

void ReportPlanned(const PromotionPlan& plan, RunResult* result) {
  result->tags_written = plan.planned_tags.written;
  result->tags_moved = plan.planned_tags.moved;
  result->tags_unchanged = plan.planned_tags.unchanged;
  const policy::Environment& env = *plan.target.env;
  if (env.sign) {
    result->gates.push_back({"sign", Verdict::kSkipped, "would sign " + plan.digest.str() + " at " + env.Name()});
  }
  result->outcome = Outcome::kPlanned;
}

}  // namespace promote::promotion
