#include "util/json_fields.h"

namespace promote {
namespace {

template <typename Json>
std::string StringMemberOf(const Json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->template get<std::string>() : std::string();
}

}  // namespace

std::string StringMember(const nlohmann::json& object, std::string_view key) {
  return StringMemberOf(object, key);
}

std::string StringMember(const nlohmann::ordered_json& object, std::string_view key) {
  return StringMemberOf(object, key);
}

}  // namespace promote
