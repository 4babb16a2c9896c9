#include "registry/registry_error.h"

#include <nlohmann/json.hpp>

namespace promote::registry {
namespace {

Code CodeForRegistryError(const std::string& code, long status) {
  if (code == "MANIFEST_UNKNOWN" || code == "BLOB_UNKNOWN" || code == "NAME_UNKNOWN") return Code::kNotFound;
  if (code == "UNAUTHORIZED") return Code::kUnauthenticated;
  if (code == "DENIED") return Code::kPermissionDenied;
  if (code == "TOOMANYREQUESTS") return Code::kUnavailable;
  if (code == "DIGEST_INVALID" || code == "SIZE_INVALID") return Code::kDataLoss;
  if (status == 401) return Code::kUnauthenticated;
  if (status == 403) return Code::kPermissionDenied;
  if (status == 404) return Code::kNotFound;
  if (IsRetryableStatus(status)) return Code::kUnavailable;
  return Code::kRegistryError;
}

// Registry-controlled text is shown to users: keep it printable and short.
std::string Sanitize(std::string s) {
  if (s.size() > 300) s = s.substr(0, 300) + "…";
  for (auto& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return s;
}

}  // namespace

bool IsRetryableStatus(long status) { return status == 408 || status == 429 || (status >= 500 && status <= 599); }

Status RegistryErrorFromResponse(const HttpResponse& response, std::string_view what) {
  std::string first_code;
  std::string detail;
  auto j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      std::string code = e.value("code", "");
      std::string message = e.value("message", "");
      if (first_code.empty()) first_code = code;
      if (!detail.empty()) detail += "; ";
      detail += code.empty() ? message : code + (message.empty() ? "" : ": " + message);
    }
  }
  Code code = CodeForRegistryError(first_code, response.status);
  std::string msg = std::string(what) + ": registry answered HTTP " + std::to_string(response.status);
  if (!detail.empty()) msg += " (" + Sanitize(detail) + ")";
  if (code == Code::kUnauthenticated) msg += "; check the credentials for this registry";
  if (code == Code::kPermissionDenied) msg += "; the credentials lack access to this repository";
  return Status(code, msg);
}

}  // namespace promote::registry
