#include "sign/digest_text.h"

namespace promote::sign {

bool IsSha256Hex(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsSha256Digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  return digest.substr(0, kPrefix.size()) == kPrefix && IsSha256Hex(digest.substr(kPrefix.size()));
}

}  // namespace promote::sign
