// Content digests computed with OpenSSL directly, so tests check the product's digests against
// an independent implementation.
#pragma once

#include <string>
#include <string_view>

namespace promote::testing {

// "sha256:" followed by 64 lowercase hex characters.
std::string Sha256Digest(std::string_view bytes);

// Random bytes as lowercase hex (2 * num_bytes characters), for passwords and unique names.
std::string RandomHex(size_t num_bytes);

}  // namespace promote::testing
