// The vulnerability-scan gate: runs the configured scanners against the exact digest being
// promoted (every platform of an index, or the subset the policy names), then judges the
// reports against the policy. A scanner that fails is a scanner failure, never "no findings":
// the gate refuses unless the policy says on-error: warn. So is a report that names another image
// by digest (scan::CheckReportSubject).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/promote_config.h"
#include "promotion/gate_result.h"
#include "registry/credentials.h"
#include "scan/gate.h"
#include "scan/scanner_hook.h"
#include "util/cancel.h"

namespace promote::promotion {

struct ScanSubject {
  std::string repository_name;         // "registry/repo"
  std::string digest;                  // "sha256:…"
  // The manifests below an index (its platform images); empty for a single image. A report that
  // names one of these (a scanner given --platform may name the platform image) is for this image.
  std::vector<std::string> manifest_digests;
  std::vector<std::string> platforms;  // of the image (index children, or the single image's)
  std::string registry_host;
  std::optional<registry::Credentials> credentials;
  bool insecure_registry = false;
};

struct ScanGateOutcome {
  GateResult gate;
  std::vector<scan::ScanReport> reports;  // kept as evidence, with when each scan ran
  // The gate refused because a scanner failed (not because of findings): an infrastructure
  // failure, which callers report as kUnavailable rather than kGateRefused.
  bool scanner_failed = false;
  // The operation was cancelled while a scanner ran (it was stopped); the gate decided nothing.
  bool cancelled = false;
};

// Parses `content`, the file `gate->trivyignore` names, into the gate's allowlist and clears
// the name. kInvalidArgument naming the file when it does not parse.
Status AddIgnoreFile(const std::string& content, policy::ScanGateConfig* gate);

// Whether the reports in ScanGateOutcome keep their bytes (ScanReport::raw): needed only to attach
// them as evidence. Dropped, each report's bytes are freed as soon as it is parsed, so several
// large reports are never held at once.
enum class ReportBytes { kKeep, kDrop };

// Runs the gate. A gate whose trivyignore is still a name (not added with AddIgnoreFile) is
// refused: the file is never read from disk here. `cancel` (may be null) stops a running
// scanner's process group within a second and ends the gate with `cancelled` set.
ScanGateOutcome RunScanGate(const policy::ScanGateConfig& gate,
                            const std::map<std::string, scan::HookConfig>& scanners,
                            const ScanSubject& subject, const CancelToken* cancel = nullptr,
                            ReportBytes report_bytes = ReportBytes::kKeep);

}  // namespace promote::promotion
