// promote copy SRC DST [SRC DST]...: digest-exact copies, tags last.
#include <sstream>

#include "copy/copy_report.h"
#include "copy/image_copier.h"
#include "oci/platform.h"
#include "oci/reference.h"
#include "promotion/policy_check.h"
#include "service/promote_service.h"
#include "service/request_access.h"
#include "service/result_envelope.h"

namespace promote::service {
namespace {

void RenderCopy(const std::vector<copy::CopyReport>& reports, Outcome* out) {
  std::ostringstream text, diag;
  for (const auto& r : reports) {
    if (!r.status.ok()) {
      diag << "promote: copy " << r.source << " failed: " << r.status.message() << "\n";
      continue;
    }
    text << r.source << " -> " << r.target << "\n"
         << "  blobs: " << r.blobs.copied << " copied, " << r.blobs.mounted << " mounted, " << r.blobs.skipped
         << " skipped (" << HumanBytes(r.blob_bytes.copied) << " moved, " << HumanBytes(r.blob_bytes.mounted)
         << " mounted)\n"
         << "  manifests: " << r.manifests_copied << " written, " << r.manifests_skipped << " present\n";
    if (r.attachments.copied + r.attachments.skipped + r.attachments.merged > 0) {
      text << "  attachments: " << r.attachments.copied << " copied, " << r.attachments.merged << " merged, "
           << r.attachments.skipped << " present\n";
    }
    if (!r.platforms.empty()) {
      text << "  platforms:";
      for (const auto& p : r.platforms) text << " " << p;
      text << "\n";
    }
    if (!r.subset_of.empty()) {
      text << "  digest: " << r.digest << ", a new index: the subset of " << r.subset_of << "\n";
      if (!r.attachments.not_carried.empty()) {
        text << "  attachments of " << r.subset_of << " stay behind (they name its digest)\n";
      }
    }
    text << "  tags: written " << JoinOrDash(r.tags_written) << "; unchanged " << JoinOrDash(r.tags_unchanged) << "; moved "
         << JoinOrDash(r.tags_moved) << "\n"
         << "  time: " << r.duration_ms << " ms\n";
  }
  out->text = text.str();
  out->diagnostics = diag.str();
}

}  // namespace

Outcome PromoteService::Copy(const v1::CopyRequest& request, OperationContext* ctx) const {
  const std::string kCommand = "copy";
  if (request.images_size() == 0)
    return FailedOutcome(kCommand, InvalidArgument("copy needs at least one SRC DST pair"));
  for (const auto& tag : request.tags()) {
    if (Status st = oci::ValidateTag(tag); !st.ok()) return FailedOutcome(kCommand, st);
  }
  auto platforms = oci::ParsePlatforms({request.platforms().begin(), request.platforms().end()});
  if (!platforms.ok()) return FailedOutcome(kCommand, platforms.status());
  std::vector<copy::CopyRequest> images;
  for (const auto& pair : request.images()) {
    auto src = oci::ParseReference(pair.source());
    auto dst = oci::ParseReference(pair.target());
    Status st = !src.ok()   ? src.status().WithContext("source")
                : !dst.ok() ? dst.status().WithContext("target")
                            : OkStatus();
    if (st.ok() && dst->digest) st = InvalidArgument("target '" + pair.target() + "' must not name a digest");
    if (!st.ok()) return FailedOutcome(kCommand, st);
    if (settings_.policy) {
      Status within = promotion::CheckDirectWriteAgainstPolicy(*settings_.policy,
                                                               dst->registry + "/" + dst->repository, "copy");
      if (!within.ok()) return FailedOutcome(kCommand, within);
    }
    images.push_back({*src, *dst});
  }
  auto pool = PoolFor(settings_, request.access(), nullptr);
  if (!pool.ok()) return FailedOutcome(kCommand, pool.status());

  copy::CopyOptions options;
  options.tags.assign(request.tags().begin(), request.tags().end());
  options.force = request.force();
  options.attachments = !request.no_attachments();
  options.platforms = std::move(*platforms);
  options.jobs = JobsFor(settings_, request.jobs());
  options.blob.chunk_size = request.chunk_size();
  options.progress = &ctx->progress;
  options.cancel = &ctx->cancel;
  ctx->progress.phase = "copy";
  copy::ImageCopier copier(pool->get(), options);
  std::vector<copy::CopyReport> reports = copier.CopyAll(images);
  // The copy engine says what is in the way; the remedy is this command's flag.
  if (!request.force()) {
    for (auto& r : reports) {
      if (r.status.code() == Code::kConflict && !r.tags_refused.empty()) {
        r.status = Status(Code::kConflict, r.status.message() + " (pass --force to move it)");
      }
    }
  }

  Outcome out;
  out.command = kCommand;
  for (const auto& r : reports) {
    if (!r.status.ok() && out.status.ok()) out.status = r.status;
  }
  // One image: its result. Several: each image's result, enveloped as if it were alone.
  auto result_of = [&](const copy::CopyReport& r) { return ResultEnvelope(kCommand, r.status, r.BodyJson()); };
  if (reports.size() == 1) {
    out.json = result_of(reports[0]);
  } else {
    nlohmann::json results = nlohmann::json::array();
    for (const auto& r : reports) results.push_back(result_of(r));
    out.json = ResultEnvelope(kCommand, out.status, {{"results", results}});
  }
  RenderCopy(reports, &out);
  return out;
}

}  // namespace promote::service
