#include "oci/manifest.h"

#include <nlohmann/json.hpp>

#include "oci/media_types.h"
#include "util/json_nesting.h"

namespace promote::oci {
namespace {

using nlohmann::json;

Status BadManifest(const std::string& why) { return InvalidArgument("manifest: " + why); }

Result<Descriptor> ParseDescriptor(const json& j, const std::string& where) {
  if (!j.is_object()) return BadManifest(where + " is not an object");
  Descriptor d;
  auto mt = j.find("mediaType");
  if (mt != j.end()) {
    if (!mt->is_string()) return BadManifest(where + ".mediaType is not a string");
    d.media_type = mt->get<std::string>();
  }
  auto dg = j.find("digest");
  if (dg == j.end() || !dg->is_string()) return BadManifest(where + ".digest is missing");
  auto digest = Digest::Parse(dg->get<std::string>());
  if (!digest.ok()) return BadManifest(where + ".digest: " + digest.status().message());
  d.digest = *digest;
  auto sz = j.find("size");
  if (sz == j.end() || !sz->is_number_integer() || sz->get<int64_t>() < 0) {
    return BadManifest(where + ".size is missing or not a non-negative integer");
  }
  d.size = sz->get<int64_t>();
  if (auto at = j.find("artifactType"); at != j.end() && at->is_string()) d.artifact_type = at->get<std::string>();
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    Platform pl;
    for (auto [key, field] : {std::pair{"os", &pl.os}, {"architecture", &pl.architecture}, {"variant", &pl.variant}}) {
      auto v = p->find(key);
      if (v == p->end()) continue;
      if (!v->is_string()) return BadManifest(where + ".platform." + key + " is not a string");
      *field = v->get<std::string>();
    }
    d.platform = pl;
  }
  return d;
}

Result<std::vector<Descriptor>> ParseDescriptorList(const json& j, const char* key) {
  std::vector<Descriptor> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return BadManifest(std::string(key) + " is not an array");
  for (size_t i = 0; i < it->size(); ++i) {
    PROMOTE_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor((*it)[i], std::string(key) + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

bool Manifest::is_index() const { return media_type::IsIndex(media_type); }

std::vector<Descriptor> Manifest::Blobs() const {
  std::vector<Descriptor> out;
  if (config) out.push_back(*config);
  out.insert(out.end(), layers.begin(), layers.end());
  return out;
}

Result<Manifest> ParseManifest(std::string bytes, std::string_view content_type) {
  if (bytes.size() > kMaxManifestBytes) {
    return BadManifest("larger than 4 MiB (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (JsonNestingExceeds(bytes)) {
    return BadManifest("JSON nested deeper than " + std::to_string(kMaxJsonNesting) + " levels");
  }
  json j = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return BadManifest("not valid JSON");
  if (!j.is_object()) return BadManifest("top level is not a JSON object");
  if (auto sv = j.find("schemaVersion"); sv != j.end() && sv->is_number_integer() && sv->get<int>() == 1) {
    return BadManifest("Docker schema 1 manifests are not supported; push the image with a current client");
  }

  Manifest m;
  // Content-Type parameters ("; charset=utf-8") are not part of the type.
  std::string ct(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  std::string declared;
  if (auto mt = j.find("mediaType"); mt != j.end()) {
    if (!mt->is_string()) return BadManifest("mediaType is not a string");
    declared = mt->get<std::string>();
  }
  if (media_type::IsManifest(ct)) {
    m.media_type = ct;
  } else if (media_type::IsManifest(declared)) {
    m.media_type = declared;
  } else if (j.contains("manifests")) {
    m.media_type = std::string(media_type::kOciIndex);
  } else if (j.contains("layers") || j.contains("config")) {
    m.media_type = std::string(media_type::kOciManifest);
  } else {
    return BadManifest("unknown manifest type '" + (ct.empty() ? declared : ct) + "'");
  }
  if (!declared.empty() && declared != m.media_type) {
    return BadManifest("mediaType field '" + declared + "' contradicts Content-Type '" + m.media_type + "'");
  }

  if (m.is_index()) {
    PROMOTE_ASSIGN_OR_RETURN(m.children, ParseDescriptorList(j, "manifests"));
  } else {
    auto cfg = j.find("config");
    if (cfg == j.end()) return BadManifest("image manifest has no config");
    PROMOTE_ASSIGN_OR_RETURN(Descriptor c, ParseDescriptor(*cfg, "config"));
    m.config = std::move(c);
    PROMOTE_ASSIGN_OR_RETURN(m.layers, ParseDescriptorList(j, "layers"));
  }
  if (auto s = j.find("subject"); s != j.end() && !s->is_null()) {
    PROMOTE_ASSIGN_OR_RETURN(Descriptor sub, ParseDescriptor(*s, "subject"));
    m.subject = std::move(sub);
  }
  m.digest = Digest::Of(bytes);
  m.bytes = std::move(bytes);
  return m;
}

}  // namespace promote::oci
