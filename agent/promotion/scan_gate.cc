#include "promotion/scan_gate.h"

#include <algorithm>

#include "promotion/promotion_record.h"
#include "scan/allowlist.h"
#include "scan/report_subject.h"
#include "scan/trivyignore.h"

namespace promote::promotion {

Status AddIgnoreFile(const std::string& content, policy::ScanGateConfig* gate) {
  PROMOTE_ASSIGN_OR_RETURN(auto entries, scan::ParseTrivyIgnore(content, gate->trivyignore,
                                                                scan::TrivyIgnoreFormatFor(gate->trivyignore)));
  gate->policy.allowlist.insert(gate->policy.allowlist.end(), entries.begin(), entries.end());
  gate->trivyignore.clear();
  return OkStatus();
}

namespace {

// The platforms to scan: the policy's subset of the image's ("" for a single image); nullopt when
// the policy names none of them.
std::optional<std::vector<std::string>> PlatformsToScan(const policy::ScanGateConfig& gate, const ScanSubject& subject) {
  std::vector<std::string> platforms = subject.platforms;
  if (!gate.platforms.empty()) {
    std::vector<std::string> chosen;
    for (const auto& p : gate.platforms) {
      if (std::find(platforms.begin(), platforms.end(), p) != platforms.end()) chosen.push_back(p);
    }
    if (chosen.empty()) return std::nullopt;
    platforms = chosen;
  }
  if (platforms.empty()) platforms.push_back("");
  return platforms;
}

scan::ScanTarget TargetOf(const ScanSubject& subject, const std::string& platform) {
  scan::ScanTarget target;
  target.image = subject.repository_name + "@" + subject.digest;
  target.digest = subject.digest;
  target.platform = platform;
  target.registry_host = subject.registry_host;
  target.insecure_registry = subject.insecure_registry;
  if (subject.credentials && !subject.credentials->username.empty()) {
    target.credentials = std::make_pair(subject.credentials->username, subject.credentials->password);
  }
  return target;
}

// What one scanner run adds to the gate: a report tied to the subject, a failure, or cancellation.
struct ScanRun {
  std::optional<scan::ScanReport> report;
  std::string failure;
  bool cancelled = false;
};

ScanRun RunScanner(const std::string& name, const scan::HookConfig& hook, const ScanSubject& subject,
                   const std::string& platform, const CancelToken* cancel, ReportBytes report_bytes) {
  ScanRun run;
  std::string started_on = NowRfc3339();
  auto report = scan::RunHook(hook, TargetOf(subject, platform), cancel);
  if (report.status().code() == Code::kCancelled || (cancel != nullptr && cancel->cancelled())) {
    run.cancelled = true;
    return run;
  }
  if (!report.ok()) {
    // RunHook names the program ("scanner fix.sh …"); two hooks may run the same one, so the
    // message also names the hook when that differs.
    run.failure = report.status().message();
    if (name != scan::ScannerName(hook)) run.failure = name + ": " + run.failure;
    return run;
  }
  if (report_bytes == ReportBytes::kDrop) std::string().swap(report->raw);
  std::vector<std::string> scanned_digests = {subject.digest};
  scanned_digests.insert(scanned_digests.end(), subject.manifest_digests.begin(), subject.manifest_digests.end());
  if (Status tied = scan::CheckReportSubject(*report, scanned_digests); !tied.ok()) {
    run.failure = "scanner " + name + (platform.empty() ? "" : " (" + platform + ")") + ": " + tied.message();
    return run;
  }
  report->platform = platform;
  report->hook = name;
  report->started_on = std::move(started_on);
  report->finished_on = NowRfc3339();
  run.report = std::move(*report);
  return run;
}

// The verdict on the reports read, given the scanners that failed.
void JudgeScan(const policy::ScanGateConfig& gate, const std::vector<std::string>& failures, ScanGateOutcome* out) {
  scan::GateVerdict verdict = scan::Evaluate(out->reports, gate.policy, scan::TodayUtc());
  out->gate.data = scan::ToJson(verdict);
  if (!failures.empty()) out->gate.data["scanner_failures"] = failures;
  if (!failures.empty() && !gate.warn_on_scanner_error) {
    // The findings that were read may be within the policy, but the gate did not pass: `passed`
    // in the data must agree with the verdict.
    out->gate.data["passed"] = false;
    out->scanner_failed = true;
    out->gate.verdict = Verdict::kRefused;
    out->gate.detail = "scanner failure: " + failures.front();
    return;
  }
  if (!verdict.passed) {
    out->gate.verdict = Verdict::kRefused;
    std::string reasons;
    for (const auto& r : verdict.reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    out->gate.detail = reasons;
    return;
  }
  out->gate.verdict = failures.empty() ? Verdict::kPassed : Verdict::kWarned;
  out->gate.detail = failures.empty()
                         ? "no findings over the policy in " + std::to_string(out->reports.size()) + " report(s)"
                         : "scanner failure tolerated (on-error: warn): " + failures.front();
}

}  // namespace

ScanGateOutcome RunScanGate(const policy::ScanGateConfig& gate,
                            const std::map<std::string, scan::HookConfig>& scanners,
                            const ScanSubject& subject, const CancelToken* cancel, ReportBytes report_bytes) {
  ScanGateOutcome out;
  out.gate.name = "scan";
  std::optional<std::vector<std::string>> platforms = PlatformsToScan(gate, subject);
  if (!platforms) {
    out.gate.verdict = Verdict::kRefused;
    out.gate.detail = "none of the policy's platforms is in the image";
    return out;
  }
  if (!gate.trivyignore.empty()) {
    out.gate.verdict = Verdict::kRefused;
    out.gate.detail = "ignore file " + gate.trivyignore + " was not carried by the request";
    return out;
  }
  std::vector<std::string> failures;
  for (const auto& name : gate.scanners) {
    auto it = scanners.find(name);
    if (it == scanners.end()) {
      failures.push_back("scanner '" + name + "' is not configured");
      continue;
    }
    for (const auto& platform : *platforms) {
      ScanRun run = RunScanner(it->first, it->second, subject, platform, cancel, report_bytes);
      if (run.cancelled) {
        out.cancelled = true;
        out.gate.verdict = Verdict::kRefused;
        out.gate.detail = "cancelled while scanner " + it->first + " ran";
        return out;
      }
      if (run.report) out.reports.push_back(std::move(*run.report));
      if (!run.failure.empty()) failures.push_back(std::move(run.failure));
    }
  }
  JudgeScan(gate, failures, &out);
  return out;
}

}  // namespace promote::promotion
