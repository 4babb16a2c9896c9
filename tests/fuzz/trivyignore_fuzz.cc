// Trivy ignore files (scan/trivyignore.h), plain and YAML. Invariants of accepted entries: a
// non-empty id, a reason, and an expiry that is a real calendar date.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "scan/trivyignore.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace promote::scan;
  for (TrivyIgnoreFormat format : {TrivyIgnoreFormat::kPlain, TrivyIgnoreFormat::kYaml}) {
    auto entries = ParseTrivyIgnore(text, ".trivyignore", format);
    if (!entries.ok()) continue;
    for (const auto& e : *entries) {
      FUZZ_CHECK(!e.id.empty());
      FUZZ_CHECK(!e.reason.empty());
      if (e.expires) FUZZ_CHECK(e.expires->ok());
    }
  }
  return 0;
}
