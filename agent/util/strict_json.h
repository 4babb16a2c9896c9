// Strict JSON parsing for signed documents: like Go's decoder in containers/image, it refuses
// duplicate object keys (which let two parsers see different claims) and trailing data.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "util/status.h"

namespace promote {

// Parses `text` as one JSON value. Syntax errors, invalid UTF-8, duplicate keys in any object,
// nesting deeper than kMaxJsonNesting and data after the value are kInvalidArgument errors whose
// message starts with `what`.
Result<nlohmann::json> ParseStrictJson(std::string_view text, std::string_view what);

// Checks that `object` has exactly the keys in `keys` (no more, no fewer); `what` names the
// object in the error, e.g. "simple-signing payload: critical".
Status RequireExactKeys(const nlohmann::json& object, std::initializer_list<std::string_view> keys,
                        std::string_view what);

}  // namespace promote
