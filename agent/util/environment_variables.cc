#include "util/environment_variables.h"

#include <cstring>

namespace promote {

EnvironmentVariables::EnvironmentVariables(const std::map<std::string, std::string>& variables)
    : variables_(std::make_shared<const Map>(variables.begin(), variables.end())) {}

EnvironmentVariables::EnvironmentVariables(
    std::initializer_list<std::pair<const std::string, std::string>> variables)
    : variables_(std::make_shared<const Map>(variables.begin(), variables.end())) {}

EnvironmentVariables EnvironmentVariables::FromEntries(const char* const* entries) {
  Map variables;
  for (const char* const* e = entries; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq == nullptr) continue;
    variables.emplace(std::string(*e, eq), std::string(eq + 1));  // emplace keeps the first
  }
  EnvironmentVariables out;
  out.variables_ = std::make_shared<const Map>(std::move(variables));
  return out;
}

std::optional<std::string> EnvironmentVariables::Get(std::string_view name) const {
  if (!variables_) return std::nullopt;
  auto it = variables_->find(name);
  if (it == variables_->end()) return std::nullopt;
  return it->second;
}

std::string EnvironmentVariables::GetOr(std::string_view name, std::string_view fallback) const {
  std::optional<std::string> value = Get(name);
  return value && !value->empty() ? *value : std::string(fallback);
}

std::vector<std::string> EnvironmentVariables::Entries() const {
  std::vector<std::string> out;
  if (!variables_) return out;
  out.reserve(variables_->size());
  for (const auto& [name, value] : *variables_) out.push_back(name + "=" + value);
  return out;
}

}  // namespace promote
