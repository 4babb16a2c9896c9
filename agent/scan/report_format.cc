#include "scan/report_format.h"

#include "scan/grype_report.h"
#include "scan/sarif_report.h"
#include "scan/trivy_report.h"

namespace promote::scan {

namespace {

Status UnknownFormat(std::string_view format) {
  return InvalidArgument("report format \"" + std::string(format) +
                         "\" is not known; use one of trivy-json, grype-json, sarif");
}

}  // namespace

bool IsKnownReportFormat(std::string_view format) {
  return format == "trivy-json" || format == "grype-json" || format == "sarif";
}

std::string ReportFormatOf(std::string_view parser) {
  if (parser == "trivy") return "trivy-json";
  if (parser == "grype") return "grype-json";
  return std::string(parser);
}

Result<ScanReport> ParseReport(std::string_view format, std::string_view bytes) {
  if (format == "trivy-json") return ParseTrivyJson(bytes);
  if (format == "grype-json") return ParseGrypeJson(bytes);
  if (format == "sarif") return ParseSarif(bytes);
  return UnknownFormat(format);
}

Result<ScanReport> ParseOwnedReport(std::string_view format, std::string bytes) {
  Result<ScanReport> report = UnknownFormat(format);
  if (format == "trivy-json") report = ReadTrivyJson(bytes);
  if (format == "grype-json") report = ReadGrypeJson(bytes);
  if (format == "sarif") report = ReadSarif(bytes);
  if (report.ok()) report->raw = std::move(bytes);
  return report;
}

}  // namespace promote::scan
