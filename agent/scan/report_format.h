// Chooses a report parser by format name, for hooks and CLI flags that name the format of a
// report ("trivy-json", "grype-json", "sarif").
#pragma once

#include <string>
#include <string_view>

#include "scan/finding.h"
#include "util/status.h"

namespace promote::scan {

// True for the names ParseReport accepts.
bool IsKnownReportFormat(std::string_view format);

// The format name of the parser ScanReport::scanner names ("trivy" → "trivy-json", "grype" →
// "grype-json", "sarif" → "sarif"); other names unchanged.
std::string ReportFormatOf(std::string_view parser);

// Parses `bytes` with the parser for `format`. An unknown format is InvalidArgument listing the
// known ones; otherwise the contract is that of ParseTrivyJson, ParseGrypeJson or ParseSarif.
Result<ScanReport> ParseReport(std::string_view format, std::string_view bytes);

// ParseReport taking the bytes: they become the report's `raw` without a copy, so a report is
// held once (the parsers keep only findings besides it).
Result<ScanReport> ParseOwnedReport(std::string_view format, std::string bytes);

}  // namespace promote::scan
