// Base64 (RFC 4648) encoding and strict decoding, standard and URL-safe alphabets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace promote {

std::string Base64Encode(std::string_view bytes);            // standard alphabet, padded
std::string Base64UrlEncode(std::string_view bytes);         // URL-safe alphabet, unpadded (JWT)

// Strict decoders: return nullopt on any character outside the alphabet, bad padding or
// bad length. Base64Decode needs padding; Base64UrlDecode accepts it with or without.
std::optional<std::string> Base64Decode(std::string_view text);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace promote
