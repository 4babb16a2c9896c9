#include "promotion/policy_check.h"

#include <algorithm>
#include <functional>

#include "policy/branch_rules.h"
#include "scan/trivyignore.h"
#include "sigstore/ec_key.h"

namespace promote::promotion {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

// Refusals name the rule: "agent.yaml:31: policy environment 'prod' (prod.registry/shop/*): …".
class Refusal {
 public:
  Refusal(const policy::ServerPolicy& policy, const policy::EnvironmentRule& rule)
      : prefix_(policy.Where(rule.line) + ": policy environment '" + rule.name + "' (" + Join(rule.repositories) +
                "): ") {}
  Status operator()(const std::string& why) const { return Status(Code::kGateRefused, prefix_ + why); }

 private:
  std::string prefix_;
};

bool SameKey(const std::string& pem_a, const std::string& pem_b) {
  auto a = sigstore::PublicKey::FromPem(pem_a, "key");
  auto b = sigstore::PublicKey::FromPem(pem_b, "key");
  return a.ok() && b.ok() && a->SpkiDer() == b->SpkiDer();
}

Status CheckProvenance(const policy::ProvenanceFloor& floor, const policy::Environment& env,
                       const policy::AttachedFiles& files, const Refusal& refuse) {
  if (!env.provenance) return refuse("the provenance gate must run, and promote.yaml has none for '" + env.name + "'");
  const policy::ProvenanceGateConfig& gate = *env.provenance;
  PROMOTE_ASSIGN_OR_RETURN(std::string pem, files.Get(gate.public_key, "provenance gate key of '" + env.name + "'"));
  if (std::none_of(floor.key_pems.begin(), floor.key_pems.end(),
                   [&](const std::string& allowed) { return SameKey(allowed, pem); })) {
    return refuse("the provenance gate's key " + gate.public_key + " is not one of the policy's (" + Join(floor.keys) +
                  ")");
  }
  if (!floor.builder_id.empty() && gate.builder_id != floor.builder_id) {
    return refuse("the provenance gate's builder-id must be '" + floor.builder_id + "' (promote.yaml has " +
                  (gate.builder_id.empty() ? std::string("none") : "'" + gate.builder_id + "'") + ")");
  }
  if (gate.build_level > floor.build_level) {
    return refuse("build-level " + std::to_string(gate.build_level) + " claims more than the policy vouches for (" +
                  std::to_string(floor.build_level) + ")");
  }
  return OkStatus();
}

Status CheckScan(const policy::ScanFloor& floor, const policy::Environment& env, const policy::AttachedFiles& files,
                 const Refusal& refuse) {
  if (!env.scan) return refuse("the scan gate must run, and promote.yaml has none for '" + env.name + "'");
  const policy::ScanGateConfig& gate = *env.scan;
  for (const auto& s : floor.scanners) {
    if (std::find(gate.scanners.begin(), gate.scanners.end(), s) == gate.scanners.end()) {
      return refuse("scanner '" + s + "' must run (promote.yaml runs " + Join(gate.scanners) + ")");
    }
  }
  const auto severity = [](scan::Severity s) { return std::string(scan::SeverityName(s)); };
  if (gate.policy.threshold > floor.fail_on) {
    return refuse("fail-on " + severity(gate.policy.threshold) + " is looser than the policy's " +
                  severity(floor.fail_on));
  }
  if (gate.policy.unknown_counts_as < floor.unknown_as) {
    return refuse("unknown-as " + severity(gate.policy.unknown_counts_as) + " is looser than the policy's " +
                  severity(floor.unknown_as));
  }
  if (gate.policy.ignore_unfixed && !floor.ignore_unfixed_allowed) {
    return refuse("ignore-unfixed: true is not allowed by the policy");
  }
  if (gate.warn_on_scanner_error) return refuse("on-error: warn is not allowed: a scanner that fails refuses");
  if (!gate.platforms.empty()) return refuse("platforms: the policy scans every platform of the image");
  for (const auto& [sev, count] : gate.policy.max_count) {
    if (sev >= floor.fail_on && count > 0) {
      return refuse("max " + severity(sev) + ": " + std::to_string(count) + " tolerates findings the policy refuses");
    }
  }
  std::vector<scan::AllowEntry> accepted = gate.policy.allowlist;
  if (!gate.trivyignore.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(std::string content, files.Get(gate.trivyignore, "trivyignore of '" + env.name + "'"));
    PROMOTE_ASSIGN_OR_RETURN(auto entries, scan::ParseTrivyIgnore(content, gate.trivyignore,
                                                                  scan::TrivyIgnoreFormatFor(gate.trivyignore)));
    accepted.insert(accepted.end(), entries.begin(), entries.end());
  }
  for (const auto& entry : accepted) {
    if (floor.allow.count(entry.id) == 0) {
      return refuse("accepting " + entry.id + " is not allowed by the policy (its allow list: " +
                    (floor.allow.empty() ? std::string("none") : Join({floor.allow.begin(), floor.allow.end()})) +
                    ")");
    }
  }
  return OkStatus();
}

// "alice, bob, dave": the approvers the policy names, for refusals.
std::string ApproverNames(const policy::ApprovalFloor& floor) {
  std::vector<std::string> names;
  for (const auto& f : floor.approvers) names.push_back(f.identity);
  return Join(names);
}

// With the policy naming approvers, promote.yaml may list only them, and one the policy gives a
// key must be listed with that key (else the agent's key would vouch for them).
Status CheckApprovers(const policy::ApprovalFloor& floor, const policy::ApprovalGateConfig& gate,
                      const std::string& env_name, const policy::AttachedFiles& files, const Refusal& refuse) {
  if (floor.approvers.empty()) return OkStatus();
  for (const auto& a : gate.approvers) {
    const policy::Approver* allowed = policy::FindApprover(floor.approvers, a.identity);
    if (allowed == nullptr) {
      return refuse("approver '" + a.identity + "' is not one the policy allows (" + ApproverNames(floor) + ")");
    }
    auto pem = floor.approver_key_pems.find(a.identity);
    if (pem == floor.approver_key_pems.end()) continue;
    if (a.key.empty()) {
      return refuse("approver '" + a.identity + "' approves with their own key (" + allowed->key +
                    "): promote.yaml must list it");
    }
    PROMOTE_ASSIGN_OR_RETURN(std::string listed,
                             files.Get(a.key, "approval gate key of '" + a.identity + "' in '" + env_name + "'"));
    if (!SameKey(pem->second, listed)) {
      return refuse("approver '" + a.identity + "''s key " + a.key + " is not the policy's (" + allowed->key + ")");
    }
  }
  return OkStatus();
}

Status CheckChangeControl(const policy::EnvironmentRule& rule, const policy::Environment& env,
                          const policy::AttachedFiles& files, const std::string& break_glass, const Refusal& refuse) {
  using policy::FormatDuration;
  if (const auto& floor = rule.approval) {
    if (!env.approval) return refuse("the approval gate must run, and promote.yaml has none for '" + env.name + "'");
    if (env.approval->required < floor->required) {
      return refuse("approval required " + std::to_string(env.approval->required) + " is fewer than the policy's " +
                    std::to_string(floor->required));
    }
    if (floor->no_self_approval && !env.approval->no_self_approval) {
      return refuse("no-self-approval: false is not allowed: the author may not approve their own commit");
    }
    if (floor->max_expires_after && env.approval->expires_after > *floor->max_expires_after) {
      return refuse("approval expires-after " + FormatDuration(env.approval->expires_after) +
                    " is longer than the policy's " + FormatDuration(*floor->max_expires_after));
    }
    PROMOTE_RETURN_IF_ERROR(CheckApprovers(*floor, *env.approval, env.name, files, refuse));
  }
  if (rule.soak && (!env.soak || *env.soak < *rule.soak)) {
    return refuse("the soak gate must require at least " + FormatDuration(*rule.soak) + " (promote.yaml: " +
                  (env.soak ? FormatDuration(*env.soak) : std::string("none")) + ")");
  }
  if (rule.window_required && !env.window) {
    return refuse("the window gate must run, and promote.yaml has none for '" + env.name + "'");
  }
  if (!break_glass.empty() && !rule.break_glass_allowed) {
    return refuse("break-glass is forbidden here by the policy (window: break-glass: false)");
  }
  return OkStatus();
}

struct RuleFor {
  const policy::ApplicationRule* app;
  const policy::EnvironmentRule* rule;
};

// The rule for writing into `env`. The repository written decides, not the names a request
// chooses (image:, the environment's name): the first rule, in agent.yaml's order, that covers
// it, which must belong to the request's application.
Result<RuleFor> FindRule(const policy::ServerPolicy& policy, const policy::PromoteConfig& config,
                         const policy::Environment& env) {
  for (const auto& a : policy.applications) {
    const policy::EnvironmentRule* rule = a.ForRepository(env.Name());
    if (rule == nullptr) continue;
    if (!a.Matches(config.image)) {
      return Status(Code::kGateRefused, policy.Where(a.line) + ": " + env.Name() + " belongs to the policy for " +
                                            Join(a.applications) + ", not to application '" + config.image + "'");
    }
    return RuleFor{&a, rule};
  }
  return Status(Code::kGateRefused, policy.origin + ": environment '" + env.name + "' writes " + env.Name() +
                                        ", which no environment of the policy may write");
}

// Whether `branch` may write into the rule's environment (`action`: "promote", "roll back").
Status CheckBranch(const policy::EnvironmentRule& rule, const std::string& branch, const std::string& action,
                   const Refusal& refuse) {
  if (std::none_of(rule.branches.begin(), rule.branches.end(),
                   [&](const std::string& p) { return policy::BranchMatches(p, branch); })) {
    return refuse("branch '" + branch + "' may not " + action + " here (the policy allows " + Join(rule.branches) +
                  ")");
  }
  return OkStatus();
}

// Runs `check` on the rule for writing into the environment `env_name` of `config`: for a
// release set on each image's (as promote.yaml sees that image), a refusal naming the image. No
// policy, or an environment promote.yaml does not have (the operation reports it): nothing to check.
using RuleCheck = std::function<Status(const policy::PromoteConfig&, const policy::Environment&, const RuleFor&)>;
Status CheckEachImageRule(const policy::ServerPolicy& policy, const policy::PromoteConfig& config,
                          const std::string& env_name, const RuleCheck& check) {
  if (policy.empty()) return OkStatus();
  if (!config.images.empty()) {  // each image writes its own repository, which has its rule
    for (const auto& image : config.images) {
      Status member = CheckEachImageRule(policy, config.ForImage(image), env_name, check);
      if (!member.ok()) return member.WithContext("image '" + image.name + "'");
    }
    return OkStatus();
  }
  const policy::Environment* env = config.FindEnvironment(env_name);
  if (env == nullptr) return OkStatus();
  PROMOTE_ASSIGN_OR_RETURN(const RuleFor found, FindRule(policy, config, *env));
  return check(config, *env, found);
}

// Whether promoting `config`'s image into `environment` is within the rule `found`: the branch,
// stage order, signing, the signature, provenance and scan gates, and change control.
Status CheckPromotionRule(const policy::ServerPolicy& policy, const policy::PromoteConfig& config,
                          const policy::Environment& environment, const RuleFor& found, const std::string& branch,
                          const policy::AttachedFiles& files, const std::string& break_glass) {
  const policy::Environment* env = &environment;
  const policy::ApplicationRule* app = found.app;
  const policy::EnvironmentRule* rule = found.rule;
  const Refusal refuse(policy, *rule);
  PROMOTE_RETURN_IF_ERROR(CheckBranch(*rule, branch, "promote", refuse));
  if (!rule->after.empty()) {
    const policy::EnvironmentRule* after = app->Named(rule->after);
    const policy::Environment* previous = config.SourceOf(*env);
    if (!env->stage_order) return refuse("stage-order: false is not allowed: it comes after '" + rule->after + "'");
    if (previous == nullptr || after == nullptr || !after->Covers(previous->Name())) {
      return refuse("its stage order must require the record of policy environment '" + rule->after + "' (" +
                    (after != nullptr ? Join(after->repositories) : std::string()) + "); promote.yaml's previous "
                    "environment is " + (previous != nullptr ? "'" + previous->name + "' at " + previous->Name() : "none"));
    }
  }
  if (rule->sign && !env->sign) return refuse("images must be signed at the target (sign: true)");
  if (!rule->signature_key_pems.empty()) {
    if (!env->verify) return refuse("the signature gate must run, and promote.yaml has none for '" + env->name + "'");
    if (env->verify->identity_policy == "ignore") return refuse("identity-policy: ignore is not allowed");
    PROMOTE_ASSIGN_OR_RETURN(std::string pem,
                             files.Get(env->verify->public_key, "signature gate key of '" + env->name + "'"));
    bool known = std::any_of(rule->signature_key_pems.begin(), rule->signature_key_pems.end(),
                             [&](const std::string& allowed) { return SameKey(allowed, pem); });
    if (!known) {
      return refuse("the signature gate's key " + env->verify->public_key + " is not one of the policy's (" +
                    Join(rule->signature_keys) + ")");
    }
  }
  if (rule->provenance) PROMOTE_RETURN_IF_ERROR(CheckProvenance(*rule->provenance, *env, files, refuse));
  if (rule->scan) PROMOTE_RETURN_IF_ERROR(CheckScan(*rule->scan, *env, files, refuse));
  return CheckChangeControl(*rule, *env, files, break_glass, refuse);
}

}  // namespace

Status CheckPromotionAgainstPolicy(const policy::ServerPolicy& policy, const policy::PromoteConfig& config,
                                   const std::string& to, const std::string& branch,
                                   const policy::AttachedFiles& files, const std::string& break_glass) {
  return CheckEachImageRule(policy, config, to,
                            [&](const policy::PromoteConfig& image_config, const policy::Environment& env,
                                const RuleFor& found) {
                              return CheckPromotionRule(policy, image_config, env, found, branch, files, break_glass);
                            });
}

Status CheckApprovalAgainstPolicy(const policy::ServerPolicy& policy, const policy::PromoteConfig& config,
                                  const std::string& to, const std::string& approver, bool own_key) {
  if (policy.empty()) return OkStatus();
  if (!config.images.empty()) {  // a release set: each image's repository has its rule
    for (const auto& image : config.images) {
      PROMOTE_RETURN_IF_ERROR(CheckApprovalAgainstPolicy(policy, config.ForImage(image), to, approver, own_key));
    }
    return OkStatus();
  }
  const policy::Environment* env = config.FindEnvironment(to);
  if (env == nullptr) return OkStatus();  // the approval reports the unknown environment
  PROMOTE_ASSIGN_OR_RETURN(const RuleFor found, FindRule(policy, config, *env));
  const auto& floor = found.rule->approval;
  if (!floor || floor->approvers.empty()) return OkStatus();
  const Refusal refuse(policy, *found.rule);
  const policy::Approver* allowed = policy::FindApprover(floor->approvers, approver);
  if (allowed == nullptr) {
    return refuse("'" + approver + "' may not approve here (the policy's approvers: " + ApproverNames(*floor) + ")");
  }
  if (!allowed->key.empty() && !own_key) {
    return refuse("'" + approver + "' approves with their own key (" + allowed->key +
                  "), so the agent does not sign for them: approve in-process with that key");
  }
  return OkStatus();
}

Status CheckRollbackAgainstPolicy(const policy::ServerPolicy& policy, const policy::PromoteConfig& config,
                                  const std::string& env_name, const std::string& branch) {
  return CheckEachImageRule(policy, config, env_name,
                            [&](const policy::PromoteConfig&, const policy::Environment&, const RuleFor& found) {
                              const Refusal refuse(policy, *found.rule);
                              if (branch.empty()) {
                                return refuse("a rollback names the branch it runs for (--branch, or BRANCH_NAME, "
                                              "GITHUB_REF_NAME or GIT_BRANCH), which must be one the policy allows "
                                              "here (" + Join(found.rule->branches) + ")");
                              }
                              return CheckBranch(*found.rule, branch, "roll back", refuse);
                            });
}

Status CheckDirectWriteAgainstPolicy(const policy::ServerPolicy& policy, const std::string& host_repository,
                                     const std::string& operation) {
  const policy::EnvironmentRule* rule = policy.Covering(host_repository);
  if (rule == nullptr) return OkStatus();
  return Status(Code::kGateRefused, policy.Where(rule->line) + ": policy environment '" + rule->name + "' covers " +
                                        host_repository + ": only `promote run`, with the policy's gates, writes "
                                        "there (" + operation + " does not)");
}

}  // namespace promote::promotion
