#include "promotion/target_resolution.h"

#include <algorithm>
#include <optional>

#include "oci/reference.h"
#include "policy/branch_rules.h"

namespace promote::promotion {
namespace {

// The commit: --sha, or the one the branch carries; both given, one must be a prefix of the other.
Result<std::string> ResolveSha(const std::string& requested, const std::string& branch) {
  std::optional<std::string> branch_sha = policy::ShaFromBranch(branch);
  if (requested.empty()) {
    if (branch_sha) return *branch_sha;
    return InvalidArgument("--sha is required (branch '" + branch +
                           "' does not carry one as -sha-<hex>, and neither GIT_COMMIT nor GITHUB_SHA is set)");
  }
  PROMOTE_ASSIGN_OR_RETURN(std::string sha, policy::NormaliseSha(requested));
  if (branch_sha && sha.rfind(*branch_sha, 0) != 0 && branch_sha->rfind(sha, 0) != 0) {
    return InvalidArgument("--sha " + sha + " does not match the SHA in branch '" + branch + "' (" + *branch_sha +
                           ")");
  }
  return sha;
}

// --to, or the one environment the branch may promote into.
Result<std::string> ResolveTo(const policy::PromoteConfig& config, const std::string& requested,
                              const PromotionTarget& target) {
  if (!requested.empty()) return requested;
  if (target.allowed.empty()) {
    // --to would only be refused by the branch gate: say so instead of suggesting it.
    return GateRefused("branch '" + target.branch + "' maps to no environment (no rule under branches: in " +
                       config.origin + ", nor a Git-flow default, lets it promote)");
  }
  if (target.allowed.size() != 1) {
    return InvalidArgument("branch '" + target.branch + "' may promote into " + JoinNames(target.allowed) +
                           "; pass --to to choose");
  }
  return target.allowed.front();
}

}  // namespace

std::string JoinNames(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& x : names) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}

Status ResolveTarget(const policy::PromoteConfig& config, const RunRequest& request, PromotionTarget* target) {
  target->branch = request.branch;
  if (target->branch.empty()) {
    return InvalidArgument("--branch is required (or BRANCH_NAME / GITHUB_REF_NAME): the Git-flow rules decide "
                           "where a branch may promote");
  }
  PROMOTE_RETURN_IF_ERROR(policy::ValidateBranchName(target->branch));
  PROMOTE_ASSIGN_OR_RETURN(target->sha, ResolveSha(request.sha, target->branch));
  target->allowed = policy::AllowedEnvironments(config, target->branch);
  PROMOTE_ASSIGN_OR_RETURN(std::string to, ResolveTo(config, request.to, *target));
  target->env = config.FindEnvironment(to);
  if (target->env == nullptr) return InvalidArgument("unknown environment '" + to + "' (not in " + config.origin + ")");
  const policy::Environment* source = nullptr;
  if (!request.from.empty()) {
    source = config.FindEnvironment(request.from);
    if (source == nullptr) return InvalidArgument("unknown environment '" + request.from + "' given as --from");
  } else {
    source = config.SourceOf(*target->env);
  }
  // The first environment receives builds directly: its "promotion" tags and records in place.
  target->source = source != nullptr ? source : target->env;
  return OkStatus();
}

GateResult BranchGate(const PromotionTarget& target) {
  const std::string& env = target.env->name;
  if (std::find(target.allowed.begin(), target.allowed.end(), env) == target.allowed.end()) {
    return {"branch", Verdict::kRefused,
            "branch '" + target.branch + "' may not promote into '" + env + "' (it may promote into " +
                JoinNames(target.allowed) + ")"};
  }
  return {"branch", Verdict::kPassed, "branch '" + target.branch + "' may promote into '" + env + "'"};
}

Status CheckSigningSetup(const policy::PromoteConfig& config, const policy::Environment& env, bool have_key,
                         std::vector<std::string>* warnings) {
  // The key may come from promote.yaml or from the agent, so its absence is found here, before
  // anything is read or written, rather than when the file is parsed.
  if (have_key) return OkStatus();
  if (env.sign) {
    return InvalidArgument("environment '" + env.name + "' signs images (" + config.origin + ":" +
                           std::to_string(env.line) + ") but no signing key is configured: set signing: key: in " +
                           config.origin + ", or in the agent's agent.yaml");
  }
  // Without a key no record is written, and the record is what the next environment's
  // stage-order gate looks for: a promotion that looks done here would be refused there.
  std::string gated;  // later environments (their source is this one) with stage order on
  for (const auto& e : config.environments) {
    if (&e == &env || !e.stage_order || config.SourceOf(e) != &env) continue;
    gated += (gated.empty() ? "'" : ", '") + e.name + "' (" + config.origin + ":" + std::to_string(e.line) + ")";
  }
  if (!gated.empty()) {
    return InvalidArgument("no signing key is configured, so a promotion into '" + env.name +
                           "' would write no promotion record, and the stage-order gate of " + gated +
                           " would then refuse the image: set signing: key: in " + config.origin +
                           ", or promote through an agent that has a signing key, or set stage-order: false on " +
                           gated);
  }
  warnings->push_back("no signing key is configured: no promotion record is written for '" + env.name +
                      "', so history will not show this promotion; set signing: key: in " + config.origin +
                      " to record it");
  return OkStatus();
}

Result<std::vector<std::string>> ImmutableTags(const policy::PromoteConfig& config, const std::string& sha,
                                               const std::string& branch) {
  std::string commit_tag = policy::RenderImmutableTag(config.immutable_tag, sha);
  if (config.immutable_tag.find("{sha}") != std::string::npos && sha.size() != 40) {
    return InvalidArgument("the immutable tag template " + config.immutable_tag + " needs the full 40-character SHA");
  }
  if (config.immutable_tag.find("{sha12}") != std::string::npos && sha.size() < 12) {
    return InvalidArgument("the immutable tag template " + config.immutable_tag +
                           " needs at least 12 characters of the SHA (--sha " + sha + ")");
  }
  PROMOTE_RETURN_IF_ERROR(oci::ValidateTag(commit_tag));
  std::vector<std::string> tags = {commit_tag};
  if (config.version_tag_from_branch) {
    if (auto version = policy::VersionFromBranch(branch)) {
      if (oci::ValidateTag(*version).ok()) tags.push_back(*version);
    }
  }
  return tags;
}

}  // namespace promote::promotion
