// The bytes of a string as C libraries (OpenSSL, libsodium) take them.
#pragma once

#include <string_view>

namespace promote {

inline const unsigned char* UnsignedBytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace promote
