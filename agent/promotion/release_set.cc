#include "promotion/release_set.h"

#include <memory>

#include "promotion/gates/gates.h"
#include "promotion/image_transfer.h"
#include "promotion/sign_and_record.h"
#include "promotion/source_resolution.h"
#include "promotion/target_resolution.h"
#include "promotion/target_tags.h"

namespace promote::promotion {
namespace {

// One image of the set: its view of promote.yaml, its plan and its part of the result. Held by
// pointer: the plan points into the config.
struct SetMember {
  std::string name;
  policy::PromoteConfig config;
  PromotionPlan plan;
  RunResult result;
};
using SetMembers = std::vector<std::unique_ptr<SetMember>>;

PromotionContext MemberContext(const PromotionContext& ctx, const SetMember& member) {
  return {member.config, ctx.request, ctx.registries, ctx.keychain, ctx.signing, ctx.now};
}

Status InImage(const Status& status, const SetMember& member) {
  return status.ok() ? status : status.WithContext("image '" + member.name + "'");
}

// Resolve, gate and plan the tags of one member (phases 1, 4-6), as a single promotion would.
Status GateMember(const PromotionContext& ctx, const std::vector<std::string>& immutable_tags, SetMember* m) {
  PROMOTE_RETURN_IF_ERROR(ResolveTarget(m->config, ctx.request, &m->plan.target));
  m->result.from_env = m->plan.target.source->name;
  m->result.to_env = m->plan.target.env->name;
  m->plan.immutable_tags = immutable_tags;
  m->plan.image_name = m->name;
  const PromotionContext mctx = MemberContext(ctx, *m);
  PROMOTE_RETURN_IF_ERROR(ResolveSource(mctx, &m->plan, &m->result));
  PROMOTE_RETURN_IF_ERROR(RunSourceGates(mctx, &m->plan, &m->result));
  return PlanTargetTags(mctx, &m->plan, &m->result);
}

// Every member is gated, also after one refused, so the result says what each one's gates said;
// then the first refusal or failure stops the set before anything is written.
Status GateAll(const PromotionContext& ctx, const std::vector<std::string>& immutable_tags, SetMembers& members) {
  Status first;
  for (auto& m : members) {
    Status st = InImage(GateMember(ctx, immutable_tags, m.get()), *m);
    m->result.status = st;
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

// The set as its record names it: every member, where it comes from and goes, and its tags.
std::vector<SetMemberRecord> SetRecordOf(const SetMembers& members) {
  std::vector<SetMemberRecord> out;
  for (const auto& m : members) {
    const PromotionPlan& p = m->plan;
    out.push_back({m->name, p.digest.str(), p.target.source->Name() + "@" + p.source_digest.str(),
                   p.target.env->Name() + "@" + p.digest.str(), p.tags});
  }
  return out;
}

// Puts one member's tags back: each moved tag to the digest it named before. A tag that named
// nothing before is left (the registry API has no portable tag delete); it names this member's
// complete and signed image, and the result lists it under tags.left.
void RestoreMemberTags(SetMember* m, RunResult* result) {
  const copy::BlobEndpoint& target = m->plan.ends.target;
  const copy::TagOutcome& done = m->plan.written_tags;
  for (const auto& tag : done.moved) {
    const oci::Digest& before = done.previous.at(tag);
    auto manifest = target.client->GetManifest(target.repository, before.str(), target.scopes);
    Status put = manifest.ok() ? target.client->PutManifest(target.repository, tag, *manifest, target.scopes)
                               : manifest.status();
    if (put.ok()) {
      m->result.tags_restored.push_back(tag);
    } else {
      result->warnings.push_back("image '" + m->name + "': tag '" + tag + "' at " + m->plan.target.env->Name() +
                                 " could not be put back to " + before.str() + ": " + put.message());
    }
  }
  for (const auto& tag : done.written) {
    m->result.tags_left.push_back(tag);
    result->warnings.push_back("image '" + m->name + "': tag '" + tag + "' is new at " + m->plan.target.env->Name() +
                               " and was left in place (it names " + m->plan.digest.str() + ")");
  }
}

// Tags last, member by member; when one member's write fails, every member tagged so far
// (and what the failing one had written) goes back.
Status TagAll(const PromotionContext& ctx, SetMembers& members, RunResult* result) {
  for (size_t k = 0; k < members.size(); ++k) {
    SetMember& m = *members[k];
    Status st = InImage(WriteTargetTags(MemberContext(ctx, m), &m.plan, &m.result), m);
    if (st.ok()) continue;
    m.result.status = st;
    for (size_t i = 0; i <= k; ++i) RestoreMemberTags(members[i].get(), result);
    return st;
  }
  return OkStatus();
}

// What the agent's progress reports say the set is doing, and the run's cancellation between
// phases (as a single promotion has them).
Status EnterSetPhase(const PromotionContext& ctx, const char* name) {
  if (ctx.request.progress != nullptr) ctx.request.progress->phase = name;
  if (ctx.request.cancel != nullptr && ctx.request.cancel->cancelled()) {
    return Status(Code::kCancelled, std::string("cancelled before the set's ") + name + " phase");
  }
  return OkStatus();
}

// Copy, sign, tag and record (one record for the set, beside each member): phases 7-10 across
// the set, each phase for every member before the next phase starts.
Status WriteAll(const PromotionContext& ctx, SetMembers& members, RunResult* result) {
  PROMOTE_RETURN_IF_ERROR(EnterSetPhase(ctx, "copy"));
  for (auto& m : members) PROMOTE_RETURN_IF_ERROR(InImage(CopyImage(MemberContext(ctx, *m), &m->plan, &m->result), *m));
  if (ctx.request.dry_run) {
    for (auto& m : members) ReportPlanned(m->plan, &m->result);
    result->outcome = Outcome::kPlanned;
    return OkStatus();
  }
  PROMOTE_RETURN_IF_ERROR(EnterSetPhase(ctx, "sign"));
  for (auto& m : members) PROMOTE_RETURN_IF_ERROR(InImage(SignTarget(MemberContext(ctx, *m), &m->plan, &m->result), *m));
  PROMOTE_RETURN_IF_ERROR(EnterSetPhase(ctx, "tag"));
  PROMOTE_RETURN_IF_ERROR(TagAll(ctx, members, result));
  // Records last, as for one image: a record marks its promotion done (MarkIncompleteRecords),
  // so a set whose tags failed leaves none, and the next environment refuses it until a re-run.
  PROMOTE_RETURN_IF_ERROR(EnterSetPhase(ctx, "record"));
  const std::vector<SetMemberRecord> set = SetRecordOf(members);
  for (auto& m : members) {
    m->plan.set_members = set;
    PROMOTE_RETURN_IF_ERROR(InImage(RecordPromotion(MemberContext(ctx, *m), &m->plan, &m->result), *m));
  }
  bool changed = false;
  for (const auto& m : members) changed = changed || m->plan.wrote_image || m->plan.wrote_meta || m->plan.wrote_tags;
  result->outcome = changed ? Outcome::kPromoted : Outcome::kUnchanged;
  return OkStatus();
}

}  // namespace

Status RunReleaseSet(const PromotionContext& ctx, const std::vector<std::string>& immutable_tags, RunResult* result) {
  SetMembers members;
  for (const auto& image : ctx.config.images) {
    auto m = std::make_unique<SetMember>();
    m->name = image.name;
    m->config = ctx.config.ForImage(image);
    m->result.image = image.name;
    members.push_back(std::move(m));
  }
  Status status = EnterSetPhase(ctx, "gates");
  if (status.ok()) status = GateAll(ctx, immutable_tags, members);
  if (status.ok()) status = WriteAll(ctx, members, result);
  for (auto& m : members) {
    for (const auto& w : m->result.warnings) result->warnings.push_back("image '" + m->name + "': " + w);
    m->result.outcome = result->outcome;
    m->result.dry_run = result->dry_run;
    result->images.push_back(std::move(m->result));
  }
  if (!result->images.empty()) result->record_reference = result->images.front().record_reference;
  return status;
}

}  // namespace promote::promotion
