#include "scan/report_format.h"

#include <doctest/doctest.h>

#include "scan/report_json.h"
#include "scan_test_files.h"

using namespace promote;
using namespace promote::scan;
using promote::scan::testing::Fixture;

namespace {
struct FixtureFormat {
  const char* file;
  const char* format;
  size_t findings;
};
constexpr FixtureFormat kFixtures[] = {
    {"trivy-photon30-high-critical.json", "trivy-json", 3},
    {"trivy-slmicro54-clean.json", "trivy-json", 0},
    {"trivy-debian-buster-unfixed.json", "trivy-json", 2},
    {"trivy-fluentd-gems-multi-result.json", "trivy-json", 2},
    {"grype-chainguard-ruby.json", "grype-json", 3},
    {"grype-presenter-image-snapshot.json", "grype-json", 2},
};
}  // namespace

TEST_CASE("ParseReport dispatches on the format name") {
  for (const FixtureFormat& f : kFixtures) {
    CAPTURE(f.file);
    auto r = ParseReport(f.format, Fixture(f.file));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->findings.size() == f.findings);
  }
  auto unknown = ParseReport("cyclonedx", "{}");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == Code::kInvalidArgument);
  CHECK(unknown.status().message().find("trivy-json, grype-json, sarif") != std::string::npos);
  CHECK(IsKnownReportFormat("sarif"));
  CHECK_FALSE(IsKnownReportFormat("json"));
}

TEST_CASE("a fixture in the wrong format is refused, not read as clean") {
  CHECK_FALSE(ParseReport("trivy-json", Fixture("grype-chainguard-ruby.json")).ok());
  CHECK_FALSE(ParseReport("grype-json", Fixture("trivy-photon30-high-critical.json")).ok());
  CHECK_FALSE(ParseReport("sarif", Fixture("trivy-photon30-high-critical.json")).ok());
}

TEST_CASE("every fixture truncated anywhere is an error, never a partial report") {
  for (const FixtureFormat& f : kFixtures) {
    const std::string bytes = Fixture(f.file);
    for (size_t cut : {size_t{0}, size_t{1}, size_t{17}, bytes.size() / 3, bytes.size() / 2,
                       bytes.size() - 200, bytes.size() - 2}) {
      CAPTURE(f.file);
      CAPTURE(cut);
      auto r = ParseReport(f.format, std::string_view(bytes).substr(0, cut));
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Code::kInvalidArgument);
    }
  }
}

TEST_CASE("reports over the size bound are refused before parsing") {
  // Valid JSON, so only the bound can refuse it.
  std::string huge = R"({"SchemaVersion": 2, "pad": ")";
  huge.append(kMaxReportBytes, 'x');
  huge += "\"}";
  for (const char* format : {"trivy-json", "grype-json", "sarif"}) {
    CAPTURE(format);
    auto r = ParseReport(format, huge);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK(r.status().message().find("MiB limit") != std::string::npos);
  }
}
