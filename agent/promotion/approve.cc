#include "promotion/approve.h"

#include <memory>

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

// One image the approval is for, found in the environment promotions into `env` come from.
struct ApprovedImage {
  std::string name;  // the set member's name; "" for promote.yaml's one image
  policy::Environment source;  // a copy: a set member's config is a temporary
  std::shared_ptr<registry::RegistryClient> client;
  registry::ManifestHead head;
};

Result<ApprovedImage> FindApprovedImage(const policy::PromoteConfig& config, const std::string& name,
                                        const std::string& env_name, const std::string& sha,
                                        registry::RegistryPool& registries, const CancelToken* cancel) {
  const policy::Environment* env = config.FindEnvironment(env_name);
  const policy::Environment* source = &ApprovalHome(config, *env);
  PROMOTE_ASSIGN_OR_RETURN(auto client, registries.Get(source->registry, source->repository));
  const std::string tag = policy::RenderImmutableTag(config.immutable_tag, sha);
  PROMOTE_ASSIGN_OR_RETURN(auto head, client->HeadManifest(source->repository, tag,
                                                           {registry::RepositoryScope(source->repository, "pull")},
                                                           cancel));
  if (!head) {
    return NotFound("no image for commit " + sha + " in '" + source->name + "' (" + source->Name() + ":" + tag +
                    (name.empty() ? "" : ", image '" + name + "'") + "); approvals are for an image that exists");
  }
  return ApprovedImage{name, *source, std::move(client), *head};
}

// promote.yaml's image, or every image of its release set: all are found before any is written,
// so a set whose image is missing somewhere gets no approval at all.
Result<std::vector<ApprovedImage>> FindApprovedImages(const policy::PromoteConfig& config, const std::string& env,
                                                      const std::string& sha, registry::RegistryPool& registries,
                                                      const CancelToken* cancel) {
  std::vector<ApprovedImage> out;
  if (config.images.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(auto one, FindApprovedImage(config, "", env, sha, registries, cancel));
    out.push_back(std::move(one));
    return out;
  }
  for (const auto& image : config.images) {
    PROMOTE_ASSIGN_OR_RETURN(auto member,
                             FindApprovedImage(config.ForImage(image), image.name, env, sha, registries, cancel));
    out.push_back(std::move(member));
  }
  return out;
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
  PROMOTE_ASSIGN_OR_RETURN(auto images, FindApprovedImages(config, request.env, sha, registries, request.cancel));
  Approval approval;
  approval.approver = request.approver;
  approval.env = env->name;
  approval.git_sha = sha;
  for (const auto& image : images) approval.digests.push_back(image.head.digest.str());  // the whole set
  approval.time = result->time = NowRfc3339();
  approval.comment = request.comment;
  approval.ci = request.ci;
  approval.caller = request.caller;
  for (const auto& image : images) {
    ApproveResult::Image written{image.name, image.source.Name() + "@" + image.head.digest.str(),
                                 image.head.digest.str(), ""};
    registry::Scopes scopes = {registry::RepositoryScope(image.source.repository, "pull,push")};
    oci::Descriptor subject{image.head.media_type, image.head.digest, image.head.size, {}, {}};
    PROMOTE_ASSIGN_OR_RETURN(written.attestation_reference,
                             WriteApproval(*image.client, image.source.repository, subject, approval, *key.key,
                                           scopes, request.cancel));
    result->images.push_back(std::move(written));
  }
  result->source_env = images.front().source.name;
  result->source_reference = result->images.front().source_reference;
  result->digest = result->images.front().digest;
  result->attestation_reference = result->images.front().attestation_reference;
  if (config.images.empty()) result->images.clear();  // one image: the top-level fields say it all
  return OkStatus();
}

}  // namespace

nlohmann::json ApproveResult::BodyJson() const {
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
  if (!images.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& i : images) {
      list.push_back({{"name", i.name},
                      {"source", {{"reference", i.source_reference}}},
                      {"digest", i.digest},
                      {"attestation", {{"reference", i.attestation_reference}}}});
    }
    body["images"] = std::move(list);
  }
  return body;
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
