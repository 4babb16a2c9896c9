#include "promotion/promotion_runner.h"

#include <chrono>

#include "policy/secret_ref.h"
#include "promotion/gates/gates.h"
#include "promotion/image_transfer.h"
#include "promotion/promotion_plan.h"
#include "promotion/release_set.h"
#include "promotion/sign_and_record.h"
#include "promotion/source_resolution.h"
#include "promotion/target_resolution.h"
#include "promotion/target_tags.h"
#include "promotion/verification_summary.h"
#include "promotion/window_gate.h"
#include "sigstore/cosign_key.h"
#include "sigstore/size_limits.h"

namespace promote::promotion {
namespace {

// What the agent's progress reports say the promotion is doing.
void EnterPhase(const RunRequest& request, const char* name) {
  if (request.progress != nullptr) request.progress->phase = name;
}

Status CancelledIf(const RunRequest& request, const char* what) {
  if (request.cancel != nullptr && request.cancel->cancelled()) return Status(Code::kCancelled, what);
  return OkStatus();
}

// The result reports the target as far as it was resolved, also when resolving it failed.
void ReportTarget(const PromotionTarget& target, RunResult* result) {
  result->branch = target.branch;
  result->sha = target.sha;
  if (target.env != nullptr) result->to_env = target.env->name;
  if (target.source != nullptr) result->from_env = target.source->name;
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPromoted:
      return "promoted";
    case Outcome::kUnchanged:
      return "unchanged";
    case Outcome::kPlanned:
      return "planned";
    case Outcome::kRefused:
      return "refused";
    case Outcome::kFailed:
      return "failed";
  }
  return "failed";
}

nlohmann::json RunResult::ImageJson() const {
  nlohmann::json gates_json = nlohmann::json::array();
  for (const auto& g : gates) gates_json.push_back(g.ToJson());
  auto counts = [](const copy::TransferCounts& c) {
    return nlohmann::json{{"copied", c.copied}, {"mounted", c.mounted}, {"skipped", c.skipped}};
  };
  return {
      {"from",
       {{"env", from_env},
        {"reference", from_reference},
        {"tag", from_tag.empty() ? nlohmann::json(nullptr) : nlohmann::json(from_tag)}}},
      {"to", {{"env", to_env}, {"reference", to_reference}}},
      {"digest", digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(digest)},
      {"source_digest", source_digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(source_digest)},
      {"subset_of", subset_of.empty() ? nlohmann::json(nullptr) : nlohmann::json(subset_of)},
      {"platforms", platforms},
      {"tags",
       {{"written", tags_written},
        {"moved", tags_moved},
        {"unchanged", tags_unchanged},
        {"refused", tags_refused}}},
      {"blobs", counts(blobs)},
      {"bytes", counts(bytes)},
      {"gates", gates_json},
      {"signature", signature_reference.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json{{"reference", signature_reference}}},
      {"record",
       record_reference.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"reference", record_reference}}},
      {"verification_summary", summary_reference.empty()
                                   ? nlohmann::json(nullptr)
                                   : nlohmann::json{{"reference", summary_reference},
                                                    {"predicate_type", kVsaPredicateType},
                                                    {"envelope_digest", summary_envelope_digest}}},
  };
}

nlohmann::json RunResult::BodyJson() const {
  nlohmann::json body = ImageJson();
  body["status"] = std::string(OutcomeName(outcome));
  body["dry_run"] = dry_run;
  body["sha"] = sha;
  body["branch"] = branch;
  body["break_glass"] = break_glass.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"reason", break_glass}};
  body["warnings"] = warnings;
  body["timings_ms"] = {{"total", duration_ms}};
  if (!images.empty()) {
    body["images"] = nlohmann::json::array();
    for (const auto& member : images) {
      nlohmann::json entry = member.ImageJson();
      entry["name"] = member.image;
      entry["tags"]["restored"] = member.tags_restored;
      entry["tags"]["left"] = member.tags_left;
      body["images"].push_back(std::move(entry));
    }
  }
  return body;
}

Result<SigningKey> LoadSigningKey(const policy::SigningConfig& signing,
                                  const std::optional<Secret>& fallback_passphrase,
                                  const EnvironmentVariables& environment) {
  SigningKey out;
  out.format = signing.format;
  if (signing.empty()) return out;
  PROMOTE_ASSIGN_OR_RETURN(
      policy::KeyDocument document,
      policy::ResolveKeyDocument(signing.key, "signing key", sigstore::kMaxKeyFileBytes, environment));
  Secret password;
  if (!signing.password.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(password, policy::ResolveSecret(signing.password, "signing password", environment));
  } else if (fallback_passphrase) {
    password = *fallback_passphrase;
  }
  PROMOTE_ASSIGN_OR_RETURN(
      sigstore::PrivateKey key,
      sigstore::ParseCosignPrivateKey(document.pem.reveal(), password, "cosign key " + document.source));
  out.public_key = std::make_shared<sigstore::PublicKey>(key.public_key());
  out.key = std::make_shared<sigstore::PrivateKey>(std::move(key));
  return out;
}

sigstore::SignatureFormat SigningFormatOf(const policy::PromoteConfig& config, const SigningKey& signing) {
  const std::string& said = !config.signing.format.empty() ? config.signing.format : signing.format;
  return said == "bundle" ? sigstore::SignatureFormat::kBundle : sigstore::SignatureFormat::kCosign;
}

PromotionRunner::PromotionRunner(const policy::PromoteConfig* config, registry::RegistryPool* registries,
                                 std::shared_ptr<const registry::Keychain> keychain, SigningKey signing)
    : config_(config), registries_(registries), keychain_(std::move(keychain)), signing_(std::move(signing)) {}

RunResult PromotionRunner::Run(const RunRequest& request) const {
  auto start = std::chrono::steady_clock::now();
  RunResult result;
  result.dry_run = request.dry_run;
  result.status = RunInto(request, &result);
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (!result.status.ok()) {
    Code c = result.status.code();
    result.outcome = (c == Code::kGateRefused || c == Code::kConflict) ? Outcome::kRefused : Outcome::kFailed;
  }
  return result;
}

// The phases of promotion/promotion_plan.h, in order; the first error ends the promotion.
Status PromotionRunner::RunInto(const RunRequest& request, RunResult* result) const {
  const PromotionContext ctx{*config_, request, registries_, keychain_.get(), signing_,
                             request.now.value_or(std::chrono::system_clock::now())};
  PromotionPlan plan;
  EnterPhase(request, "resolve");
  Status resolved = ResolveTarget(ctx.config, request, &plan.target);
  ReportTarget(plan.target, result);
  PROMOTE_RETURN_IF_ERROR(resolved);
  result->gates.push_back(BranchGate(plan.target));
  if (result->gates.back().refused()) return GateRefused(result->gates.back().detail);
  PROMOTE_RETURN_IF_ERROR(CheckSigningSetup(ctx.config, *plan.target.env, signing_.key != nullptr, &result->warnings));
  if (!request.break_glass.empty()) {
    PROMOTE_RETURN_IF_ERROR(CheckBreakGlassAllowed(*plan.target.env, ctx.config.origin, request.break_glass));
  }
  PROMOTE_ASSIGN_OR_RETURN(plan.immutable_tags, ImmutableTags(ctx.config, plan.target.sha, plan.target.branch));
  result->from_tag = plan.commit_tag();
  if (!ctx.config.images.empty()) {
    EnterPhase(request, "set");
    return RunReleaseSet(ctx, plan.immutable_tags, result);
  }
  PROMOTE_RETURN_IF_ERROR(ResolveSource(ctx, &plan, result));

  EnterPhase(request, "gates");
  PROMOTE_RETURN_IF_ERROR(RunSourceGates(ctx, &plan, result));
  PROMOTE_RETURN_IF_ERROR(PlanTargetTags(ctx, &plan, result));

  EnterPhase(request, "copy");
  PROMOTE_RETURN_IF_ERROR(CopyImage(ctx, &plan, result));
  if (request.dry_run) {
    ReportPlanned(plan, result);
    return OkStatus();
  }

  EnterPhase(request, "sign");
  PROMOTE_RETURN_IF_ERROR(CancelledIf(request, "cancelled after the copy"));
  PROMOTE_RETURN_IF_ERROR(SignTarget(ctx, &plan, result));
  EnterPhase(request, "tag");
  PROMOTE_RETURN_IF_ERROR(CancelledIf(request, "cancelled before tagging"));
  PROMOTE_RETURN_IF_ERROR(WriteTargetTags(ctx, &plan, result));
  EnterPhase(request, "record");
  PROMOTE_RETURN_IF_ERROR(RecordPromotion(ctx, &plan, result));
  bool changed = plan.wrote_image || plan.wrote_meta || plan.wrote_tags;
  result->outcome = changed ? Outcome::kPromoted : Outcome::kUnchanged;
  return OkStatus();
}

}  // namespace promote::promotion
