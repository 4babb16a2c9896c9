#include "server/audit_line.h"

#include "util/status.h"

namespace promote::server {
namespace {

void CopyString(const nlohmann::json& from, const char* key, const char* as, nlohmann::json* to) {
  if (from.is_object() && from.contains(key) && from[key].is_string() && !from[key].get<std::string>().empty()) {
    (*to)[as] = from[key];
  }
}

// What one image's result says: references, digest, environments, commit, tags.
nlohmann::json ImageFields(const nlohmann::json& r) {
  nlohmann::json f = nlohmann::json::object();
  CopyString(r, "source", "source", &f);
  CopyString(r, "target", "target", &f);
  CopyString(r, "reference", "reference", &f);
  CopyString(r, "digest", "digest", &f);
  CopyString(r, "sha", "commit", &f);
  CopyString(r, "env", "env", &f);
  CopyString(r, "from_digest", "from_digest", &f);  // a rollback: from this digest to to_digest
  CopyString(r, "to_digest", "digest", &f);
  if (r.contains("from") && r["from"].is_object()) {
    CopyString(r["from"], "env", "from_env", &f);
    CopyString(r["from"], "reference", "source", &f);
  }
  if (r.contains("to") && r["to"].is_object()) {
    CopyString(r["to"], "env", "to_env", &f);
    CopyString(r["to"], "reference", "target", &f);
  }
  if (r.contains("tags_moved") && r["tags_moved"].is_array() && !r["tags_moved"].empty()) {
    f["tags_moved"] = r["tags_moved"];  // a rollback
  }
  if (r.contains("tags") && r["tags"].is_object()) {
    for (const char* kind : {"written", "moved"}) {
      const auto& tags = r["tags"].value(kind, nlohmann::json::array());
      if (tags.is_array() && !tags.empty()) f[std::string("tags_") + kind] = tags;
    }
  }
  return f;
}

}  // namespace

std::string Verdict(const service::Outcome& outcome) {
  const auto& j = outcome.json;
  if (j.is_object() && j.contains("status") && j["status"].is_string()) return j["status"].get<std::string>();
  if (outcome.status.ok()) return "ok";
  return ExitCodeFor(outcome.status.code()) == 3 ? "refused" : "failed";
}

nlohmann::json AuditFields(const service::Outcome& outcome) {
  nlohmann::json f = nlohmann::json::object();
  f["verdict"] = Verdict(outcome);
  if (!outcome.application.empty()) f["application"] = outcome.application;
  if (!outcome.status.ok()) f["error_code"] = CodeName(outcome.status.code());
  const auto& j = outcome.json;
  if (j.is_object() && j.contains("results") && j["results"].is_array()) {
    // Several images in one call (promote copy of a list).
    nlohmann::json images = nlohmann::json::array();
    for (const auto& r : j["results"]) images.push_back(ImageFields(r));
    f["images"] = std::move(images);
  } else {
    f.update(ImageFields(j));
  }
  return f;
}

}  // namespace promote::server
