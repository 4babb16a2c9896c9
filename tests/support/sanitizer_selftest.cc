// The sanitizer pass can fail: each kind of bug it is there for, planted in sanitizer_canary,
// is reported and ends the process with a failure (UB included: it does not recover).
#include <doctest/doctest.h>

#include "util/subprocess.h"

namespace {

promote::ProcessResult RunCanary(const std::string& bug) {
  promote::ProcessOptions p;
  p.argv = {std::string(PROMOTE_CANARY_PATH), bug};
  auto r = promote::RunProcess(p);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("the sanitizer build catches memory errors, undefined behaviour and leaks, and fails on them") {
  struct Case {
    const char* bug;
    const char* report;
  };
  for (const Case& c : {Case{"heap-overflow", "AddressSanitizer: heap-buffer-overflow"},
                        Case{"use-after-free", "AddressSanitizer: heap-use-after-free"},
                        Case{"signed-overflow", "runtime error: signed integer overflow"},
                        Case{"leak", "LeakSanitizer: detected memory leaks"}}) {
    CAPTURE(c.bug);
    auto r = RunCanary(c.bug);
    INFO(r.stderr_data);
    CHECK(r.stderr_data.find(c.report) != std::string::npos);
    CHECK((r.signal != 0 || r.exit_code != 0));
    CHECK(r.stdout_data.find("the bug went unnoticed") == std::string::npos);
  }
}
