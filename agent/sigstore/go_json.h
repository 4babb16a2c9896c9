// JSON text exactly as Go's encoding/json writes it, because cosign and containers/image sign
// the bytes Go produces and our output should be indistinguishable from theirs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace promote::sigstore {

// Appends `s` as a quoted JSON string with Go's escaping (Go >= 1.22): \" \\ \b \f \n \r \t,
// other control characters as \u00XX, '<' '>' '&' as \u003c \u003e \u0026, U+2028 and U+2029
// escaped, and invalid UTF-8 replaced by \ufffd.
void AppendGoJsonString(std::string& out, std::string_view s);
std::string GoJsonString(std::string_view s);

// Compact encoding of `value` with Go's string escaping. Object members come in the order
// nlohmann::json holds them (sorted by key, as Go sorts map keys). Numbers use nlohmann's
// formatting, which matches Go for integers.
std::string GoJsonEncode(const nlohmann::json& value);

}  // namespace promote::sigstore
