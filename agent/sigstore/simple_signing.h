// The cosign "simple signing" payload: the JSON document a .sig layer carries and the signature
// covers, binding a manifest digest to a claimed image identity. See docs/cosign-format.md §1.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/status.h"

namespace promote::sigstore {

inline constexpr std::string_view kSimpleSigningType = "cosign container image signature";
inline constexpr std::string_view kSimpleSigningMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
// The .sig layer annotation holding the std base64 of the DER signature.
inline constexpr std::string_view kSignatureAnnotation = "dev.cosignproject.cosign/signature";

// What a payload claims.
struct SimpleSigningClaims {
  std::string docker_reference;  // critical.identity.docker-reference, e.g. "reg/ns/app" or "reg/ns/app:v1"
  std::string manifest_digest;   // critical.image.docker-manifest-digest, "sha256:<hex>"
  nlohmann::json optional;       // null, or the "optional" object as signed (annotations, creator, ...)
};

// Builds the exact payload bytes cosign writes (compact, Go escaping, no trailing newline):
// {"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},
//  "type":"cosign container image signature"},"optional":O}
// O is null when `annotations` is empty, else the annotations object with keys sorted. Values are
// strings, as cosign's -a writes them, except "timestamp", which containers/image reads as integer
// Unix seconds: it must be an integer and is written as a JSON number (kInvalidArgument otherwise).
// kInvalidArgument if `manifest_digest` is not "sha256:<64 hex>" or `docker_reference` is empty.
inline constexpr std::string_view kTimestampKey = "timestamp";
Result<std::string> BuildSimpleSigningPayload(std::string_view docker_reference,
                                              std::string_view manifest_digest,
                                              const std::map<std::string, std::string>& annotations = {});

// Parses a payload as strictly as containers/image does: exactly the keys above (optional must be
// present, null or an object), no duplicate keys, no trailing data, the type constant, a
// well-formed sha256 digest, a non-empty string reference; in `optional`, "creator" must be a
// string and "timestamp" an integer when present. Payloads over kMaxSimpleSigningPayloadBytes are
// refused. Errors are kInvalidArgument starting "simple-signing payload: ".
Result<SimpleSigningClaims> ParseSimpleSigningPayload(std::string_view payload);

}  // namespace promote::sigstore
