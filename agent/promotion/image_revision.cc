#include "promotion/image_revision.h"

#include <nlohmann/json.hpp>

namespace promote::promotion {
namespace {

constexpr size_t kMaxConfigBytes = 4 << 20;

// The revision under `key` of a JSON object member `container` ("annotations" or "Labels"), if
// it is a string. Anything else (absent, another type) states nothing.
void AddRevision(const nlohmann::json& object, const char* container, std::set<std::string>* out) {
  if (!object.is_object()) return;
  auto it = object.find(container);
  if (it == object.end() || !it->is_object()) return;
  auto rev = it->find(std::string(kRevisionKey));
  if (rev != it->end() && rev->is_string() && !rev->get<std::string>().empty()) out->insert(rev->get<std::string>());
}

void AddManifestRevision(const oci::Manifest& manifest, std::set<std::string>* out) {
  // Already parsed once (bounded, nesting checked) by oci::ParseManifest.
  AddRevision(nlohmann::json::parse(manifest.bytes, nullptr, false), "annotations", out);
}

}  // namespace

Result<std::set<std::string>> ImageRevisions(registry::RegistryClient& client, const std::string& repository,
                                             const copy::ImageGraph& graph, const registry::Scopes& scopes,
                                             const CancelToken* cancel) {
  std::set<std::string> out;
  std::vector<const oci::Manifest*> manifests = {&graph.root};
  for (const auto& child : graph.children) manifests.push_back(&child);
  for (const oci::Manifest* m : manifests) {
    AddManifestRevision(*m, &out);
    if (m->is_index() || !m->config) continue;
    PROMOTE_ASSIGN_OR_RETURN(std::string config,
                             client.GetBlobBytes(repository, m->config->digest, kMaxConfigBytes, scopes, cancel));
    auto j = nlohmann::json::parse(config, nullptr, false);
    if (j.is_object()) {
      auto c = j.find("config");
      if (c != j.end()) AddRevision(*c, "Labels", &out);
    }
  }
  return out;
}

bool SameCommit(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return false;
  const std::string& shorter = a.size() <= b.size() ? a : b;
  const std::string& longer = a.size() <= b.size() ? b : a;
  return longer.compare(0, shorter.size(), shorter) == 0;
}

}  // namespace promote::promotion
