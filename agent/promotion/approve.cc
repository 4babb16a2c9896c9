#include "promotion/approve.h"

#include "copy/copy_report.h"
#include "policy/branch_rules.h"
#include "promotion/approval.h"
#include "promotion/approval_gate.h"
#include "promotion/promotion_record.h"

namespace promote::promotion {
namespace {

std::string Listed(const policy::ApprovalGateConfig& gate) {
  std::string s;
  for (const auto& a : gate.approvers) s += (s.empty() ? "" : ", ") + a.identity;
  return s;
}

// The approval gate of `request.env` and the approver's entry in it, or why not.
Result<const policy::Approver*> CheckApprover(const policy::PromoteConfig& config, const policy::Environment& env,
                                              const ApproveRequest& request) {
  const std::string where = config.origin + ":" + std::to_string(env.line) + ": environment '" + env.name + "'";
  if (!env.approval) return InvalidArgument(where + " has no approval gate (gates: approval:), so needs no approval");
  if (request.approver.empty()) {
    return InvalidArgument("--approver is required (the CI actor is used when the CI system reports one)");
  }
  const policy::Approver* listed = env.approval->Find(request.approver);
  if (listed == nullptr) {
    return InvalidArgument("'" + request.approver + "' is not an approver of " + where + " (its approvers: " +
                           Listed(*env.approval) + ")");
  }
  if (!listed->key.empty() && !request.own_key) {
    return InvalidArgument("'" + request.approver + "' approves with a key of their own (" + listed->key + ", " +
                           where + "): run promote approve in-process with --key, not through an agent");
  }
  return listed;
}

Status ApproveInto(const policy::PromoteConfig& config, registry::RegistryPool& registries, const SigningKey& key,
                   const ApproveRequest& request, ApproveResult* result) {
  const policy::Environment* env = config.FindEnvironment(request.env);
  if (env == nullptr) return InvalidArgument("unknown environment '" + request.env + "' (not in " + config.origin + ")");
  PROMOTE_ASSIGN_OR_RETURN(std::string sha, policy::NormaliseSha(request.sha));
  result->sha = sha;
  PROMOTE_RETURN_IF_ERROR(CheckApprover(config, *env, request).status());
  if (!key.key) {
    return InvalidArgument("an approval is signed: pass --key (the approver's cosign key), set signing: in " +
                           config.origin + ", or approve through an agent that has a signing key");
  }
  const policy::Environment* source = &ApprovalHome(config, *env);
  result->source_env = source->name;
  PROMOTE_ASSIGN_OR_RETURN(auto client, registries.Get(source->registry, source->repository));
  registry::Scopes scopes = {registry::RepositoryScope(source->repository, "pull,push")};
  const std::string tag = policy::RenderImmutableTag(config.immutable_tag, sha);
  PROMOTE_ASSIGN_OR_RETURN(auto head, client->HeadManifest(source->repository, tag, scopes, request.cancel));
  if (!head) {
    return NotFound("no image for commit " + sha + " in '" + source->name + "' (" + source->Name() + ":" + tag +
                    "); approvals are for an image that exists");
  }
  result->digest = head->digest.str();
  result->source_reference = source->Name() + "@" + result->digest;
  Approval approval;
  approval.approver = request.approver;
  approval.env = env->name;
  approval.git_sha = sha;
  approval.digests = {result->digest};
  approval.time = result->time = NowRfc3339();
  approval.comment = request.comment;
  approval.ci = request.ci;
  approval.caller = request.caller;
  oci::Descriptor subject{head->media_type, head->digest, head->size, {}, {}};
  PROMOTE_ASSIGN_OR_RETURN(result->attestation_reference,
                           WriteApproval(*client, source->repository, subject, approval, *key.key, scopes,
                                         request.cancel));
  return OkStatus();
}

}  // namespace

nlohmann::json ApproveResult::ToJson() const {
  auto str_or_null = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  nlohmann::json body = {{"status", status.ok() ? "approved" : "failed"},
                         {"env", env},
                         {"sha", sha},
                         {"approver", approver},
                         {"source", {{"env", str_or_null(source_env)}, {"reference", str_or_null(source_reference)}}},
                         {"digest", str_or_null(digest)},
                         {"time", str_or_null(time)},
                         {"attestation", attestation_reference.empty()
                                             ? nlohmann::json(nullptr)
                                             : nlohmann::json{{"reference", attestation_reference},
                                                              {"predicate_type", kApprovalPredicateType}}}};
  return copy::ResultEnvelope("approve", status, std::move(body));
}

ApproveResult Approve(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                      const SigningKey& key, const ApproveRequest& request) {
  ApproveResult result;
  result.env = request.env;
  result.sha = request.sha;
  result.approver = request.approver;
  result.status = ApproveInto(config, registries, key, request, &result);
  return result;
}

}  // namespace promote::promotion
