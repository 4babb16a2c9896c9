#include "scan/gate.h"

#include <limits>

#include "scan/report_format.h"
#include "scan/report_json_output.h"

namespace promote::scan {

namespace {

const AllowEntry* ActiveEntryFor(const std::string& id, const std::vector<AllowEntry>& allowlist,
                                 std::chrono::year_month_day today) {
  for (const AllowEntry& entry : allowlist) {
    if (entry.id == id && IsActive(entry, today)) return &entry;
  }
  return nullptr;
}

int LimitFor(Severity s, const GatePolicy& policy) {
  if (auto it = policy.max_count.find(s); it != policy.max_count.end()) return it->second;
  return s >= policy.threshold ? 0 : std::numeric_limits<int>::max();
}

std::string Plural(int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

GateVerdict Evaluate(const std::vector<ScanReport>& reports, const GatePolicy& policy,
                     std::chrono::year_month_day today) {
  GateVerdict verdict;
  for (Severity s : kAllSeverities) {
    verdict.counts[s] = 0;
    verdict.counted[s] = 0;
  }
  for (const AllowEntry& entry : policy.allowlist) {
    if (!IsActive(entry, today)) verdict.expired.push_back(entry);
  }

  std::vector<GateFinding> kept;
  for (const ScanReport& report : reports) {
    for (const Finding& f : report.findings) {
      ++verdict.counts[f.severity];
      GateFinding g{f, report.platform, report.scanner, report.hook,
                    f.severity == Severity::kUnknown ? policy.unknown_counts_as : f.severity};
      if (const AllowEntry* entry = ActiveEntryFor(f.id, policy.allowlist, today)) {
        verdict.ignored.push_back({std::move(g), entry->reason});
      } else if (policy.ignore_unfixed && !f.fixed) {
        verdict.ignored.push_back({std::move(g), "unfixed"});
      } else {
        ++verdict.counted[g.effective];
        kept.push_back(std::move(g));
      }
    }
  }

  for (auto it = std::rbegin(kAllSeverities); it != std::rend(kAllSeverities); ++it) {
    const Severity s = *it;
    const int limit = LimitFor(s, policy);
    const int n = verdict.counted[s];
    if (n <= limit) continue;
    verdict.passed = false;
    std::string reason = Plural(n, "finding") + " counted as " + SeverityName(s);
    reason += limit == 0 ? " (none allowed)" : " (at most " + std::to_string(limit) + " allowed)";
    verdict.reasons.push_back(std::move(reason));
    for (const GateFinding& g : kept) {
      if (g.effective == s) verdict.breaking.push_back(g);
    }
  }
  return verdict;
}

nlohmann::json ToJson(const GateFinding& g) {
  nlohmann::json j = ToJson(g.finding);
  j["platform"] = g.platform;
  j["scanner"] = g.hook.empty() ? g.scanner : g.hook;
  j["format"] = ReportFormatOf(g.scanner);
  j["effective_severity"] = SeverityName(g.effective);
  return j;
}

nlohmann::json ToJson(const GateVerdict& verdict) {
  nlohmann::json j;
  j["passed"] = verdict.passed;
  j["counts"] = nlohmann::json::object();
  j["counted"] = nlohmann::json::object();
  for (Severity s : kAllSeverities) {
    auto c = verdict.counts.find(s);
    j["counts"][SeverityName(s)] = c == verdict.counts.end() ? 0 : c->second;
    auto k = verdict.counted.find(s);
    j["counted"][SeverityName(s)] = k == verdict.counted.end() ? 0 : k->second;
  }
  j["breaking"] = nlohmann::json::array();
  for (const GateFinding& g : verdict.breaking) j["breaking"].push_back(ToJson(g));
  j["ignored"] = nlohmann::json::array();
  for (const IgnoredFinding& i : verdict.ignored) {
    nlohmann::json e = ToJson(i.finding);
    e["reason"] = i.reason;
    j["ignored"].push_back(std::move(e));
  }
  j["expired_allowlist"] = nlohmann::json::array();
  for (const AllowEntry& e : verdict.expired) {
    j["expired_allowlist"].push_back(
        {{"id", e.id}, {"reason", e.reason}, {"expired", e.expires ? FormatIsoDate(*e.expires) : ""}});
  }
  j["reasons"] = verdict.reasons;
  return j;
}

}  // namespace promote::scan
