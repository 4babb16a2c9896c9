#include "promotion/rollback.h"

#include <memory>
#include <optional>

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
                      const sigstore::PrivateKey& key, sigstore::SignatureFormat format,
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

// What a rollback of one environment chose: the tags it moves, from the digest they name now
// to the promotion `target`.
struct RollbackChoice {
  const policy::Environment* env = nullptr;
  std::shared_ptr<registry::RegistryClient> client;
  registry::Scopes scopes;
  std::optional<registry::ManifestHead> current;
  Promotion target;
};

// Checks the request and chooses where the environment goes back to (result: from, to, commit,
// unchanged); nothing is written.
Status ChooseRollback(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                      const SigningKey& signing, const RollbackRequest& request, RollbackChoice* choice,
                      RollbackResult* result) {
  const policy::Environment* env = choice->env = config.FindEnvironment(request.env);
  if (env == nullptr) return InvalidArgument("unknown environment '" + request.env + "'");
  if (env->mutable_tags.empty()) {
    return InvalidArgument("environment '" + env->name + "' has no mutable tags to move back (mutable-tags:)");
  }
  if (!signing.key) return InvalidArgument("rollback verifies and writes promotion records: configure signing:");
  if (request.steps < 1) return InvalidArgument("--steps must be at least 1");

  PROMOTE_ASSIGN_OR_RETURN(choice->client, registries.Get(env->registry, env->repository));
  choice->scopes = {RepositoryScope(env->repository, "pull,push")};
  const std::string& current_tag = env->mutable_tags.front();
  PROMOTE_ASSIGN_OR_RETURN(choice->current, choice->client->HeadManifest(env->repository, current_tag, choice->scopes));
  const auto& current = choice->current;
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
  choice->target = *target;
  result->to_digest = target->digest.str();
  result->git_sha = target->record.git_sha;
  // Already in place: a record of a rollback that moved nothing would be a false one.
  result->unchanged = current && current->digest == target->digest;
  if (request.dry_run && !result->unchanged) result->tags_moved = env->mutable_tags;
  return OkStatus();
}

// Moves the chosen environment's mutable tags to the target (`subject`, for its record); `tags`
// says what moved, also on failure.
Status MoveTagsBack(const RollbackChoice& choice, oci::Descriptor* subject, copy::TagOutcome* tags,
                    RollbackResult* result) {
  const policy::Environment& env = *choice.env;
  PROMOTE_ASSIGN_OR_RETURN(oci::Manifest manifest,
                           choice.client->GetManifest(env.repository, choice.target.digest.str(), choice.scopes));
  *subject = {manifest.media_type, manifest.digest, static_cast<int64_t>(manifest.bytes.size()), {}, {}};
  copy::TagPolicy policy{false, env.mutable_tags};
  Status moved = copy::WriteTags(*choice.client, env.repository, manifest, env.mutable_tags, policy, choice.scopes,
                                 nullptr, tags);
  result->tags_moved = tags->moved;
  result->tags_moved.insert(result->tags_moved.end(), tags->written.begin(), tags->written.end());
  return moved;
}

// The rollback record on the target, and the rolled-back mark on the digest left. Written once
// the tags moved: a rollback whose tags did not move leaves no record of one.
Status RecordRollback(const policy::PromoteConfig& config, const SigningKey& signing, const RollbackRequest& request,
                      const RollbackChoice& choice, const oci::Descriptor& subject, RollbackResult* result) {
  const policy::Environment& env = *choice.env;
  const PromotionRecord record = RollbackRecordOf(env, request, result->from_digest, choice.target);
  const sigstore::SignatureFormat format = SigningFormatOf(config, signing);
  PROMOTE_ASSIGN_OR_RETURN(result->record_reference, WriteRecord(*choice.client, env.repository, subject, record,
                                                                 *signing.key, format, choice.scopes));
  if (!choice.current) return OkStatus();
  return MarkRolledBack(*choice.client, env, *choice.current, record, *signing.key, format, choice.scopes);
}

Status RollbackInto(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                    const SigningKey& signing, const RollbackRequest& request, RollbackResult* result) {
  RollbackChoice choice;
  PROMOTE_RETURN_IF_ERROR(ChooseRollback(config, registries, signing, request, &choice, result));
  if (result->unchanged || request.dry_run) return OkStatus();
  oci::Descriptor subject;
  copy::TagOutcome tags;
  PROMOTE_RETURN_IF_ERROR(MoveTagsBack(choice, &subject, &tags, result));
  return RecordRollback(config, signing, request, choice, subject, result);
}

// Puts the tags `moved` moved back to the digests they named before; "" when all went back, else
// what could not.
std::string PutTagsBack(const RollbackChoice& choice, const copy::TagOutcome& moved) {
  std::string failed;
  for (const auto& tag : moved.moved) {
    const std::string before = moved.previous.at(tag).str();
    auto manifest = choice.client->GetManifest(choice.env->repository, before, choice.scopes);
    Status put = manifest.ok() ? choice.client->PutManifest(choice.env->repository, tag, *manifest, choice.scopes)
                               : manifest.status();
    if (!put.ok()) failed += (failed.empty() ? "" : "; ") + tag + " (" + put.message() + ")";
  }
  for (const auto& tag : moved.written) failed += (failed.empty() ? "" : "; ") + tag + " (new: left in place)";
  return failed;
}

// Every member's tags, member by member; when one member's move fails, the tags moved so far (its
// own included) go back where they were, so the set stays at one commit, and no record is written.
Status MoveSetTagsBack(const std::vector<RollbackChoice>& choices, std::vector<oci::Descriptor>* subjects,
                       RollbackResult* result) {
  std::vector<copy::TagOutcome> moved(choices.size());
  for (size_t i = 0; i < choices.size(); ++i) {
    RollbackResult& member = result->images[i];
    if (member.unchanged) continue;
    member.status = MoveTagsBack(choices[i], &(*subjects)[i], &moved[i], &member);
    if (member.status.ok()) continue;
    std::string back = "; the tags of the images before it were put back";
    for (size_t j = 0; j <= i; ++j) {
      std::string failed = PutTagsBack(choices[j], moved[j]);
      result->images[j].tags_moved.clear();
      if (!failed.empty()) back += "; image '" + result->images[j].image + "' not put back: " + failed;
    }
    return Status(member.status.code(), "image '" + member.image + "': " + member.status.message() + back);
  }
  return OkStatus();
}

// The set's rollback: every member chosen first (all must agree on one commit), then every
// member's tags moved back, then each member's record, naming every member.
Status RollbackSet(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                   const SigningKey& signing, const RollbackRequest& request, RollbackResult* result) {
  if (request.to) {
    return InvalidArgument("--to names one image's digest; a release set goes back by --steps (images: in " +
                           config.origin + ")");
  }
  const size_t n = config.images.size();
  std::vector<policy::PromoteConfig> configs;
  configs.reserve(n);  // the choices point into them
  std::vector<RollbackChoice> choices(n);
  RollbackRequest member_request = request;
  for (size_t i = 0; i < n; ++i) {
    const policy::SetImage& image = config.images[i];
    configs.push_back(config.ForImage(image));
    RollbackResult chosen;
    chosen.image = image.name;
    chosen.env = request.env;
    chosen.dry_run = request.dry_run;
    chosen.status = ChooseRollback(configs.back(), registries, signing, request, &choices[i], &chosen);
    if (!chosen.status.ok()) return chosen.status.WithContext("image '" + image.name + "'");
    if (!result->images.empty() && chosen.git_sha != result->images.front().git_sha) {
      return Status(Code::kGateRefused, "image '" + image.name + "' would go back to commit " + chosen.git_sha +
                                            ", image '" + result->images.front().image + "' to " +
                                            result->images.front().git_sha + ": the set was not promoted together");
    }
    const policy::Environment& env = *choices[i].env;
    member_request.members.push_back({image.name, chosen.to_digest, env.Name() + "@" + chosen.from_digest,
                                      env.Name() + "@" + chosen.to_digest, env.mutable_tags});
    result->images.push_back(std::move(chosen));
  }
  result->git_sha = result->images.front().git_sha;
  if (request.dry_run) return OkStatus();
  std::vector<oci::Descriptor> subjects(n);
  PROMOTE_RETURN_IF_ERROR(MoveSetTagsBack(choices, &subjects, result));
  for (size_t i = 0; i < n; ++i) {
    RollbackResult& member = result->images[i];
    if (member.unchanged) continue;
    member_request.image = member.image;
    member.status = RecordRollback(configs[i], signing, member_request, choices[i], subjects[i], &member);
    if (!member.status.ok()) return member.status.WithContext("image '" + member.image + "'");
  }
  return OkStatus();
}

}  // namespace

nlohmann::json RollbackResult::BodyJson() const {
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
      nlohmann::json entry = member.BodyJson();
      entry["name"] = member.image;
      body["images"].push_back(std::move(entry));
    }
  }
  return body;
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
