#include "copy/attachment_merge.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "oci/cosign_attachment_config.h"
#include "oci/media_types.h"

namespace promote::copy {
namespace {

using ojson = nlohmann::ordered_json;

// The descriptor list of `j` under `key`; an absent list is empty, another type is an error.
Result<ojson> ListOf(const ojson& j, const char* key, const char* side) {
  auto it = j.find(key);
  if (it == j.end()) return ojson::array();
  if (!it->is_array()) return InvalidArgument(std::string("the ") + side + "'s " + key + " is not an array");
  return *it;
}

std::string DigestOf(const ojson& descriptor) {
  if (!descriptor.is_object()) return "";
  auto it = descriptor.find("digest");
  return it != descriptor.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Result<AttachmentMerge> MergeAttachment(const oci::Manifest& target, const oci::Manifest& source) {
  if (target.is_index() != source.is_index()) {
    return Status(Code::kConflict,
                  std::string("the target holds ") + (target.is_index() ? "an index" : "an image manifest") +
                      " and the source " + (source.is_index() ? "an index" : "an image manifest") +
                      "; they cannot be merged");
  }
  ojson merged = ojson::parse(target.bytes, nullptr, false);
  ojson theirs = ojson::parse(source.bytes, nullptr, false);
  if (!merged.is_object()) return InvalidArgument("the target's manifest is not a JSON object");
  if (!theirs.is_object()) return InvalidArgument("the source's manifest is not a JSON object");

  const bool index = target.is_index();
  const char* key = index ? "manifests" : "layers";
  PROMOTE_ASSIGN_OR_RETURN(ojson have, ListOf(merged, key, "target"));
  PROMOTE_ASSIGN_OR_RETURN(ojson want, ListOf(theirs, key, "source"));

  AttachmentMerge out;
  for (const auto& entry : want) {
    const std::string digest = DigestOf(entry);
    if (digest.empty())
      return InvalidArgument(std::string("a descriptor in the source's ") + key + " has no digest");
    bool present = false;
    for (const auto& h : have) {
      // An index lists each manifest once; a .sig may list one payload twice, signed by two keys,
      // and the signature is in the descriptor's annotations, so layers compare whole (as JSON
      // values: key order is not part of a descriptor).
      if (index ? DigestOf(h) == digest : nlohmann::json(h) == nlohmann::json(entry)) {
        present = true;
        break;
      }
    }
    if (present) continue;
    have.push_back(entry);
    PROMOTE_ASSIGN_OR_RETURN(oci::Digest parsed, oci::Digest::Parse(digest));
    out.added.insert(parsed);
  }
  if (out.added.empty()) {  // the target covers the source: nothing to write
    out.manifest = target;
    return out;
  }
  if (!index && have.size() > oci::kMaxAttachmentLayers) {
    return Status(Code::kConflict, "together they hold " + std::to_string(have.size()) +
                                       " layers; cosign refuses more than " +
                                       std::to_string(oci::kMaxAttachmentLayers));
  }
  merged[key] = have;

  if (!index) {
    std::vector<std::string> diff_ids;
    for (const auto& l : have) diff_ids.push_back(DigestOf(l));
    out.config = oci::CosignAttachmentConfig(diff_ids);
    std::string config_type(oci::media_type::kOciConfig);
    if (auto old = merged.find("config"); old != merged.end() && old->is_object()) {
      if (auto t = old->find("mediaType"); t != old->end() && t->is_string())
        config_type = t->get<std::string>();
    }
    merged["config"] = {{"mediaType", config_type},
                        {"size", out.config.size()},
                        {"digest", oci::Digest::Of(out.config).str()}};
  }
  PROMOTE_ASSIGN_OR_RETURN(out.manifest, oci::ParseManifest(merged.dump(), target.media_type));
  return out;
}

}  // namespace promote::copy
