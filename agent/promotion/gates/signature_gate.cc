// The signature gate: the source digest carries a signature made with the key the environment
// names (signature: key: in promote.yaml), either a cosign .sig signature for an identity the
// policy accepts or a Sigstore bundle referrer (cosign v3) — key-only, or with its log entries
// checked when the gate names a trusted root. The verdict says which format verified.
#include <optional>

#include "promotion/gates/gates.h"
#include "sign/bundle_image_verifier.h"
#include "sign/image_verifier.h"
#include "sigstore/trusted_root.h"
#include "sigstore/verification_key.h"

namespace promote::promotion {
namespace {

sigstore::IdentityPolicy IdentityPolicyOf(const policy::SignatureGateConfig& gate) {
  if (gate.identity_policy == "exact") return sigstore::IdentityPolicy::kExact;
  if (gate.identity_policy == "ignore") return sigstore::IdentityPolicy::kIgnore;
  return sigstore::IdentityPolicy::kMatchRepository;
}

std::string GateWhat(const PromotionContext& ctx, const policy::Environment& env, const std::string& what) {
  return ctx.config.origin + ":" + std::to_string(env.line) + ": environment '" + env.name + "' signature gate " + what;
}

// The files travel with the request like every file promote.yaml names (policy/attached_files.h).
Result<std::optional<sigstore::TrustedRoot>> GateTrustedRoot(const PromotionContext& ctx,
                                                             const policy::Environment& env) {
  const std::string& name = env.verify->trusted_root;
  if (name.empty()) return std::optional<sigstore::TrustedRoot>();
  const std::string what = GateWhat(ctx, env, "trusted root");
  PROMOTE_ASSIGN_OR_RETURN(std::string json, ctx.AttachedFile(name, what));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::TrustedRoot root, sigstore::ParseTrustedRoot(json, what + " " + name));
  return std::optional<sigstore::TrustedRoot>(std::move(root));
}

// cosign .sig signatures, for any identity of this application (a signature made where the image
// was built, dev, names that repository).
Result<sign::VerifyReport> VerifyCosign(const PromotionContext& ctx, const PromotionPlan& plan,
                                        const sigstore::PublicKey& key) {
  const policy::Environment& env = *plan.target.env;
  const policy::Environment& source = *plan.target.source;
  sign::IdentityExpectation expect;
  expect.policy = IdentityPolicyOf(*env.verify);
  std::vector<std::string> identities = {source.Name()};
  for (const auto& e : ctx.config.environments) {
    if (e.Name() != source.Name()) identities.push_back(e.Name());
  }
  sign::VerifyReport report;
  for (const auto& identity : identities) {
    expect.identity = identity;
    PROMOTE_ASSIGN_OR_RETURN(report, sign::VerifyImage(*plan.ends.source_client, source.repository, plan.source_digest,
                                                       key, expect, plan.ends.source.scopes, ctx.request.cancel));
    if (report.verified() || expect.policy == sigstore::IdentityPolicy::kIgnore) break;
  }
  return report;
}

nlohmann::json BundleData(const sign::BundleReport& report) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& b : report.bundles) {
    nlohmann::json timestamps = nlohmann::json::array();
    for (const auto& t : b.timestamps)
      timestamps.push_back({{"time", sigstore::FormatRfc3339(t.time)}, {"tsa", t.tsa_subject}});
    list.push_back({{"referrer", b.referrer.str()},
                    {"verified", b.verified},
                    {"verification", b.verified ? nlohmann::json(b.key_only ? "key-only" : "transparency-log")
                                                : nlohmann::json(nullptr)},
                    {"timestamps", std::move(timestamps)},
                    {"timestamps_unchecked", b.timestamps_unchecked},
                    {"reason", b.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(b.reason)}});
  }
  return list;
}

}  // namespace

GateOutcome SignatureGate(const PromotionContext& ctx, PromotionPlan* plan) {
  const policy::Environment& env = *plan->target.env;
  if (!env.verify) return NotApplicable();
  const std::string& key_name = env.verify->public_key;
  PROMOTE_ASSIGN_OR_RETURN(std::string pem, ctx.AttachedFile(key_name, GateWhat(ctx, env, "key")));
  // Bundles may be signed with any key Sigstore supports; cosign .sig signatures only with P-256.
  PROMOTE_ASSIGN_OR_RETURN(sigstore::VerificationKey bundle_key,
                           sigstore::VerificationKey::FromPem(pem, key_name));
  auto cosign_key = sigstore::PublicKey::FromPem(pem, key_name);
  PROMOTE_ASSIGN_OR_RETURN(auto root, GateTrustedRoot(ctx, env));

  sign::VerifyReport cosign;
  if (cosign_key.ok()) {
    PROMOTE_ASSIGN_OR_RETURN(cosign, VerifyCosign(ctx, *plan, *cosign_key));
  }
  const policy::Environment& source = *plan->target.source;
  PROMOTE_ASSIGN_OR_RETURN(sign::BundleReport bundles,
                           sign::VerifyImageBundles(*plan->ends.source_client, source.repository, plan->source_digest,
                                                    bundle_key, root ? &*root : nullptr, sign::kCosignSignPredicateType,
                                                    plan->ends.source.scopes, ctx.request.cancel));
  nlohmann::json formats = nlohmann::json::array();
  if (cosign.verified()) formats.push_back("cosign");
  if (bundles.verified_count() > 0) formats.push_back("bundle");
  const char* bundle_check = root ? "transparency-log" : "key-only";
  nlohmann::json data = {{"key", key_name},
                         {"formats_verified", formats},
                         {"cosign_verified", cosign.verified_count()},
                         {"bundles_verified", bundles.verified_count()},
                         {"bundle_verification", bundle_check},
                         {"bundles", BundleData(bundles)}};
  if (formats.empty()) {
    return Judged({"signature", Verdict::kRefused,
                   "no signature by " + key_name + " verifies on the source: cosign .sig: " +
                       cosign.ToStatus().message() + "; bundles: " + bundles.ToStatus().message(),
                   std::move(data)});
  }
  std::string detail;
  if (cosign.verified()) detail = std::to_string(cosign.verified_count()) + " cosign signature(s)";
  if (bundles.verified_count() > 0) {
    detail += (detail.empty() ? "" : " and ") + std::to_string(bundles.verified_count()) + " Sigstore bundle(s) (" +
              bundle_check + ")";
  }
  return Judged({"signature", Verdict::kPassed, detail + " verified on the source", std::move(data)});
}

}  // namespace promote::promotion
