#include "promotion/sign_and_record.h"

#include "promotion/promotion_record.h"
#include "promotion/scan_evidence.h"
#include "promotion/verification_summary.h"
#include "sign/bundle_store.h"
#include "sign/image_signer.h"

namespace promote::promotion {
namespace {

// Where the target already holds a valid record of this promotion; empty when it does not.
Result<std::string> ExistingRecord(const PromotionContext& ctx, const PromotionPlan& plan) {
  if (!ctx.signing.key) return std::string();
  const copy::BlobEndpoint& target = plan.ends.target;
  PROMOTE_ASSIGN_OR_RETURN(auto existing, ReadRecords(*target.client, target.repository, plan.digest,
                                                      *ctx.signing.public_key, target.scopes, ctx.request.cancel));
  for (const auto& r : existing) {
    if (r.valid && r.record.kind == "promotion" && r.record.to_env == plan.target.env->name &&
        r.record.git_sha == plan.target.sha && r.record.from_env == plan.target.source->name) {
      return r.reference;
    }
  }
  return std::string();
}

// The scan reports as signed attestations on the target digest, listed in the scan gate's data.
Status AttachEvidence(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result) {
  const copy::BlobEndpoint& target = plan->ends.target;
  PROMOTE_ASSIGN_OR_RETURN(auto evidence, AttachScanEvidence(*target.client, target.repository, plan->subject,
                                                             plan->scan_reports, *ctx.signing.key, ctx.format(),
                                                             ctx.request.ci, target.scopes, ctx.request.cancel));
  for (auto& g : result->gates) {
    if (g.name != "scan") continue;
    g.data["attestations"] = nlohmann::json::array();
    for (const auto& a : evidence) g.data["attestations"].push_back(a.ToJson());
  }
  for (const auto& a : evidence) plan->wrote_meta = plan->wrote_meta || a.added;
  return OkStatus();
}

PromotionRecord RecordOf(const PromotionContext& ctx, const PromotionPlan& plan, const RunResult& result) {
  const policy::Environment& source = *plan.target.source;
  const policy::Environment& env = *plan.target.env;
  PromotionRecord record;
  record.from_env = source.name;
  record.from_reference = source.Name() + "@" + plan.source_digest.str();
  record.to_env = env.name;
  record.to_reference = env.Name() + "@" + plan.digest.str();
  record.digest = plan.digest.str();
  if (plan.graph.subset_of) {
    record.subset_of = plan.graph.subset_of->str();
    record.platforms = plan.graph.platforms;
  }
  record.git_sha = plan.target.sha;
  record.branch = result.branch;
  record.tags = plan.tags;
  record.ci = ctx.request.ci;
  record.caller = ctx.request.caller;
  for (const auto& g : result.gates) {
    record.gates.push_back({{"name", g.name}, {"verdict", std::string(VerdictName(g.verdict))}});
  }
  record.break_glass = plan.break_glass;
  record.approved_by = plan.approved_by;
  record.image = plan.image_name;
  record.members = plan.set_members;
  record.time = NowRfc3339();
  return record;
}

// The SLSA verification summary of the promotion `record` describes (promotion/verification_summary.h).
VerificationSummary SummaryOf(const PromotionContext& ctx, const PromotionPlan& plan, const PromotionRecord& record) {
  VerificationSummary summary;
  summary.resource_uri = record.to_reference;
  summary.environment = record.to_env;
  summary.time_verified = record.time;
  summary.policy_uri = ctx.config.origin + "#environments/" + record.to_env;
  summary.policy_sha256 = ctx.config.sha256;
  summary.inputs = plan.read_attestations;
  summary.build_level = plan.build_level;
  return summary;
}

// The target digest signed in the configured format; whether a signature was added.
Result<bool> SignImageAt(const PromotionContext& ctx, const PromotionPlan& plan, RunResult* result) {
  const copy::BlobEndpoint& target = plan.ends.target;
  const std::string identity = plan.target.env->Name();
  if (ctx.format() == sigstore::SignatureFormat::kBundle) {
    PROMOTE_ASSIGN_OR_RETURN(auto bundled, sign::SignImageBundle(*target.client, target.repository, plan.subject,
                                                                 identity, *ctx.signing.key, NowRfc3339(),
                                                                 target.scopes, ctx.request.cancel));
    result->signature_reference = bundled.reference;
    return bundled.added;
  }
  sign::SignOptions options;
  options.identity = identity;
  PROMOTE_ASSIGN_OR_RETURN(auto signed_out, sign::SignImage(*target.client, target.repository, plan.subject,
                                                            *ctx.signing.key, options, target.scopes, ctx.request.cancel));
  result->signature_reference = signed_out.signature_reference;
  return signed_out.added;
}

}  // namespace

Status SignTarget(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result) {
  PROMOTE_ASSIGN_OR_RETURN(plan->existing_record, ExistingRecord(ctx, *plan));
  plan->have_record = !plan->existing_record.empty();
  const policy::Environment& env = *plan->target.env;
  if (!env.sign) return OkStatus();
  if (!ctx.signing.key) return InvalidArgument("environment '" + env.name + "' signs images but no signing key is loaded");
  PROMOTE_ASSIGN_OR_RETURN(bool added, SignImageAt(ctx, *plan, result));
  plan->wrote_meta = plan->wrote_meta || added;
  if (plan->scan_reports.empty() || plan->have_record) return OkStatus();
  return AttachEvidence(ctx, plan, result);
}

Status RecordPromotion(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result) {
  if (!ctx.signing.key) return OkStatus();
  const copy::BlobEndpoint& target = plan->ends.target;
  std::string reference = plan->existing_record;
  if (!plan->have_record) {
    const PromotionRecord record = RecordOf(ctx, *plan, *result);
    // The summary first: a re-run after a failure between the two finds no record and writes
    // both; the record, written last, is what marks the promotion done.
    PROMOTE_ASSIGN_OR_RETURN(WrittenSummary summary,
                             WriteVerificationSummary(*target.client, target.repository, plan->subject,
                                                      SummaryOf(ctx, *plan, record), *ctx.signing.key, ctx.format(),
                                                      target.scopes, ctx.request.cancel));
    result->summary_reference = summary.reference;
    result->summary_envelope_digest = summary.envelope_digest.str();
    PROMOTE_ASSIGN_OR_RETURN(reference, WriteRecord(*target.client, target.repository, plan->subject, record,
                                                    *ctx.signing.key, ctx.format(), target.scopes, ctx.request.cancel));
    plan->wrote_meta = true;
  }
  result->record_reference = reference;  // only once the record is there
  return OkStatus();
}

}  // namespace promote::promotion
