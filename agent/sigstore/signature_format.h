// Where promote writes what it signs (image signatures, promotion records, scan evidence): as
// cosign's tags beside the image ("sha256-<hex>.sig" / ".att"), or as Sigstore bundles attached
// as OCI 1.1 referrers, the format cosign v3 writes by default. Both are read everywhere.
#pragma once

#include <string_view>

#include "util/status.h"

namespace promote::sigstore {

enum class SignatureFormat {
  kCosign,  // "cosign": .sig / .att tags (the default)
  kBundle,  // "bundle": Sigstore bundle v0.3 referrers (DSSE over an in-toto statement)
};

// "cosign" or "bundle"; kInvalidArgument naming `what` and the value otherwise.
Result<SignatureFormat> ParseSignatureFormat(std::string_view text, std::string_view what);
std::string_view SignatureFormatName(SignatureFormat format);

}  // namespace promote::sigstore
