// promote history and promote rollback: reading and acting on the promotion records.
#include <sstream>

#include "oci/reference.h"
#include "promotion/history.h"
#include "promotion/policy_check.h"
#include "promotion/rollback.h"
#include "service/promote_service.h"
#include "service/request_access.h"
#include "service/result_envelope.h"
#include "sigstore/ec_key.h"

namespace promote::service {
namespace {

// What the change-control gates said, under a record: the verdicts of its gates, who approved,
// and — loudly — a break-glass.
void RenderChangeControl(const promotion::PromotionRecord& record, std::ostringstream& text) {
  std::string gates;
  for (const auto& g : record.gates) {
    // Records are read from the registry: a field of the wrong type is skipped, not trusted.
    if (!g.is_object() || !g.value("name", nlohmann::json()).is_string() ||
        !g.value("verdict", nlohmann::json()).is_string()) {
      continue;
    }
    gates += (gates.empty() ? "" : ", ") + g["name"].get<std::string>() + " " + g["verdict"].get<std::string>();
  }
  if (!gates.empty()) text << "      gates: " << gates << "\n";
  if (!record.approved_by.empty()) text << "      approved by: " << JoinOrDash(record.approved_by) << "\n";
  if (!record.break_glass.empty()) text << "      BREAK-GLASS: " << record.break_glass << "\n";
}

// A release set's members as a record names them.
void RenderSetMembers(const promotion::PromotionRecord& record, std::ostringstream& text) {
  if (record.members.empty()) return;
  text << "      release set:";
  for (const auto& m : record.members) text << " " << m.name << "@" << m.digest;
  text << "\n";
}

std::string RenderHistory(const promotion::History& history) {
  std::ostringstream text;
  if (!history.images.empty()) {
    text << "commit " << (history.sha.empty() ? "?" : history.sha) << "  release set of " << history.images.size()
         << " images\n";
    for (const auto& member : history.images) text << "image " << member.image << ": " << RenderHistory(member);
    return text.str();
  }
  text << "commit " << (history.sha.empty() ? "?" : history.sha) << "  digest "
       << (history.digest.empty() ? "?" : history.digest) << "\n";
  for (const auto& e : history.environments) {
    if (!e.error.ok()) {
      text << "  " << e.env << ": could not be read (" << CodeName(e.error.code())
           << "): " << e.error.message() << "\n";
      continue;
    }
    text << "  " << e.env << ": " << (e.digest.empty() ? "not present" : e.digest) << "\n";
    for (const auto& r : e.records) {
      text << "    " << (r.valid ? "✓ " : "✗ ") << r.record.kind << " " << r.record.from_env << " -> "
           << r.record.to_env << " at " << r.record.time << " branch " << r.record.branch
           << (r.record.ci.run_id.empty() ? "" : " run " + r.record.ci.run_id)
           << (r.valid ? "" : "  (not accepted: " + r.problem + ")") << "\n";
      RenderChangeControl(r.record, text);
      RenderSetMembers(r.record, text);
    }
  }
  return text.str();
}

// The key records must verify with: the request's public key, else the signing key's public half.
Result<std::shared_ptr<sigstore::PublicKey>> RecordKey(const ServiceSettings& settings,
                                                       const v1::File& public_key,
                                                       const policy::PromoteConfig& config) {
  if (!public_key.content().empty()) {
    PROMOTE_ASSIGN_OR_RETURN(sigstore::PublicKey k,
                             sigstore::PublicKey::FromPem(public_key.content(), public_key.name()));
    return std::make_shared<sigstore::PublicKey>(std::move(k));
  }
  // Only the public half is needed: an agent uses its own key's and reads no promote.yaml key.
  promotion::SigningKey signing = settings.signing;
  if (settings.resolve_request_references) {
    auto loaded = SigningKeyFor(settings, config, v1::SigningKey());
    // The private key (and its passphrase) is asked for only to get its public half.
    if (!loaded.ok()) {
      return Status(loaded.status().code(), loaded.status().message() +
                                                "; records are verified with the public key only: pass --key cosign.pub");
    }
    signing = std::move(*loaded);
  }
  if (!signing.public_key) {
    return InvalidArgument("records are verified with a key: pass --key cosign.pub or configure signing: in " +
                           config.origin);
  }
  return signing.public_key;
}

// A reference into a release set is about one of its images: promote.yaml as that image sees
// it (PromoteConfig::ForImage). Any other reference: promote.yaml as it is.
policy::PromoteConfig ConfigOfRepository(const policy::PromoteConfig& config, const std::string& registry,
                                         const std::string& repository) {
  for (const auto& image : config.images) {
    for (const auto& [env, at] : image.locations) {
      if (at.registry == registry && at.repository == repository) return config.ForImage(image);
    }
  }
  return config;
}

}  // namespace

Outcome PromoteService::History(const v1::HistoryRequest& request, OperationContext* ctx) const {
  const std::string kCommand = "history";
  auto config = ConfigFrom(settings_, request.config(), "promote.yaml");
  if (!config.ok()) return FailedOutcome(kCommand, config.status());
  if (request.sha().empty() == request.reference().empty()) {
    return FailedOutcome(kCommand, InvalidArgument("give either --sha SHA or a reference"));
  }
  auto key = RecordKey(settings_, request.public_key(), *config);
  if (!key.ok()) return FailedOutcome(kCommand, key.status());
  auto pool = PoolFor(settings_, request.access(), &*config);
  if (!pool.ok()) return FailedOutcome(kCommand, pool.status());
  ctx->progress.phase = "history";

  Result<promotion::History> history = Status(Code::kInternal, "unset");
  if (!request.sha().empty()) {
    history = promotion::HistoryForSha(*config, **pool, **key, request.sha());
  } else {
    auto ref = oci::ParseReference(request.reference());
    if (!ref.ok()) return FailedOutcome(kCommand, ref.status());
    auto client = (*pool)->Get(ref->registry, ref->repository);
    if (!client.ok()) return FailedOutcome(kCommand, client.status());
    auto head = (*client)->HeadManifest(ref->repository, ref->Identifier(),
                                        {registry::RepositoryScope(ref->repository, "pull")}, &ctx->cancel);
    if (!head.ok()) return FailedOutcome(kCommand, head.status());
    if (!*head) return FailedOutcome(kCommand, NotFound("no image at " + ref->str()));
    history = promotion::HistoryForDigest(ConfigOfRepository(*config, ref->registry, ref->repository), **pool, **key,
                                          (*head)->digest);
  }
  if (!history.ok()) return FailedOutcome(kCommand, history.status());
  Outcome out;
  out.command = kCommand;
  out.application = config->image;
  // A partial history is shown in full but is not a success: what could not be read may hold
  // the promotion the caller is looking for.
  if (std::vector<std::string> unreadable = history->Unreadable(); !unreadable.empty()) {
    // A release set's environments are its images' (History::Unreadable names them image/env).
    std::string why;
    size_t environments = 0;
    auto explain = [&](const promotion::History& h, const std::string& prefix) {
      environments += h.environments.size();
      for (const auto& e : h.environments) {
        if (!e.error.ok()) why += (why.empty() ? "" : "; ") + prefix + e.env + ": " + e.error.message();
      }
    };
    explain(*history, "");
    for (const auto& member : history->images) explain(member, member.image + "/");
    out.status = Status(Code::kUnavailable, "could not read " + std::to_string(unreadable.size()) + " of " +
                                                std::to_string(environments) +
                                                " environments, the others are shown (" + why + ")");
  }
  out.json = ResultEnvelope(kCommand, out.status, history->ToJson());
  out.text = RenderHistory(*history);
  return out;
}

Outcome PromoteService::Rollback(const v1::RollbackRequest& request, OperationContext* ctx) const {
  const std::string kCommand = "rollback";
  auto config = ConfigFrom(settings_, request.config(), "promote.yaml");
  if (!config.ok()) return FailedOutcome(kCommand, config.status());
  auto signing = SigningKeyFor(settings_, *config, request.signing());
  if (!signing.ok()) return FailedOutcome(kCommand, signing.status());
  if (request.env().empty()) return FailedOutcome(kCommand, InvalidArgument("--env is required"));
  promotion::RollbackRequest rollback;
  rollback.env = request.env();
  rollback.steps = request.steps() > 0 ? request.steps() : 1;
  rollback.dry_run = request.dry_run();
  rollback.ci = CiContextFrom(request.ci());
  rollback.caller = ctx->caller;
  if (!request.to().empty()) {
    auto d = oci::Digest::Parse(request.to());
    if (!d.ok()) return FailedOutcome(kCommand, d.status().WithContext("--to"));
    rollback.to = *d;
  }
  if (settings_.policy) {
    Status within = promotion::CheckRollbackAgainstPolicy(*settings_.policy, *config, request.env(), request.branch());
    if (!within.ok()) return FailedOutcome(kCommand, within);
  }
  auto pool = PoolFor(settings_, request.access(), &*config);
  if (!pool.ok()) return FailedOutcome(kCommand, pool.status());
  ctx->progress.phase = "rollback";
  auto result = promotion::Rollback(*config, **pool, *signing, rollback);
  Outcome out;
  out.command = kCommand;
  out.application = config->image;
  out.status = result.status;
  out.json = ResultEnvelope(kCommand, result.status, result.BodyJson());
  if (result.status.ok() && !result.images.empty()) {
    for (const auto& m : result.images) {
      out.text += std::string(result.dry_run ? "would roll back " : "rolled back ") + m.image + " in " + result.env +
                  ": " + m.from_digest + " -> " + m.to_digest + (m.unchanged ? " (already in place)" : "") + "\n";
    }
    out.text += "release set back to commit " + result.git_sha + "\n";
  } else if (result.status.ok() && result.unchanged) {
    out.text = "unchanged " + result.env + ": " + result.to_digest + " is already in place (commit " + result.git_sha +
               ")\n";
  } else if (result.status.ok()) {
    out.text = std::string(result.dry_run ? "would roll back " : "rolled back ") + result.env + ": " +
               result.from_digest + " -> " + result.to_digest + " (commit " + result.git_sha + ")\n";
  }
  return out;
}

}  // namespace promote::service
