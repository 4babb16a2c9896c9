// The signature gate: the source digest carries a cosign signature made with the key the
// environment names (signature: key: in promote.yaml), for an identity the policy accepts.
#include "promotion/gates/gates.h"
#include "sign/image_verifier.h"

namespace promote::promotion {
namespace {

sign::IdentityPolicy IdentityPolicyOf(const policy::SignatureGateConfig& gate) {
  if (gate.identity_policy == "exact") return sign::IdentityPolicy::kExact;
  if (gate.identity_policy == "ignore") return sign::IdentityPolicy::kIgnore;
  return sign::IdentityPolicy::kMatchRepository;
}

// The key travels with the request like every file promote.yaml names (policy/attached_files.h).
Result<sign::PublicKey> GateKey(const PromotionContext& ctx, const policy::Environment& env) {
  const std::string& name = env.verify->public_key;
  const std::string what =
      ctx.config.origin + ":" + std::to_string(env.line) + ": environment '" + env.name + "' signature gate key";
  PROMOTE_ASSIGN_OR_RETURN(std::string pem, ctx.AttachedFile(name, what));
  return sign::PublicKey::FromPem(pem, name);
}

}  // namespace

GateOutcome SignatureGate(const PromotionContext& ctx, PromotionPlan* plan) {
  const policy::Environment& env = *plan->target.env;
  const policy::Environment& source = *plan->target.source;
  if (!env.verify) return NotApplicable();
  PROMOTE_ASSIGN_OR_RETURN(sign::PublicKey key, GateKey(ctx, env));
  sign::IdentityExpectation expect;
  expect.policy = IdentityPolicyOf(*env.verify);
  // Signatures travel with the image, so one made where the image was built (dev) names that
  // repository: any environment of this application is an acceptable identity.
  std::vector<std::string> identities = {source.Name()};
  for (const auto& e : ctx.config.environments) {
    if (e.Name() != source.Name()) identities.push_back(e.Name());
  }
  sign::VerifyReport report;
  for (const auto& identity : identities) {
    expect.identity = identity;
    PROMOTE_ASSIGN_OR_RETURN(report, sign::VerifyImage(*plan->ends.source_client, source.repository, plan->source_digest,
                                                       key, expect, plan->ends.source.scopes, ctx.request.cancel));
    if (report.verified() || expect.policy == sign::IdentityPolicy::kIgnore) break;
  }
  if (Status verdict = report.ToStatus(); !verdict.ok()) {
    return Judged({"signature", Verdict::kRefused, verdict.message()});
  }
  return Judged({"signature", Verdict::kPassed,
                    std::to_string(report.verified_count()) + " signature(s) verified on the source"});
}

}  // namespace promote::promotion
