// docker config.json text (registry/credentials.h, ParseDockerConfigEntry), looked up for Docker
// Hub and for a repository of a registry with a port (so namespaced `auths` keys are tried); no
// credential helper is ever run. Invariants: an entry carries credentials or a helper name, not
// both; credentials found are never empty and their scope covers the repository looked up; a
// helper name is a plain file-name suffix (no '/', no spaces).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "fuzz_check.h"
#include "registry/credentials.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::pair<std::string_view, std::string_view> lookups[] = {{"docker.io", "library/busybox"},
                                                                    {"reg.example.com:5000", "team/sub/app"}};
  for (auto [registry, repository] : lookups) {
    auto entry = promote::registry::ParseDockerConfigEntry(text, registry, "config.json", repository);
    if (!entry.ok()) {
      FUZZ_CHECK(entry.status().message().rfind("config.json: ", 0) == 0);
      continue;
    }
    FUZZ_CHECK(!(entry->credentials && !entry->helper.empty()));
    if (entry->credentials) {
      FUZZ_CHECK(!entry->credentials->empty());
      FUZZ_CHECK(promote::registry::ScopeCovers(entry->credentials->scope, registry, repository));
    }
    FUZZ_CHECK(entry->helper.find_first_of("/ \\\t\n") == std::string_view::npos);
  }
  return 0;
}
