// Checks on digest strings that appear inside signed documents ("sha256:<64 lowercase hex>").
// Kept local so the signing formats depend only on util.
#pragma once

#include <string_view>

namespace promote::sign {

// True for exactly 64 lowercase hex characters.
bool IsSha256Hex(std::string_view hex);
// True for "sha256:" followed by IsSha256Hex.
bool IsSha256Digest(std::string_view digest);

}  // namespace promote::sign
