#include "registry/registry_error.h"

#include <nlohmann/json.hpp>

#include "util/json_fields.h"
#include "util/json_nesting.h"

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
  if (s.size() > 300) {
    size_t cut = 300;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
    s = s.substr(0, cut) + "…";
  }
  for (auto& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return s;
}

// A string member of an error object, or "" when it is absent or not a string: the body is the
// registry's, and {"code":5} must not throw (nlohmann's value() does on a type mismatch).
// A distribution error code as the spec spells them (MANIFEST_UNKNOWN, DENIED, TOOMANYREQUESTS):
// only such a code is kept as the Status's reason, so what callers branch on is never arbitrary
// registry text.
bool IsErrorCodeName(const std::string& code) {
  if (code.empty() || code.size() > 64) return false;
  for (char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

bool IsRetryableStatus(long status) { return status == 408 || status == 429 || (status >= 500 && status <= 599); }

Status RegistryErrorFromResponse(const HttpResponse& response, std::string_view what) {
  std::string first_code;
  std::string detail;
  // Only a complete body of bounded size (see kMaxErrorBodyBytes) and sane nesting is parsed;
  // anything else is reported by its HTTP status alone. No exception leaves this function.
  nlohmann::json j;
  if (!response.body_truncated && response.body.size() <= kMaxErrorBodyBytes && !JsonNestingExceeds(response.body)) {
    j = nlohmann::json::parse(response.body, nullptr, false);
  }
  auto errors = j.is_object() ? j.find("errors") : j.end();
  if (j.is_object() && errors != j.end() && errors->is_array()) {
    for (const auto& e : *errors) {
      if (!e.is_object()) continue;
      std::string code = StringMember(e, "code");
      std::string message = StringMember(e, "message");
      if (code.empty() && message.empty()) continue;
      if (first_code.empty()) first_code = code;
      if (!detail.empty()) detail += "; ";
      detail += code.empty() ? message : code + (message.empty() ? "" : ": " + message);
      if (detail.size() > 1000) break;
    }
  }
  Code code = CodeForRegistryError(first_code, response.status);
  std::string msg = std::string(what) + ": registry answered HTTP " + std::to_string(response.status);
  if (!detail.empty()) msg += " (" + Sanitize(detail) + ")";
  if (code == Code::kUnauthenticated) msg += "; check the credentials for this registry";
  if (code == Code::kPermissionDenied) msg += "; the credentials lack access to this repository";
  return Status(code, msg).WithReason(IsErrorCodeName(first_code) ? first_code : std::string());
}

}  // namespace promote::registry
