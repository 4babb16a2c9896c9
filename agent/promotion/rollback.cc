#include "promotion/rollback.h"

#include "copy/copy_report.h"
#include "copy/tag_writer.h"
#include "promotion/history.h"

namespace promote::promotion {
namespace {

using registry::RepositoryScope;

// The digest the environment went back from gets a "rolled-back" record beside it, so the next
// environment's soak gate refuses it wherever it is read (the rollback record itself sits on the
// digest gone back to).
Status MarkRolledBack(registry::RegistryClient& client, const policy::Environment& env,
                      const registry::ManifestHead& left, const PromotionRecord& rollback,
                      const sign::PrivateKey& key, sign::SignatureFormat format,
                      const registry::Scopes& scopes) {
  PromotionRecord mark = rollback;
  mark.kind = "rolled-back";
  mark.digest = left.digest.str();
  mark.git_sha.clear();  // the commit of the image left is in its own promotion records
  mark.branch.clear();
  mark.tags.clear();     // it names no tag: the mutable ones moved away from it
  oci::Descriptor subject{left.media_type, left.digest, left.size, {}, {}};
  auto written = WriteRecord(client, env.repository, subject, mark, key, format, scopes);
  return written.ok() ? OkStatus() : written.status();
}

// The record of `env` going back from `from_digest` to the promotion `target`.
PromotionRecord RollbackRecordOf(const policy::Environment& env, const RollbackRequest& request,
                                 const std::string& from_digest, const Promotion& target) {
  PromotionRecord record;
  record.kind = "rollback";
  record.from_env = env.name;
  record.from_reference = env.Name() + "@" + from_digest;
  record.to_env = env.name;
  record.to_reference = env.Name() + "@" + target.digest.str();
  record.digest = target.digest.str();
  record.git_sha = target.record.git_sha;
  record.branch = target.record.branch;
  record.tags = env.mutable_tags;
  record.ci = request.ci;
  record.caller = request.caller;
  record.image = request.image;
  record.members = request.members;
  record.time = NowRfc3339();
  return record;
}

Status RollbackInto(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                    const SigningKey& signing, const RollbackRequest& request, RollbackResult* result) {
  const policy::Environment* env = config.FindEnvironment(request.env);
  if (env == nullptr) return InvalidArgument("unknown environment '" + request.env + "'");
  if (env->mutable_tags.empty()) {
    return InvalidArgument("environment '" + env->name + "' has no mutable tags to move back (mutable-tags:)");
  }
  if (!signing.key) return InvalidArgument("rollback verifies and writes promotion records: configure signing:");
  if (request.steps < 1) return InvalidArgument("--steps must be at least 1");

  PROMOTE_ASSIGN_OR_RETURN(auto client, registries.Get(env->registry, env->repository));
  registry::Scopes scopes = {RepositoryScope(env->repository, "pull,push")};
  const std::string& current_tag = env->mutable_tags.front();
  PROMOTE_ASSIGN_OR_RETURN(auto current, client->HeadManifest(env->repository, current_tag, scopes));
  if (current) result->from_digest = current->digest.str();

  PROMOTE_ASSIGN_OR_RETURN(auto promotions, PromotionsInto(config, *env, registries, *signing.public_key));
  const Promotion* target = nullptr;
  if (request.to) {
    for (const auto& p : promotions) {
      if (p.digest == *request.to) target = &p;
    }
    if (target == nullptr) {
      return Status(Code::kGateRefused, request.to->str() + " has no valid promotion record for '" + env->name +
                                            "': only digests promoted there can be rolled back to");
    }
  } else {
    // Walk back from the current digest, newest promotion first.
    int index = static_cast<int>(promotions.size()) - 1;
    if (current) {
      for (int i = index; i >= 0; --i) {
        if (promotions[i].digest == current->digest) {
          index = i;
          break;
        }
      }
    }
    int wanted = index - request.steps;
    if (wanted < 0) {
      return Status(Code::kGateRefused, "environment '" + env->name + "' has only " +
                                            std::to_string(promotions.size()) +
                                            " recorded promotion(s); cannot go back " + std::to_string(request.steps));
    }
    target = &promotions[static_cast<size_t>(wanted)];
  }
  result->to_digest = target->digest.str();
  result->git_sha = target->record.git_sha;
  if (current && current->digest == target->digest) {
    // Already in place: a record of a rollback that moved nothing would be a false one.
    result->unchanged = true;
    return OkStatus();
  }
  if (request.dry_run) {
    result->tags_moved = env->mutable_tags;
    return OkStatus();
  }

  PROMOTE_ASSIGN_OR_RETURN(oci::Manifest manifest,
                           client->GetManifest(env->repository, target->digest.str(), scopes));
  const PromotionRecord record = RollbackRecordOf(*env, request, result->from_digest, *target);
  oci::Descriptor subject{manifest.media_type, manifest.digest, static_cast<int64_t>(manifest.bytes.size()), {}, {}};
  const sign::SignatureFormat format = SigningFormatOf(config, signing);
  // Tags first, then the record: a rollback whose tags did not move leaves no record of one.
  copy::TagOutcome tags;
  copy::TagPolicy policy{false, env->mutable_tags};
  PROMOTE_RETURN_IF_ERROR(
      copy::WriteTags(*client, env->repository, manifest, env->mutable_tags, policy, scopes, nullptr, &tags));
  result->tags_moved = tags.moved;
  result->tags_moved.insert(result->tags_moved.end(), tags.written.begin(), tags.written.end());
  PROMOTE_ASSIGN_OR_RETURN(result->record_reference,
                           WriteRecord(*client, env->repository, subject, record, *signing.key, format, scopes));
  if (current) PROMOTE_RETURN_IF_ERROR(MarkRolledBack(*client, *env, *current, record, *signing.key, format, scopes));
  return OkStatus();
}

// The set's rollback: every member chosen by a dry run first (all must agree on one commit),
// then each member moved back, its record naming every member.
Status RollbackSet(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                   const SigningKey& signing, const RollbackRequest& request, RollbackResult* result) {
  if (request.to) {
    return InvalidArgument("--to names one image's digest; a release set goes back by --steps (images: in " +
                           config.origin + ")");
  }
  std::vector<policy::PromoteConfig> configs;
  RollbackRequest member_request = request;
  member_request.dry_run = true;
  for (const auto& image : config.images) {
    configs.push_back(config.ForImage(image));
    RollbackResult chosen;
    chosen.image = image.name;
    chosen.env = request.env;
    chosen.dry_run = request.dry_run;
    chosen.status = RollbackInto(configs.back(), registries, signing, member_request, &chosen);
    if (!chosen.status.ok()) return chosen.status.WithContext("image '" + image.name + "'");
    if (!result->images.empty() && chosen.git_sha != result->images.front().git_sha) {
      return Status(Code::kGateRefused, "image '" + image.name + "' would go back to commit " + chosen.git_sha +
                                            ", image '" + result->images.front().image + "' to " +
                                            result->images.front().git_sha + ": the set was not promoted together");
    }
    const policy::Environment& env = *configs.back().FindEnvironment(request.env);
    member_request.members.push_back({image.name, chosen.to_digest, env.Name() + "@" + chosen.from_digest,
                                      env.Name() + "@" + chosen.to_digest, env.mutable_tags});
    result->images.push_back(std::move(chosen));
  }
  result->git_sha = result->images.front().git_sha;
  if (request.dry_run) return OkStatus();
  member_request.dry_run = false;
  for (size_t i = 0; i < configs.size(); ++i) {
    RollbackResult& member = result->images[i];
    member_request.image = member.image;
    member.tags_moved.clear();
    member.status = RollbackInto(configs[i], registries, signing, member_request, &member);
    if (!member.status.ok()) return member.status.WithContext("image '" + member.image + "'");
  }
  return OkStatus();
}

}  // namespace

nlohmann::json RollbackResult::ToJson() const {
  const char* state = !status.ok() ? "failed" : unchanged ? "unchanged" : dry_run ? "planned" : "rolled_back";
  nlohmann::json body = {{"status", state},
                         {"env", env},
                         {"dry_run", dry_run},
                         {"from_digest", from_digest},
                         {"to_digest", to_digest},
                         {"sha", git_sha},
                         {"tags_moved", tags_moved},
                         {"record", record_reference.empty() ? nlohmann::json(nullptr)
                                                             : nlohmann::json{{"reference", record_reference}}}};
  if (!images.empty()) {
    body["images"] = nlohmann::json::array();
    for (const auto& member : images) {
      nlohmann::json entry = member.ToJson();
      for (const char* key : {"error", "schema", "command", "ok"}) entry.erase(key);
      entry["name"] = member.image;
      body["images"].push_back(std::move(entry));
    }
  }
  return copy::ResultEnvelope("rollback", status, std::move(body));
}

RollbackResult Rollback(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                        const SigningKey& signing, const RollbackRequest& request) {
  RollbackResult result;
  result.env = request.env;
  result.dry_run = request.dry_run;
  result.status = config.images.empty() ? RollbackInto(config, registries, signing, request, &result)
                                        : RollbackSet(config, registries, signing, request, &result);
  return result;
}

}  // namespace promote::promotion
