#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  // spdlog builds its logger registry on first use. Build it before any test starts threads: the
  // guard of that lazy initialisation sits in the shared library, where ThreadSanitizer cannot
  // see it, so two transfer threads logging first would be reported as a race.
  spdlog::default_logger();
  doctest::Context context(argc, argv);
  return context.run();
}
