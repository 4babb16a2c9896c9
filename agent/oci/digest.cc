#include "oci/digest.h"

#include "util/sha256.h"

namespace promote::oci {

Result<Digest> Digest::Parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("digest '" + std::string(text) + "': expected sha256:<64 hex characters>");
  }
  std::string_view alg = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  if (alg != "sha256") {
    return InvalidArgument("digest '" + std::string(text) + "': unsupported algorithm '" + std::string(alg) +
                           "' (only sha256 is supported)");
  }
  if (hex.size() != 64) {
    return InvalidArgument("digest '" + std::string(text) + "': sha256 needs 64 hex characters, got " +
                           std::to_string(hex.size()));
  }
  for (char c : hex) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!ok) {
      return InvalidArgument("digest '" + std::string(text) + "': must be lowercase hex");
    }
  }
  return Digest(std::string(hex));
}

Digest Digest::Of(std::string_view bytes) { return Digest(Sha256Hex(bytes)); }

}  // namespace promote::oci
