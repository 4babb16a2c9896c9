#include "sigstore/signature_format.h"

#include <string>

namespace promote::sigstore {

Result<SignatureFormat> ParseSignatureFormat(std::string_view text, std::string_view what) {
  if (text == "cosign") return SignatureFormat::kCosign;
  if (text == "bundle") return SignatureFormat::kBundle;
  return InvalidArgument(std::string(what) + " '" + std::string(text) + "': not one of cosign, bundle");
}

std::string_view SignatureFormatName(SignatureFormat format) {
  return format == SignatureFormat::kBundle ? "bundle" : "cosign";
}

}  // namespace promote::sigstore
