#include "copy/copy_report.h"

namespace promote::copy {

namespace {

nlohmann::json AttachmentsJson(const AttachmentCounts& a) {
  nlohmann::json conflicts = nlohmann::json::array();
  for (const auto& c : a.conflicts) conflicts.push_back({{"tag", c.tag}, {"reason", c.reason}});
  nlohmann::json j = {{"copied", a.copied}, {"skipped", a.skipped}, {"merged", a.merged}, {"conflicts", conflicts}};
  if (!a.not_carried.empty()) {
    j["not_carried"] = nlohmann::json::array();
    for (const auto& n : a.not_carried)
      j["not_carried"].push_back({{"subject", n.subject}, {"reason", n.reason}});
  }
  return j;
}

}  // namespace

nlohmann::json CopyReport::BodyJson() const {
  auto counts = [](const TransferCounts& c) {
    return nlohmann::json{{"copied", c.copied}, {"mounted", c.mounted}, {"skipped", c.skipped}};
  };
  return {
      {"source", source},
      {"target", target},
      {"digest", digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(digest)},
      {"source_digest", source_digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(source_digest)},
      {"subset_of", subset_of.empty() ? nlohmann::json(nullptr) : nlohmann::json(subset_of)},
      {"media_type", media_type},
      {"platforms", platforms},
      {"tags",
       {{"written", tags_written},
        {"unchanged", tags_unchanged},
        {"moved", tags_moved},
        {"refused", tags_refused}}},
      {"dry_run", dry_run},
      {"blobs", counts(blobs)},
      {"manifests", {{"copied", manifests_copied}, {"skipped", manifests_skipped}}},
      {"bytes", counts(blob_bytes)},
      {"attachments", AttachmentsJson(attachments)},
      {"timings_ms", {{"total", duration_ms}}},
  };
}

}  // namespace promote::copy
