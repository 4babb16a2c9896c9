#include "scan/report_json_output.h"

#include <map>

#include "scan/report_format.h"

namespace promote::scan {

nlohmann::json ToJson(const Finding& f) {
  return {{"id", f.id},
          {"package", f.package},
          {"installed_version", f.installed_version},
          {"fixed_version", f.fixed_version},
          {"fixed", f.fixed},
          {"severity", SeverityName(f.severity)},
          {"target", f.target},
          {"package_type", f.package_type}};
}

nlohmann::json SummaryJson(const ScanReport& report) {
  nlohmann::json j{{"scanner", report.hook.empty() ? report.scanner : report.hook},
                   {"format", ReportFormatOf(report.scanner)},
                   {"scanner_version", report.scanner_version},
                   {"artifact", report.artifact},
                   {"platform", report.platform}};
  std::map<Severity, int> counts;
  for (const Finding& f : report.findings) ++counts[f.severity];
  nlohmann::json counts_json = nlohmann::json::object();
  for (Severity s : kAllSeverities) counts_json[SeverityName(s)] = counts[s];
  j["counts"] = std::move(counts_json);
  return j;
}

nlohmann::json ToJson(const ScanReport& report) {
  nlohmann::json j = SummaryJson(report);
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : report.findings) findings.push_back(ToJson(f));
  j["findings"] = std::move(findings);
  return j;
}

}  // namespace promote::scan
