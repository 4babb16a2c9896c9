#include "sign/trusted_root.h"

#include <cstdio>
#include <ctime>

#include "sign/bounded_input.h"
#include "sign/strict_json.h"
#include "util/base64.h"

namespace promote::sign {
namespace {

using json = nlohmann::json;

bool Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

int Num(std::string_view s, size_t pos, size_t n) { return std::stoi(std::string(s.substr(pos, n))); }

Result<TransparencyLogKey> ParseTlog(const json& doc, std::string_view where) {
  auto bad = [&](const std::string& why) { return InvalidArgument(std::string(where) + ": " + why); };
  if (!doc.is_object()) return bad("is not an object");
  const json& key = doc.contains("publicKey") ? doc["publicKey"] : json();
  if (!key.is_object() || !key.contains("rawBytes") || !key["rawBytes"].is_string()) {
    return bad("publicKey.rawBytes is missing");
  }
  auto der = Base64Decode(key["rawBytes"].get<std::string>());
  if (!der) return bad("publicKey.rawBytes is not base64");
  PROMOTE_ASSIGN_OR_RETURN(VerificationKey parsed, VerificationKey::FromSpkiDer(*der, std::string(where) + ": publicKey"));
  const json& valid = key.contains("validFor") ? key["validFor"] : json();
  if (!valid.is_object() || !valid.contains("start") || !valid["start"].is_string()) {
    return bad("publicKey.validFor.start is missing");
  }
  auto start = ParseRfc3339(valid["start"].get<std::string>());
  if (!start) return bad("publicKey.validFor.start is not an RFC 3339 time");
  std::optional<int64_t> end;
  if (valid.contains("end")) {
    end = valid["end"].is_string() ? ParseRfc3339(valid["end"].get<std::string>()) : std::nullopt;
    if (!end) return bad("publicKey.validFor.end is not an RFC 3339 time");
  }
  const json& log_id = doc.contains("logId") ? doc["logId"] : json();
  if (!log_id.is_object() || !log_id.contains("keyId") || !log_id["keyId"].is_string()) {
    return bad("logId.keyId is missing");
  }
  auto id = Base64Decode(log_id["keyId"].get<std::string>());
  if (!id || id->empty()) return bad("logId.keyId is not base64");
  std::string base_url = doc.contains("baseUrl") && doc["baseUrl"].is_string() ? doc["baseUrl"].get<std::string>() : "";
  return TransparencyLogKey{std::move(base_url), std::move(*id), std::move(parsed), *start, end};
}

}  // namespace

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS
  if (!Digits(s, 0, 4) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2) || s[7] != '-' || !Digits(s, 8, 2) ||
      (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2) || s[13] != ':' || !Digits(s, 14, 2) || s[16] != ':' ||
      !Digits(s, 17, 2)) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = Num(s, 0, 4) - 1900;
  tm.tm_mon = Num(s, 5, 2) - 1;
  tm.tm_mday = Num(s, 8, 2);
  tm.tm_hour = Num(s, 11, 2);
  tm.tm_min = Num(s, 14, 2);
  tm.tm_sec = Num(s, 17, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos, ++digits;
    if (digits == 0) return std::nullopt;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && Digits(s, pos + 1, 2) && s[pos + 3] == ':' &&
             Digits(s, pos + 4, 2)) {
    offset = (Num(s, pos + 1, 2) * 3600 + Num(s, pos + 4, 2) * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

const TransparencyLogKey* TrustedRoot::FindLog(std::string_view log_id) const {
  for (const auto& log : tlogs) {
    if (log.log_id == log_id) return &log;
  }
  return nullptr;
}

Result<TrustedRoot> ParseTrustedRoot(std::string_view json_text, std::string_view source) {
  PROMOTE_RETURN_IF_ERROR(CheckInputSize(json_text, kMaxTrustedRootBytes, source));
  PROMOTE_ASSIGN_OR_RETURN(json doc, ParseStrictJson(json_text, std::string(source)));
  if (!doc.is_object()) return InvalidArgument(std::string(source) + ": must be a JSON object");
  const std::string media_type = doc.contains("mediaType") && doc["mediaType"].is_string() ? doc["mediaType"].get<std::string>() : "";
  if (media_type.rfind("application/vnd.dev.sigstore.trustedroot", 0) != 0) {
    return InvalidArgument(std::string(source) + ": mediaType '" + media_type +
                           "' is not a Sigstore trusted root (application/vnd.dev.sigstore.trustedroot+json)");
  }
  TrustedRoot root;
  if (doc.contains("tlogs")) {
    if (!doc["tlogs"].is_array()) return InvalidArgument(std::string(source) + ": tlogs is not an array");
    for (size_t i = 0; i < doc["tlogs"].size(); ++i) {
      PROMOTE_ASSIGN_OR_RETURN(TransparencyLogKey log,
                               ParseTlog(doc["tlogs"][i], std::string(source) + ": tlogs[" + std::to_string(i) + "]"));
      root.tlogs.push_back(std::move(log));
    }
  }
  return root;
}

}  // namespace promote::sign
