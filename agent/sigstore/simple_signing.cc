#include "sigstore/simple_signing.h"

#include <charconv>
#include <cmath>

#include "oci/digest.h"
#include "sigstore/go_json.h"
#include "sigstore/size_limits.h"
#include "util/read_file.h"
#include "util/strict_json.h"

namespace promote::sigstore {
namespace {

using json = nlohmann::json;

constexpr std::string_view kPayloadWhat = "simple-signing payload";

std::string What(std::string_view field) { return std::string(kPayloadWhat) + ": " + std::string(field); }

Status CheckOptional(const json& optional) {
  if (optional.is_null()) return OkStatus();
  if (!optional.is_object()) return InvalidArgument(What("optional must be null or an object"));
  if (auto it = optional.find("creator"); it != optional.end() && !it->is_string()) {
    return InvalidArgument(What("optional.creator must be a string"));
  }
  if (auto it = optional.find("timestamp"); it != optional.end()) {
    const bool integral = it->is_number_integer() ||
                          (it->is_number_float() && std::trunc(it->get<double>()) == it->get<double>() &&
                           std::isfinite(it->get<double>()));
    if (!integral) return InvalidArgument(What("optional.timestamp must be an integer"));
  }
  return OkStatus();
}

}  // namespace

Result<std::string> BuildSimpleSigningPayload(std::string_view docker_reference,
                                              std::string_view manifest_digest,
                                              const std::map<std::string, std::string>& annotations) {
  if (docker_reference.empty()) {
    return InvalidArgument("simple-signing payload: the signed identity (docker reference) is empty");
  }
  if (!oci::Digest::Parse(manifest_digest).ok()) {
    return InvalidArgument("simple-signing payload: manifest digest '" + std::string(manifest_digest) +
                           "' is not sha256:<64 lowercase hex>");
  }
  if (auto it = annotations.find(std::string(kTimestampKey)); it != annotations.end()) {
    // containers/image reads optional.timestamp as integer Unix seconds and refuses anything else
    // (so does promote's own verify); a string "1700000000" would make the signature unreadable.
    const std::string& v = it->second;
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (ec != std::errc() || end != v.data() + v.size() || v.empty() || std::to_string(seconds) != v) {
      return InvalidArgument("annotation timestamp='" + v +
                             "' is not an integer: verifiers read optional.timestamp as Unix seconds");
    }
  }
  std::string out = "{\"critical\":{\"identity\":{\"docker-reference\":";
  AppendGoJsonString(out, docker_reference);
  out += "},\"image\":{\"docker-manifest-digest\":";
  AppendGoJsonString(out, manifest_digest);
  out += "},\"type\":";
  AppendGoJsonString(out, kSimpleSigningType);
  out += "},\"optional\":";
  if (annotations.empty()) {
    out += "null";
  } else {
    out += '{';
    bool first = true;
    for (const auto& [key, value] : annotations) {  // std::map: sorted by bytes, as Go sorts keys
      if (!first) out += ',';
      first = false;
      AppendGoJsonString(out, key);
      out += ':';
      if (key == kTimestampKey) {
        out += value;  // checked above: an integer, which is how every verifier reads it
      } else {
        AppendGoJsonString(out, value);
      }
    }
    out += '}';
  }
  out += '}';
  return out;
}

Result<SimpleSigningClaims> ParseSimpleSigningPayload(std::string_view payload) {
  PROMOTE_RETURN_IF_ERROR(CheckInputSize(payload, kMaxSimpleSigningPayloadBytes, kPayloadWhat));
  PROMOTE_ASSIGN_OR_RETURN(json doc, ParseStrictJson(payload, kPayloadWhat));
  PROMOTE_RETURN_IF_ERROR(RequireExactKeys(doc, {"critical", "optional"}, kPayloadWhat));
  const json& critical = doc["critical"];
  PROMOTE_RETURN_IF_ERROR(RequireExactKeys(critical, {"type", "image", "identity"}, What("critical")));
  const json& type = critical["type"];
  if (!type.is_string() || type.get_ref<const std::string&>() != kSimpleSigningType) {
    return InvalidArgument(What("critical.type must be \"" + std::string(kSimpleSigningType) + "\""));
  }
  const json& image = critical["image"];
  PROMOTE_RETURN_IF_ERROR(RequireExactKeys(image, {"docker-manifest-digest"}, What("critical.image")));
  const json& digest = image["docker-manifest-digest"];
  if (!digest.is_string() || !oci::Digest::Parse(digest.get_ref<const std::string&>()).ok()) {
    return InvalidArgument(What("critical.image.docker-manifest-digest must be sha256:<64 lowercase hex>"));
  }
  const json& identity = critical["identity"];
  PROMOTE_RETURN_IF_ERROR(RequireExactKeys(identity, {"docker-reference"}, What("critical.identity")));
  const json& reference = identity["docker-reference"];
  if (!reference.is_string() || reference.get_ref<const std::string&>().empty()) {
    return InvalidArgument(What("critical.identity.docker-reference must be a non-empty string"));
  }
  PROMOTE_RETURN_IF_ERROR(CheckOptional(doc["optional"]));

  SimpleSigningClaims claims;
  claims.docker_reference = reference.get<std::string>();
  claims.manifest_digest = digest.get<std::string>();
  claims.optional = doc["optional"];
  return claims;
}

}  // namespace promote::sigstore
