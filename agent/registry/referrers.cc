#include "registry/referrers.h"

#include <nlohmann/json.hpp>

#include "oci/media_types.h"
#include "registry/tag_lock.h"
#include "util/json_fields.h"

namespace promote::registry {
namespace {

using ojson = nlohmann::ordered_json;

std::map<std::string, std::string> StringAnnotations(const ojson& doc) {
  std::map<std::string, std::string> out;
  auto it = doc.find("annotations");
  if (it == doc.end() || !it->is_object()) return out;
  for (auto a = it->begin(); a != it->end(); ++a) {
    if (a.value().is_string()) out[a.key()] = a.value().get<std::string>();
  }
  return out;
}

// The entries of a referrers index, as its JSON holds them (oci::Manifest keeps no annotations).
std::vector<Referrer> EntriesOf(const oci::Manifest& index, const std::string& artifact_type) {
  std::vector<Referrer> out;
  ojson doc = ojson::parse(index.bytes, nullptr, false);
  auto manifests = doc.is_object() ? doc.find("manifests") : doc.end();
  if (!doc.is_object() || manifests == doc.end() || !manifests->is_array()) return out;
  for (const ojson& entry : *manifests) {
    if (!entry.is_object()) continue;
    auto digest = oci::Digest::Parse(StringMember(entry, "digest"));
    if (!digest.ok()) continue;
    Referrer r{StringMember(entry, "mediaType"), *digest, 0, StringMember(entry, "artifactType"),
               StringAnnotations(entry)};
    if (auto size = entry.find("size"); size != entry.end() && size->is_number_integer()) r.size = size->get<int64_t>();
    if (artifact_type.empty() || r.artifact_type == artifact_type) out.push_back(std::move(r));
  }
  return out;
}

// The fallback index at `tag` as JSON; an empty index when the tag does not exist.
Result<ojson> ReadFallbackIndex(RegistryClient& client, const std::string& repo, const std::string& tag,
                                const Scopes& scopes, const CancelToken* cancel) {
  auto current = client.GetManifest(repo, tag, scopes, cancel);
  if (!current.ok()) {
    if (current.status().code() != Code::kNotFound) return current.status();
    return ojson{{"schemaVersion", 2}, {"mediaType", oci::media_type::kOciIndex}, {"manifests", ojson::array()}};
  }
  ojson doc = ojson::parse(current->bytes, nullptr, false);
  if (!current->is_index() || !doc.is_object() || !doc.contains("manifests") || !doc["manifests"].is_array()) {
    return RegistryError("referrers fallback tag " + client.host() + "/" + repo + ":" + tag +
                         " holds something other than an image index");
  }
  return doc;
}

// The descriptor the fallback index lists for `manifest`.
ojson DescriptorOf(const oci::Manifest& manifest) {
  ojson doc = ojson::parse(manifest.bytes, nullptr, false);
  ojson entry = {{"mediaType", manifest.media_type},
                 {"digest", manifest.digest.str()},
                 {"size", manifest.bytes.size()}};
  std::string artifact_type = StringMember(doc, "artifactType");
  if (artifact_type.empty() && manifest.config) artifact_type = manifest.config->media_type;
  if (!artifact_type.empty()) entry["artifactType"] = artifact_type;
  if (doc.contains("annotations") && doc["annotations"].is_object() && !doc["annotations"].empty()) {
    entry["annotations"] = doc["annotations"];
  }
  return entry;
}

Result<bool> AddToFallbackIndex(RegistryClient& client, const std::string& repo, const oci::Manifest& manifest,
                                const std::string& tag, const Scopes& scopes, const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(TagLock lock, TagLock::Acquire(client.host(), repo, {tag}, cancel));
  PROMOTE_ASSIGN_OR_RETURN(ojson index, ReadFallbackIndex(client, repo, tag, scopes, cancel));
  for (const ojson& entry : index["manifests"]) {
    if (entry.is_object() && StringMember(entry, "digest") == manifest.digest.str()) return false;
  }
  index["manifests"].push_back(DescriptorOf(manifest));
  auto updated = oci::ParseManifest(index.dump(), oci::media_type::kOciIndex);
  if (!updated.ok()) return updated.status();
  PROMOTE_RETURN_IF_ERROR(client.PutManifest(repo, tag, *updated, scopes, cancel));
  return true;
}

}  // namespace

Result<ReferrerList> ListReferrers(RegistryClient& client, const std::string& repo, const oci::Digest& subject,
                                   const std::string& artifact_type, const Scopes& scopes,
                                   const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(auto api, client.GetReferrers(repo, subject, scopes, cancel, artifact_type));
  ReferrerList list;
  if (api) {
    list.from_api = true;
    list.referrers = EntriesOf(*api, artifact_type);
    return list;
  }
  auto fallback = client.GetManifest(repo, subject.TagForm(), scopes, cancel);
  if (!fallback.ok()) {
    if (fallback.status().code() == Code::kNotFound) return list;
    return fallback.status();
  }
  if (!fallback->is_index()) {
    return RegistryError("referrers fallback tag " + client.host() + "/" + repo + ":" + subject.TagForm() +
                         " holds something other than an image index");
  }
  list.referrers = EntriesOf(*fallback, artifact_type);
  return list;
}

Result<PushedReferrer> PushReferrer(RegistryClient& client, const std::string& repo, const oci::Manifest& manifest,
                                    const Scopes& scopes, const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(bool indexed, client.PutReferrerManifest(repo, manifest, scopes, cancel));
  PushedReferrer out;
  if (indexed) {
    out.via_api = true;
    return out;
  }
  // No OCI-Subject: the distribution spec has the client keep the fallback index then.
  out.fallback_tag = manifest.subject->digest.TagForm();
  PROMOTE_ASSIGN_OR_RETURN(out.fallback_updated,
                           AddToFallbackIndex(client, repo, manifest, out.fallback_tag, scopes, cancel));
  return out;
}

}  // namespace promote::registry
