// Reading optional members of JSON documents from elsewhere (registry error bodies, referrers
// indexes, records, predicates) without throwing on a missing or mistyped field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace promote {

// object[key] when `object` is a JSON object holding a string there; "" otherwise (not an object,
// no such key, or a member that is not a string).
std::string StringMember(const nlohmann::json& object, std::string_view key);
std::string StringMember(const nlohmann::ordered_json& object, std::string_view key);

}  // namespace promote
