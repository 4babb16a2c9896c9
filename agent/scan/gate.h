// The vulnerability gate: given the scan reports for one image (one per platform or scanner)
// and a policy, decide whether promotion may proceed and say exactly why. A refusal is a
// verdict value (passed == false), not an error.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scan/allowlist.h"
#include "scan/finding.h"

namespace promote::scan {

struct GatePolicy {
  // Findings at or above this severity break the gate unless ignored (or under a max_count).
  Severity threshold = Severity::kHigh;
  // Ignore findings with no fix available (Trivy Status other than "fixed", Grype fix.state
  // other than "fixed"), like trivy --ignore-unfixed / grype --only-fixed.
  bool ignore_unfixed = false;
  // UNKNOWN means "no source has rated this yet" (fresh CVEs, many GHSA/Go advisories), not
  // "harmless". For the threshold and max_count it counts as this severity, so a brand-new
  // critical issue cannot slip through just because nobody has scored it yet. Set kLow to treat
  // unrated findings as minor.
  Severity unknown_counts_as = Severity::kHigh;
  // Per-severity budget of non-ignored findings, overriding the threshold for that severity:
  // the limit for severity s is max_count[s] when present, else 0 when s >= threshold, else
  // unlimited. E.g. threshold HIGH with max_count {MEDIUM: 10} fails on any HIGH/CRITICAL or on
  // an 11th MEDIUM; max_count {HIGH: 2} tolerates up to two HIGH.
  std::map<Severity, int> max_count;
  std::vector<AllowEntry> allowlist;
};

// A finding as the gate saw it.
struct GateFinding {
  Finding finding;
  std::string platform;                     // ScanReport::platform of the report it came from
  std::string scanner;                      // ScanReport::scanner (the parser)
  std::string hook;                         // ScanReport::hook (the configured scanner's name)
  Severity effective = Severity::kUnknown;  // severity after unknown_counts_as
};

struct IgnoredFinding {
  GateFinding finding;
  std::string reason;  // the allowlist entry's reason, or "unfixed"
};

struct GateVerdict {
  bool passed = true;
  // Findings per reported severity (UNKNOWN stays UNKNOWN here), before any ignore. All five
  // severities are present.
  std::map<Severity, int> counts;
  // Non-ignored findings per effective severity, what the limits were compared with.
  std::map<Severity, int> counted;
  std::vector<GateFinding> breaking;    // the findings that made the gate fail
  std::vector<IgnoredFinding> ignored;  // every finding the allowlist or ignore_unfixed dropped
  std::vector<AllowEntry> expired;      // allowlist entries that had stopped applying on `today`
  // One line per reason the gate failed ("3 findings at or above HIGH"), empty when passed.
  std::vector<std::string> reasons;
};

// Applies `policy` to all findings of all `reports` on the UTC date `today`.
// An allowlist entry wins over ignore_unfixed for the recorded reason (it is the more specific
// human decision). Expired entries match nothing and are listed in `expired`.
GateVerdict Evaluate(const std::vector<ScanReport>& reports, const GatePolicy& policy,
                     std::chrono::year_month_day today);

// {"passed", "counts": {"CRITICAL": n, …}, "counted", "breaking": [...], "ignored": [...],
//  "expired_allowlist": [...], "reasons": [...]}; finding objects as ToJson(GateFinding): the
// finding's fields plus "platform", "effective_severity", "scanner" (the hook's name, or the
// parser's when there is no hook) and "format" ("trivy-json", "grype-json", "sarif").
nlohmann::json ToJson(const GateVerdict& verdict);
nlohmann::json ToJson(const GateFinding& finding);

}  // namespace promote::scan
