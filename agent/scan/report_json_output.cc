#include "scan/report_json_output.h"

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

nlohmann::json ToJson(const ScanReport& report) {
  nlohmann::json j{{"scanner", report.hook.empty() ? report.scanner : report.hook},
                   {"format", ReportFormatOf(report.scanner)},
                   {"scanner_version", report.scanner_version},
                   {"artifact", report.artifact},
                   {"platform", report.platform}};
  nlohmann::json counts = nlohmann::json::object();
  for (Severity s : kAllSeverities) counts[SeverityName(s)] = 0;
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : report.findings) {
    counts[SeverityName(f.severity)] = counts[SeverityName(f.severity)].get<int>() + 1;
    findings.push_back(ToJson(f));
  }
  j["counts"] = std::move(counts);
  j["findings"] = std::move(findings);
  return j;
}

}  // namespace promote::scan
