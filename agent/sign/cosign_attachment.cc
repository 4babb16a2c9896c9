#include "sign/cosign_attachment.h"

#include <nlohmann/json.hpp>

#include "oci/cosign_attachment_config.h"
#include "oci/media_types.h"

namespace promote::sign {
namespace {

using ojson = nlohmann::ordered_json;

Result<AttachmentLayer> ParseLayer(const ojson& j, const std::string& what) {
  if (!j.is_object()) return RegistryError(what + ": a layer is not an object");
  auto mt = j.find("mediaType");
  auto dg = j.find("digest");
  auto sz = j.find("size");
  if (mt == j.end() || !mt->is_string() || dg == j.end() || !dg->is_string() || sz == j.end() ||
      !sz->is_number_integer() || sz->get<int64_t>() < 0) {
    return RegistryError(what + ": a layer lacks mediaType, digest or size");
  }
  AttachmentLayer layer;
  layer.media_type = mt->get<std::string>();
  auto digest = oci::Digest::Parse(dg->get<std::string>());
  if (!digest.ok()) return RegistryError(what + ": " + digest.status().message());
  layer.digest = *digest;
  layer.size = sz->get<int64_t>();
  if (auto an = j.find("annotations"); an != j.end() && an->is_object()) {
    for (const auto& [k, v] : an->items()) {
      if (v.is_string()) layer.annotations[k] = v.get<std::string>();
    }
  }
  return layer;
}

}  // namespace

std::string AttachmentTag(const oci::Digest& subject, std::string_view suffix) {
  return subject.TagForm() + "." + std::string(suffix);
}

Result<AttachmentManifest> ReadAttachmentManifest(registry::RegistryClient& client, const std::string& repo,
                                                  const std::string& tag, const registry::Scopes& scopes,
                                                  const CancelToken* cancel) {
  AttachmentManifest out;
  out.tag = tag;
  auto manifest = client.GetManifest(repo, tag, scopes, cancel);
  if (!manifest.ok()) {
    if (manifest.status().code() == Code::kNotFound) return out;
    return manifest.status();
  }
  const std::string what = client.host() + "/" + repo + ":" + tag;
  if (manifest->is_index()) return RegistryError(what + ": holds an index, not a cosign attachment manifest");
  ojson j = ojson::parse(manifest->bytes, nullptr, false);
  if (!j.is_object()) return RegistryError(what + ": manifest is not a JSON object");
  if (auto layers = j.find("layers"); layers != j.end()) {
    if (!layers->is_array()) return RegistryError(what + ": layers is not an array");
    for (const auto& l : *layers) {
      PROMOTE_ASSIGN_OR_RETURN(AttachmentLayer layer, ParseLayer(l, what));
      out.layers.push_back(std::move(layer));
    }
  }
  out.stored = std::move(*manifest);
  return out;
}

Result<oci::Digest> AppendAttachmentLayer(registry::RegistryClient& client, const std::string& repo,
                                          const AttachmentManifest& current, const NewAttachmentLayer& layer,
                                          const registry::Scopes& scopes, const CancelToken* cancel) {
  const std::string what = client.host() + "/" + repo + ":" + current.tag;
  if (current.layers.size() >= kMaxAttachmentLayers) {
    return Status(Code::kConflict, what + ": already holds " + std::to_string(current.layers.size()) +
                                       " layers; cosign refuses more than " +
                                       std::to_string(kMaxAttachmentLayers));
  }
  // Start from the stored manifest so existing layer descriptors (and any other fields) stay
  // exactly as they were; only config and the new layer change.
  ojson manifest;
  if (current.stored) {
    manifest = ojson::parse(current.stored->bytes, nullptr, false);
    if (!manifest.is_object()) return RegistryError(what + ": manifest is not a JSON object");
  } else {
    manifest = {{"schemaVersion", 2},
                {"mediaType", oci::media_type::kOciManifest},
                {"config", ojson::object()},
                {"layers", ojson::array()}};
  }
  if (!manifest.contains("layers") || !manifest["layers"].is_array()) manifest["layers"] = ojson::array();

  const oci::Digest blob_digest = oci::Digest::Of(layer.blob);
  PROMOTE_RETURN_IF_ERROR(client.PushBlobBytes(repo, layer.blob, scopes, cancel));

  ojson descriptor = {
      {"mediaType", layer.media_type}, {"size", layer.blob.size()}, {"digest", blob_digest.str()}};
  if (!layer.annotations.empty()) {
    ojson annotations = ojson::object();
    for (const auto& [k, v] : layer.annotations) annotations[k] = v;
    descriptor["annotations"] = std::move(annotations);
  }
  manifest["layers"].push_back(std::move(descriptor));

  std::vector<std::string> diff_ids;
  for (const auto& l : current.layers) diff_ids.push_back(l.digest.str());
  diff_ids.push_back(blob_digest.str());
  const std::string config = oci::CosignAttachmentConfig(diff_ids);
  PROMOTE_RETURN_IF_ERROR(client.PushBlobBytes(repo, config, scopes, cancel));
  std::string config_type(oci::media_type::kOciConfig);
  if (auto old = manifest.find("config"); old != manifest.end() && old->is_object()) {
    if (auto t = old->find("mediaType"); t != old->end() && t->is_string())
      config_type = t->get<std::string>();
  }
  manifest["config"] = {
      {"mediaType", config_type}, {"size", config.size()}, {"digest", oci::Digest::Of(config).str()}};

  std::string media_type(oci::media_type::kOciManifest);
  if (auto t = manifest.find("mediaType"); t != manifest.end() && t->is_string())
    media_type = t->get<std::string>();
  PROMOTE_ASSIGN_OR_RETURN(oci::Manifest out, oci::ParseManifest(manifest.dump(), media_type));
  PROMOTE_RETURN_IF_ERROR(client.PutManifest(repo, current.tag, out, scopes, cancel));
  return out.digest;
}

}  // namespace promote::sign
