// Scanner reports (scan/trivy_report.h, grype_report.h, sarif_report.h): every parser on every
// input. Invariants of an accepted report: the raw bytes are kept exactly, the scanner is named,
// every finding has an id and a severity in range.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "scan/grype_report.h"
#include "scan/sarif_report.h"
#include "scan/trivy_report.h"

namespace {

void Check(const promote::Result<promote::scan::ScanReport>& report, std::string_view bytes,
           std::string_view scanner) {
  if (!report.ok()) return;
  FUZZ_CHECK(report->raw == bytes);
  FUZZ_CHECK(report->scanner == scanner);
  for (const auto& f : report->findings) {
    FUZZ_CHECK(!f.id.empty());
    FUZZ_CHECK(f.severity >= promote::scan::Severity::kUnknown && f.severity <= promote::scan::Severity::kCritical);
    (void)promote::scan::SeverityName(f.severity);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Check(promote::scan::ParseTrivyJson(bytes), bytes, "trivy");
  Check(promote::scan::ParseGrypeJson(bytes), bytes, "grype");
  Check(promote::scan::ParseSarif(bytes), bytes, "sarif");
  return 0;
}
