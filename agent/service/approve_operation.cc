// promote approve: a signed approval of promoting a commit's image into an environment.
#include <sstream>

#include "promotion/approve.h"
#include "promotion/policy_check.h"
#include "service/promote_service.h"
#include "service/request_access.h"
#include "service/result_envelope.h"

namespace promote::service {
namespace {

// The key that signs: the approver's own, carried by the request (in-process only: an agent
// signs with its own key on the approver's behalf), else what signs everything else.
Result<promotion::SigningKey> ApprovalKeyFor(const ServiceSettings& settings, const policy::PromoteConfig& config,
                                             const v1::SigningKey& carried, bool* own_key) {
  *own_key = false;
  if (settings.resolve_request_references && !carried.key().content().empty()) {
    promotion::SigningKey out;
    PROMOTE_ASSIGN_OR_RETURN(out.key, PrivateKeyFrom(carried));
    out.public_key = std::make_shared<sigstore::PublicKey>(out.key->public_key());
    *own_key = true;
    return out;
  }
  return SigningKeyFor(settings, config, carried);
}

std::string RenderApproval(const promotion::ApproveResult& r) {
  if (!r.status.ok()) return "";
  std::ostringstream text;
  text << r.approver << " approved " << r.sha << " for '" << r.env << "'\n"
       << "  image: " << r.source_reference << "\n"
       << "  approval: " << r.attestation_reference << "\n";
  return text.str();
}

}  // namespace

Outcome PromoteService::Approve(const v1::ApproveRequest& request, OperationContext* ctx) const {
  const std::string kCommand = "approve";
  auto fail = [&](const Status& st) { return FailedOutcome(kCommand, st, {{"status", "failed"}}); };
  auto config = ConfigFrom(settings_, request.config(), "promote.yaml");
  if (!config.ok()) return fail(config.status());
  bool own_key = false;
  auto key = ApprovalKeyFor(settings_, *config, request.signing(), &own_key);
  if (!key.ok()) return fail(key.status());
  if (settings_.policy) {
    Status within = promotion::CheckApprovalAgainstPolicy(*settings_.policy, *config, request.env(),
                                                          request.approver(), own_key);
    if (!within.ok()) return FailedOutcome(kCommand, within, {{"status", "refused"}});
  }
  auto pool = PoolFor(settings_, request.access(), &*config);
  if (!pool.ok()) return fail(pool.status());
  ctx->progress.phase = "approve";

  promotion::ApproveRequest approve;
  approve.env = request.env();
  approve.sha = request.sha();
  approve.approver = request.approver();
  approve.comment = request.comment();
  approve.ci = CiContextFrom(request.ci());
  approve.caller = ctx->caller;
  approve.own_key = own_key;
  approve.cancel = &ctx->cancel;
  promotion::ApproveResult result = promotion::Approve(*config, **pool, *key, approve);

  Outcome out;
  out.command = kCommand;
  out.application = config->image;
  out.status = result.status;
  out.json = ResultEnvelope(kCommand, result.status, result.BodyJson());
  out.text = RenderApproval(result);
  return out;
}

}  // namespace promote::service
