// The approval gate as a phase: the approvals attached to the source digest where `promote
// approve` writes them (ApprovalHome), checked against the signing key and each approver's own,
// and the commit's author they may not come from. The judgement is promotion/approval_gate.h.
#include <map>
#include <memory>

#include "promotion/approval_gate.h"
#include "promotion/gates/gates.h"

namespace promote::promotion {
namespace {

using ApproverKeyMap = std::map<std::string, std::shared_ptr<sigstore::PublicKey>>;

// The keys approvals may be signed with: the signing key (kSigningKeyName) and each approver's own.
Result<ApproverKeyMap> ApproverKeys(const PromotionContext& ctx, const policy::Environment& env) {
  ApproverKeyMap keys;
  if (ctx.signing.public_key) keys[kSigningKeyName] = ctx.signing.public_key;
  for (const auto& a : env.approval->approvers) {
    if (a.key.empty()) continue;
    const std::string what = ctx.config.origin + ":" + std::to_string(env.line) + ": environment '" + env.name +
                             "' approval gate key of '" + a.identity + "'";
    PROMOTE_ASSIGN_OR_RETURN(std::string pem, ctx.AttachedFile(a.key, what));
    PROMOTE_ASSIGN_OR_RETURN(sigstore::PublicKey key, sigstore::PublicKey::FromPem(pem, what));
    keys[a.identity] = std::make_shared<sigstore::PublicKey>(std::move(key));
  }
  return keys;
}

// The commit's author: --author, else the CI actor of the earliest promotion record in the
// previous environment ("" when there is none).
Result<std::string> AuthorOf(const PromotionContext& ctx, PromotionPlan* plan) {
  if (!ctx.request.author.empty()) return ctx.request.author;
  const policy::Environment* previous = ctx.config.SourceOf(*plan->target.env);
  if (previous == nullptr) return std::string();
  PROMOTE_ASSIGN_OR_RETURN(const std::vector<CheckedRecord>* records, PreviousRecords(ctx, plan));
  const CheckedRecord* earliest = nullptr;
  for (const auto& r : *records) {
    if (!r.valid || r.record.to_env != previous->name || r.record.kind != "promotion") continue;
    if (earliest == nullptr || r.record.time < earliest->record.time) earliest = &r;
  }
  return earliest != nullptr ? earliest->record.ci.actor : std::string();
}

}  // namespace

GateOutcome ApprovalGate(const PromotionContext& ctx, PromotionPlan* plan) {
  const policy::Environment& env = *plan->target.env;
  if (!env.approval) return NotApplicable();
  PROMOTE_ASSIGN_OR_RETURN(std::string author, AuthorOf(ctx, plan));
  PROMOTE_ASSIGN_OR_RETURN(ApproverKeyMap owned, ApproverKeys(ctx, env));
  std::map<std::string, const sigstore::PublicKey*> keys;
  for (const auto& entry : owned) keys[entry.first] = entry.second.get();
  const policy::Environment& home = ApprovalHome(ctx.config, env);
  PROMOTE_ASSIGN_OR_RETURN(auto client, ctx.registries->Get(home.registry, home.repository));
  PROMOTE_ASSIGN_OR_RETURN(auto approvals,
                           ReadApprovals(*client, home.repository, plan->source_digest, keys,
                                         {registry::RepositoryScope(home.repository, "pull")}, ctx.request.cancel));
  GateResult g = JudgeApprovals(*env.approval, approvals,
                                {env.name, plan->target.sha, plan->source_digest.str(), author, ctx.now});
  if (!g.refused()) plan->approved_by = g.data["approved_by"].get<std::vector<std::string>>();
  return Judged(std::move(g));
}

}  // namespace promote::promotion
