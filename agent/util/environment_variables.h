// EnvironmentVariables: the environment variables the library may consult, as a value handed to
// it. The CLI takes one from its own process environment (cli/process_environment.h) and passes
// it down through the settings it builds; tests build one from a map. Nothing in agent/ outside
// cli/ calls getenv, so what the library sees is what its caller gave it. Immutable once built;
// copies share the variables; thread-safe.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace promote {

class EnvironmentVariables {
 public:
  // No variable set.
  EnvironmentVariables() = default;
  explicit EnvironmentVariables(const std::map<std::string, std::string>& variables);
  EnvironmentVariables(std::initializer_list<std::pair<const std::string, std::string>> variables);
  // From "NAME=value" entries as `environ` holds them (a null-terminated array); when a name
  // repeats the first wins, as getenv reads it. Entries without '=' are ignored.
  static EnvironmentVariables FromEntries(const char* const* entries);

  // The value of `name`; nullopt when it is not set (set to "" is set).
  std::optional<std::string> Get(std::string_view name) const;
  // The value of `name` when it is set and not empty, else `fallback`.
  std::string GetOr(std::string_view name, std::string_view fallback) const;
  // Every variable as "NAME=value", sorted by name: what util/child_env.h filters for a child.
  std::vector<std::string> Entries() const;

 private:
  using Map = std::map<std::string, std::string, std::less<>>;
  std::shared_ptr<const Map> variables_;
};

}  // namespace promote
