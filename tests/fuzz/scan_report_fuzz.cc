// Scanner reports (scan/trivy_report.h, grype_report.h, sarif_report.h): every parser on every
// input. Invariants of an accepted report: the raw bytes are kept exactly, the scanner is named,
// every finding has an id and a severity in range. Parsing bytes the parser takes
// (ParseOwnedReport, as the scanner hooks do) gives the same outcome as parsing a view of them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "scan/grype_report.h"
#include "scan/report_format.h"
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

void CheckOwned(const promote::Result<promote::scan::ScanReport>& viewed, std::string_view bytes,
                std::string_view format) {
  auto owned = promote::scan::ParseOwnedReport(format, std::string(bytes));
  FUZZ_CHECK(owned.ok() == viewed.ok());
  if (!owned.ok()) {
    FUZZ_CHECK(owned.status().message() == viewed.status().message());
    return;
  }
  FUZZ_CHECK(owned->raw == bytes);
  FUZZ_CHECK(owned->findings.size() == viewed->findings.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto trivy = promote::scan::ParseTrivyJson(bytes);
  const auto grype = promote::scan::ParseGrypeJson(bytes);
  const auto sarif = promote::scan::ParseSarif(bytes);
  Check(trivy, bytes, "trivy");
  Check(grype, bytes, "grype");
  Check(sarif, bytes, "sarif");
  CheckOwned(trivy, bytes, "trivy-json");
  CheckOwned(grype, bytes, "grype-json");
  CheckOwned(sarif, bytes, "sarif");
  return 0;
}
