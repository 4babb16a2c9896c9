#include "promotion/history.h"

#include <algorithm>
#include <map>
#include <regex>

#include "policy/branch_rules.h"

namespace promote::promotion {
namespace {

using registry::RepositoryScope;

nlohmann::json RecordJson(const CheckedRecord& r) {
  nlohmann::json j = r.record.ToPredicate();
  j["valid"] = r.valid;
  if (!r.valid) j["problem"] = r.problem;
  return j;
}

// The reference looked at: registry/repo:tag, or registry/repo@digest.
std::string LookedAt(const policy::Environment& env, const std::string& identifier) {
  return env.Name() + (identifier.rfind("sha256:", 0) == 0 ? "@" : ":") + identifier;
}

Result<EnvironmentHistory> EnvironmentAt(const policy::Environment& env, registry::RegistryPool& registries,
                                         const sigstore::PublicKey& key, const std::string& identifier) {
  EnvironmentHistory h;
  h.env = env.name;
  h.reference = LookedAt(env, identifier);
  PROMOTE_ASSIGN_OR_RETURN(auto client, registries.Get(env.registry, env.repository));
  registry::Scopes scopes = {RepositoryScope(env.repository, "pull")};
  PROMOTE_ASSIGN_OR_RETURN(auto head, client->HeadManifest(env.repository, identifier, scopes));
  if (!head) return h;
  h.digest = head->digest.str();
  PROMOTE_ASSIGN_OR_RETURN(auto records, ReadRecords(*client, env.repository, head->digest, key, scopes));
  PROMOTE_RETURN_IF_ERROR(
      MarkIncompleteRecords(*client, env.repository, head->digest, env.name, env.mutable_tags, scopes, &records));
  // Records travel with the image, so an environment may hold earlier environments' records
  // too: keep the ones about this environment.
  for (auto& r : records) {
    if (r.record.to_env == env.name || r.record.to_env.empty()) h.records.push_back(std::move(r));
  }
  return h;
}

// One environment's history, or — when its registry cannot be read — the environment with the
// reason, so the others are still shown. Cancellation stops the whole history.
Result<EnvironmentHistory> ReadEnvironment(const policy::Environment& env, registry::RegistryPool& registries,
                                           const sigstore::PublicKey& key, const std::string& identifier) {
  Result<EnvironmentHistory> read = EnvironmentAt(env, registries, key, identifier);
  if (read.ok()) return read;
  const Code code = read.status().code();
  if (code == Code::kCancelled || code == Code::kDeadlineExceeded) return read.status();
  EnvironmentHistory h;
  h.env = env.name;
  h.reference = LookedAt(env, identifier);
  h.error = read.status();
  return h;
}

}  // namespace

nlohmann::json History::ToJson() const {
  nlohmann::json envs = nlohmann::json::array();
  for (const auto& e : environments) {
    nlohmann::json records = nlohmann::json::array();
    for (const auto& r : e.records) records.push_back(RecordJson(r));
    const bool readable = e.error.ok();
    nlohmann::json promoted = nlohmann::json(nullptr);  // unknown when unreadable
    nlohmann::json rolled_back = nlohmann::json(nullptr);
    if (readable) {
      promoted = std::any_of(e.records.begin(), e.records.end(),
                             [](const auto& r) { return r.valid && r.record.kind != "rolled-back"; });
      rolled_back = std::any_of(e.records.begin(), e.records.end(),
                                [](const auto& r) { return r.valid && r.record.kind == "rolled-back"; });
    }
    envs.push_back({{"env", e.env},
                    {"reference", e.reference},
                    {"readable", readable},
                    {"error", readable ? nlohmann::json(nullptr)
                                       : nlohmann::json{{"code", CodeName(e.error.code())},
                                                        {"message", e.error.message()}}},
                    {"digest", e.digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.digest)},
                    {"promoted", promoted},
                    {"rolled_back", rolled_back},
                    {"records", records}});
  }
  nlohmann::json out = {{"sha", sha},
                        {"digest", digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(digest)},
                        {"environments", envs},
                        {"unreadable", Unreadable()}};
  if (!images.empty()) {
    out["images"] = nlohmann::json::array();
    for (const auto& member : images) {
      nlohmann::json entry = member.ToJson();
      entry.erase("sha");
      entry["name"] = member.image;
      out["images"].push_back(std::move(entry));
    }
  }
  return out;
}

std::vector<std::string> History::Unreadable() const {
  std::vector<std::string> out;
  for (const auto& member : images) {
    for (const auto& e : member.Unreadable()) out.push_back(member.image + "/" + e);
  }
  for (const auto& e : environments) {
    if (!e.error.ok()) out.push_back(e.env);
  }
  return out;
}

Result<History> HistoryForSha(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                              const sigstore::PublicKey& key, const std::string& sha) {
  PROMOTE_ASSIGN_OR_RETURN(std::string normal, policy::NormaliseSha(sha));
  History h;
  h.sha = normal;
  for (const auto& image : config.images) {
    PROMOTE_ASSIGN_OR_RETURN(History member, HistoryForSha(config.ForImage(image), registries, key, normal));
    member.image = image.name;
    h.images.push_back(std::move(member));
  }
  if (!config.images.empty()) return h;
  std::string tag = policy::RenderImmutableTag(config.immutable_tag, normal);
  for (const auto& env : config.environments) {
    PROMOTE_ASSIGN_OR_RETURN(EnvironmentHistory e, ReadEnvironment(env, registries, key, tag));
    if (h.digest.empty()) h.digest = e.digest;
    h.environments.push_back(std::move(e));
  }
  return h;
}

Result<History> HistoryForDigest(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                                 const sigstore::PublicKey& key, const oci::Digest& digest) {
  History h;
  h.digest = digest.str();
  for (const auto& env : config.environments) {
    PROMOTE_ASSIGN_OR_RETURN(EnvironmentHistory e, ReadEnvironment(env, registries, key, digest.str()));
    for (const auto& r : e.records) {
      if (r.valid && h.sha.empty()) h.sha = r.record.git_sha;
    }
    h.environments.push_back(std::move(e));
  }
  return h;
}

Result<std::vector<Promotion>> PromotionsInto(const policy::PromoteConfig& config,
                                              const policy::Environment& env,
                                              registry::RegistryPool& registries,
                                              const sigstore::PublicKey& key) {
  PROMOTE_ASSIGN_OR_RETURN(auto client, registries.Get(env.registry, env.repository));
  registry::Scopes scopes = {RepositoryScope(env.repository, "pull")};
  PROMOTE_ASSIGN_OR_RETURN(auto tags, client->ListTags(env.repository, scopes));
  // The immutable tags are the ones the template can produce.
  std::string pattern = std::regex_replace(config.immutable_tag, std::regex(R"([.^$|()\[\]*+?\\])"), R"(\$&)");
  pattern = std::regex_replace(pattern, std::regex(R"(\{sha7\})"), "[0-9a-f]{7}");
  pattern = std::regex_replace(pattern, std::regex(R"(\{sha12\})"), "[0-9a-f]{7,12}");
  pattern = std::regex_replace(pattern, std::regex(R"(\{sha\})"), "[0-9a-f]{7,40}");
  std::regex immutable(pattern);
  std::map<std::string, Promotion> newest;  // by digest
  for (const auto& tag : tags) {
    if (!std::regex_match(tag, immutable)) continue;
    PROMOTE_ASSIGN_OR_RETURN(auto head, client->HeadManifest(env.repository, tag, scopes));
    if (!head || newest.count(head->digest.str()) != 0) continue;
    PROMOTE_ASSIGN_OR_RETURN(auto records, ReadRecords(*client, env.repository, head->digest, key, scopes));
    PROMOTE_RETURN_IF_ERROR(
        MarkIncompleteRecords(*client, env.repository, head->digest, env.name, env.mutable_tags, scopes, &records));
    for (const auto& r : records) {
      if (!r.valid || r.record.to_env != env.name || r.record.kind != "promotion") continue;
      auto it = newest.find(head->digest.str());
      if (it == newest.end() || it->second.record.time < r.record.time) {
        newest[head->digest.str()] = Promotion{head->digest, r.record};
      }
    }
  }
  std::vector<Promotion> out;
  for (auto& [d, p] : newest) out.push_back(std::move(p));
  std::sort(out.begin(), out.end(), [](const Promotion& a, const Promotion& b) { return a.record.time < b.record.time; });
  return out;
}

}  // namespace promote::promotion
