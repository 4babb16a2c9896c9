#include "sigstore/trusted_root.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>
#include <utility>

#include "util/base64.h"
#include "util/read_file.h"
#include "util/strict_json.h"

namespace promote::sigstore {
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

struct ValidityWindow {
  int64_t start = 0;
  std::optional<int64_t> end;
};

// A `validFor` object (start required, end optional); `name` is its path for messages.
Result<ValidityWindow> ParseValidFor(const json& parent, const std::string& name, std::string_view where) {
  auto bad = [&](const std::string& why) { return InvalidArgument(std::string(where) + ": " + name + why); };
  const json& valid = parent.contains("validFor") ? parent["validFor"] : json();
  if (!valid.is_object() || !valid.contains("start") || !valid["start"].is_string()) return bad(".start is missing");
  auto start = ParseRfc3339(valid["start"].get<std::string>());
  if (!start) return bad(".start is not an RFC 3339 time");
  ValidityWindow window{*start, std::nullopt};
  if (valid.contains("end")) {
    window.end = valid["end"].is_string() ? ParseRfc3339(valid["end"].get<std::string>()) : std::nullopt;
    if (!window.end) return bad(".end is not an RFC 3339 time");
  }
  return window;
}

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
  PROMOTE_ASSIGN_OR_RETURN(ValidityWindow valid, ParseValidFor(key, "publicKey.validFor", where));
  const json& log_id = doc.contains("logId") ? doc["logId"] : json();
  if (!log_id.is_object() || !log_id.contains("keyId") || !log_id["keyId"].is_string()) {
    return bad("logId.keyId is missing");
  }
  auto id = Base64Decode(log_id["keyId"].get<std::string>());
  if (!id || id->empty()) return bad("logId.keyId is not base64");
  std::string base_url = doc.contains("baseUrl") && doc["baseUrl"].is_string() ? doc["baseUrl"].get<std::string>() : "";
  return TransparencyLogKey{std::move(base_url), std::move(*id), std::move(parsed), valid.start, valid.end};
}

// The root's `subject` ({"organization": …, "commonName": …}) as "O=…, CN=…".
std::string DistinguishedName(const json& doc) {
  const json& subject = doc.contains("subject") && doc["subject"].is_object() ? doc["subject"] : json::object();
  std::string out;
  for (const auto& [field, label] : {std::pair{"organization", "O="}, std::pair{"commonName", "CN="}}) {
    if (!subject.contains(field) || !subject[field].is_string()) continue;
    out += (out.empty() ? "" : ", ") + std::string(label) + subject[field].get<std::string>();
  }
  return out;
}

// certChain.certificates[].rawBytes: each must be one whole DER certificate, so that a root
// promote could never check a timestamp with is refused when it is read, not when it is used.
Result<std::vector<std::string>> ParseCertChain(const json& doc, std::string_view where) {
  auto bad = [&](const std::string& why) { return InvalidArgument(std::string(where) + ": certChain." + why); };
  const json& chain = doc.contains("certChain") && doc["certChain"].is_object() ? doc["certChain"] : json();
  const json& certs = chain.is_object() && chain.contains("certificates") ? chain["certificates"] : json();
  if (!certs.is_array() || certs.empty()) return bad("certificates is missing or empty");
  std::vector<std::string> out;
  for (size_t i = 0; i < certs.size(); ++i) {
    const std::string at = "certificates[" + std::to_string(i) + "].rawBytes";
    if (!certs[i].is_object() || !certs[i].contains("rawBytes") || !certs[i]["rawBytes"].is_string()) {
      return bad(at + " is missing");
    }
    auto der = Base64Decode(certs[i]["rawBytes"].get<std::string>());
    if (!der) return bad(at + " is not base64");
    const auto* p = reinterpret_cast<const unsigned char*>(der->data());
    X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der->size()));
    const bool whole = cert != nullptr && p == reinterpret_cast<const unsigned char*>(der->data()) + der->size();
    X509_free(cert);
    ERR_clear_error();
    if (!whole) return bad(at + " is not a DER X.509 certificate");
    out.push_back(std::move(*der));
  }
  return out;
}

Result<TimestampAuthority> ParseTimestampAuthority(const json& doc, std::string_view where) {
  if (!doc.is_object()) return InvalidArgument(std::string(where) + ": is not an object");
  TimestampAuthority tsa;
  tsa.subject = DistinguishedName(doc);
  tsa.uri = doc.contains("uri") && doc["uri"].is_string() ? doc["uri"].get<std::string>() : "";
  PROMOTE_ASSIGN_OR_RETURN(tsa.cert_chain, ParseCertChain(doc, where));
  PROMOTE_ASSIGN_OR_RETURN(ValidityWindow valid, ParseValidFor(doc, "validFor", where));
  tsa.valid_from = valid.start;
  tsa.valid_until = valid.end;
  if (tsa.subject.empty()) tsa.subject = tsa.uri.empty() ? std::string(where) : tsa.uri;
  return tsa;
}

// Each element of the array `name` parsed with `parse`, named "<source>: <name>[i]" in errors.
template <typename T, typename Parse>
Result<std::vector<T>> ParseEach(const json& doc, const char* name, std::string_view source, Parse parse) {
  std::vector<T> out;
  if (!doc.contains(name)) return out;
  if (!doc[name].is_array()) return InvalidArgument(std::string(source) + ": " + name + " is not an array");
  for (size_t i = 0; i < doc[name].size(); ++i) {
    PROMOTE_ASSIGN_OR_RETURN(T item, parse(doc[name][i], std::string(source) + ": " + name + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(item));
  }
  return out;
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

std::string FormatRfc3339(int64_t unix_seconds) {
  const auto t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  char buf[32];
  if (gmtime_r(&t, &tm) == nullptr || std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return std::to_string(unix_seconds);
  }
  return buf;
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
  PROMOTE_ASSIGN_OR_RETURN(root.tlogs, ParseEach<TransparencyLogKey>(doc, "tlogs", source, ParseTlog));
  PROMOTE_ASSIGN_OR_RETURN(root.timestamp_authorities, ParseEach<TimestampAuthority>(doc, "timestampAuthorities",
                                                                                     source, ParseTimestampAuthority));
  return root;
}

}  // namespace promote::sigstore
