// WWW-Authenticate header values (registry/www_authenticate.h). Invariants: success means at
// least one challenge; schemes are non-empty and lower case, parameter names lower case.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "registry/www_authenticate.h"

namespace {

bool IsLower(std::string_view s) {
  for (char c : s) {
    if (std::tolower(static_cast<unsigned char>(c)) != static_cast<unsigned char>(c)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  auto challenges = promote::registry::ParseWwwAuthenticate(header);
  if (!challenges.ok()) return 0;
  FUZZ_CHECK(!challenges->empty());
  for (const auto& c : *challenges) {
    FUZZ_CHECK(!c.scheme.empty() && IsLower(c.scheme));
    for (const auto& [name, value] : c.params) {
      FUZZ_CHECK(!name.empty() && IsLower(name));
      FUZZ_CHECK(value.size() <= header.size());
    }
    (void)c.Param("realm");
  }
  return 0;
}
