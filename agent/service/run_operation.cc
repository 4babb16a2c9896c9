// promote run: the configured promotion of a commit's image into an environment.
#include <sstream>

#include "policy/branch_rules.h"
#include "promotion/policy_check.h"
#include "promotion/promotion_runner.h"
#include "service/promote_service.h"
#include "service/request_access.h"
#include "service/result_envelope.h"
#include "util/one_line.h"

namespace promote::service {
namespace {

// A release set: the set's line, then each image's references, tags and gates.
std::string RenderSetText(const promotion::RunResult& r) {
  std::ostringstream text;
  text << (r.dry_run ? "plan: " : "") << r.from_env << " -> " << r.to_env << " (" << promotion::OutcomeName(r.outcome)
       << ", release set of " << r.images.size() << " images)\n";
  for (const auto& m : r.images) {
    text << "  image " << m.image << ": " << (m.from_reference.empty() ? "-" : m.from_reference) << "\n    -> "
         << (m.to_reference.empty() ? "-" : m.to_reference) << "\n"
         << "    tags: written " << JoinOrDash(m.tags_written) << "; moved " << JoinOrDash(m.tags_moved)
         << "; unchanged " << JoinOrDash(m.tags_unchanged)
         << (m.tags_restored.empty() ? "" : "; put back " + JoinOrDash(m.tags_restored)) << "\n";
    for (const auto& g : m.gates) {
      text << "    gate " << g.name << ": " << promotion::VerdictName(g.verdict) << " — " << g.detail << "\n";
    }
    if (!m.record_reference.empty()) text << "    record: " << m.record_reference << "\n";
  }
  if (!r.break_glass.empty()) text << "  BREAK-GLASS: " << r.break_glass << "\n";
  text << "  time: " << r.duration_ms << " ms\n";
  return text.str();
}

std::string RenderRun(const promotion::RunResult& r) {
  if (!r.images.empty()) return RenderSetText(r);
  if (r.digest.empty()) return "";
  std::ostringstream text;
  text << (r.dry_run ? "plan: " : "") << r.from_env << " -> " << r.to_env << " (" << promotion::OutcomeName(r.outcome) << ")\n"
       << "  " << r.from_reference << "\n  -> " << r.to_reference << "\n";
  if (!r.subset_of.empty()) {
    text << "  platforms " << JoinOrDash(r.platforms) << " only: a new index, the subset of " << r.subset_of
         << "\n";
  }
  text << "  blobs: " << r.blobs.copied << " copied, " << r.blobs.mounted << " mounted, " << r.blobs.skipped
       << " skipped (" << HumanBytes(r.bytes.copied) << " moved, " << HumanBytes(r.bytes.mounted)
       << " mounted)\n"
       << "  tags: written " << JoinOrDash(r.tags_written) << "; moved " << JoinOrDash(r.tags_moved)
       << "; unchanged " << JoinOrDash(r.tags_unchanged)
       << (r.tags_refused.empty() ? "" : "; refused " + JoinOrDash(r.tags_refused)) << "\n";
  for (const auto& g : r.gates) text << "  gate " << g.name << ": " << promotion::VerdictName(g.verdict) << " — " << g.detail << "\n";
  if (!r.break_glass.empty()) text << "  BREAK-GLASS: " << r.break_glass << "\n";
  if (!r.signature_reference.empty()) text << "  signature: " << r.signature_reference << "\n";
  if (!r.record_reference.empty()) text << "  record: " << r.record_reference << "\n";
  text << "  time: " << r.duration_ms << " ms\n";
  return text.str();
}

}  // namespace

Outcome PromoteService::Run(const v1::RunRequest& request, OperationContext* ctx) const {
  const std::string kCommand = "run";
  auto fail = [&](const Status& st) { return FailedOutcome(kCommand, st, {{"status", "failed"}}); };
  auto config = ConfigFrom(settings_, request.config(), "promote.yaml");
  if (!config.ok()) return fail(config.status());
  auto scanners = ScannersFor(settings_, config->scanners);
  if (!scanners.ok()) return fail(scanners.status());
  config->scanners = std::move(*scanners);
  auto signing = SigningKeyFor(settings_, *config, request.signing());
  if (!signing.ok()) return fail(signing.status());
  auto pool = PoolFor(settings_, request.access(), &*config);
  if (!pool.ok()) return fail(pool.status());

  const policy::AttachedFiles files = FilesFrom(request.files());
  if (settings_.policy) {
    // The environment the runner will promote into: --to, or the one the branch rules give.
    std::string to = request.to();
    if (to.empty()) {
      auto allowed = policy::AllowedEnvironments(*config, request.branch());
      if (allowed.size() == 1) to = allowed.front();
    }
    Status within =
        promotion::CheckPromotionAgainstPolicy(*settings_.policy, *config, to, request.branch(), files,
                                               request.break_glass());
    if (!within.ok()) return FailedOutcome(kCommand, within, {{"status", "refused"}});
  }
  promotion::RunRequest run;
  run.to = request.to();
  run.from = request.from();
  run.sha = request.sha();
  run.branch = request.branch();
  run.dry_run = request.dry_run();
  run.break_glass = request.break_glass();
  run.author = request.author();
  run.attachments = !request.no_attachments();
  run.jobs = JobsFor(settings_, request.jobs());
  run.ci = CiContextFrom(request.ci());
  run.progress = &ctx->progress;
  run.cancel = &ctx->cancel;
  run.files = &files;
  run.caller = ctx->caller;
  promotion::PromotionRunner runner(&*config, pool->get(), (*pool)->keychain(), *signing);
  promotion::RunResult result = runner.Run(run);

  Outcome out;
  out.command = kCommand;
  out.application = config->image;
  out.status = result.status;
  out.json = ResultEnvelope(kCommand, result.status, result.BodyJson());
  out.text = RenderRun(result);
  for (const auto& w : result.warnings) out.diagnostics += "promote: warning: " + OneLine(w) + "\n";
  if (!result.status.ok()) {
    out.diagnostics += std::string("promote: ") +
                       (result.outcome == promotion::Outcome::kRefused ? "refused: " : "failed: ") +
                       OneLine(result.status.message()) + "\n";
  }
  return out;
}

}  // namespace promote::service
