#include "promotion/scan_gate.h"

#include <algorithm>

#include "promotion/promotion_record.h"
#include "scan/allowlist.h"
#include "scan/report_subject.h"
#include "scan/trivyignore.h"

namespace promote::promotion {

nlohmann::json GateResult::ToJson() const {
  nlohmann::json j = {{"name", name}, {"verdict", verdict}, {"detail", detail}};
  if (!data.is_null()) j["data"] = data;
  return j;
}

Status AddIgnoreFile(const std::string& content, policy::ScanGateConfig* gate) {
  PROMOTE_ASSIGN_OR_RETURN(auto entries, scan::ParseTrivyIgnore(content, gate->trivyignore,
                                                                scan::TrivyIgnoreFormatFor(gate->trivyignore)));
  gate->policy.allowlist.insert(gate->policy.allowlist.end(), entries.begin(), entries.end());
  gate->trivyignore.clear();
  return OkStatus();
}

ScanGateOutcome RunScanGate(const policy::ScanGateConfig& gate,
                            const std::map<std::string, scan::HookConfig>& scanners,
                            const ScanSubject& subject, const CancelToken* cancel, ReportBytes report_bytes) {
  ScanGateOutcome out;
  out.gate.name = "scan";
  std::vector<std::string> platforms = subject.platforms;
  if (!gate.platforms.empty()) {
    std::vector<std::string> chosen;
    for (const auto& p : gate.platforms) {
      if (std::find(platforms.begin(), platforms.end(), p) != platforms.end()) chosen.push_back(p);
    }
    if (chosen.empty()) {
      out.gate.verdict = "refused";
      out.gate.detail = "none of the policy's platforms is in the image";
      return out;
    }
    platforms = chosen;
  }
  if (platforms.empty()) platforms.push_back("");

  scan::GatePolicy policy = gate.policy;
  if (!gate.trivyignore.empty()) {
    out.gate.verdict = "refused";
    out.gate.detail = "ignore file " + gate.trivyignore + " was not carried by the request";
    return out;
  }

  std::vector<std::string> scanned_digests = {subject.digest};
  scanned_digests.insert(scanned_digests.end(), subject.manifest_digests.begin(), subject.manifest_digests.end());

  std::vector<std::string> failures;
  for (const auto& name : gate.scanners) {
    auto it = scanners.find(name);
    if (it == scanners.end()) {
      failures.push_back("scanner '" + name + "' is not configured");
      continue;
    }
    for (const auto& platform : platforms) {
      scan::ScanTarget target;
      target.image = subject.repository_name + "@" + subject.digest;
      target.digest = subject.digest;
      target.platform = platform;
      target.registry_host = subject.registry_host;
      target.insecure_registry = subject.insecure_registry;
      if (subject.credentials && !subject.credentials->username.empty()) {
        target.credentials = std::make_pair(subject.credentials->username, subject.credentials->password);
      }
      std::string started_on = NowRfc3339();
      auto report = scan::RunHook(it->second, target, cancel);
      if (report.status().code() == Code::kCancelled || (cancel != nullptr && cancel->cancelled())) {
        out.cancelled = true;
        out.gate.verdict = "refused";
        out.gate.detail = "cancelled while scanner " + it->first + " ran";
        return out;
      }
      if (!report.ok()) {
        // RunHook names the program ("scanner fix.sh …"); two hooks may run the same one, so the
        // message also names the hook when that differs.
        std::string message = report.status().message();
        if (it->first != scan::ScannerName(it->second)) message = it->first + ": " + message;
        failures.push_back(std::move(message));
        continue;
      }
      if (report_bytes == ReportBytes::kDrop) std::string().swap(report->raw);
      if (Status tied = scan::CheckReportSubject(*report, scanned_digests); !tied.ok()) {
        failures.push_back("scanner " + it->first + (platform.empty() ? "" : " (" + platform + ")") + ": " +
                           tied.message());
        continue;
      }
      report->platform = platform;
      report->hook = it->first;
      report->started_on = std::move(started_on);
      report->finished_on = NowRfc3339();
      out.reports.push_back(std::move(*report));
    }
  }

  scan::GateVerdict verdict = scan::Evaluate(out.reports, policy, scan::TodayUtc());
  out.gate.data = scan::ToJson(verdict);
  if (!failures.empty()) out.gate.data["scanner_failures"] = failures;
  if (!failures.empty() && !gate.warn_on_scanner_error) {
    // The findings that were read may be within the policy, but the gate did not pass: `passed`
    // in the data must agree with the verdict.
    out.gate.data["passed"] = false;
    out.scanner_failed = true;
    out.gate.verdict = "refused";
    out.gate.detail = "scanner failure: " + failures.front();
    return out;
  }
  if (!verdict.passed) {
    out.gate.verdict = "refused";
    std::string reasons;
    for (const auto& r : verdict.reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    out.gate.detail = reasons;
    return out;
  }
  out.gate.verdict = failures.empty() ? "passed" : "warned";
  out.gate.detail = failures.empty() ? "no findings over the policy in " + std::to_string(out.reports.size()) + " report(s)"
                                     : "scanner failure tolerated (on-error: warn): " + failures.front();
  return out;
}

}  // namespace promote::promotion
