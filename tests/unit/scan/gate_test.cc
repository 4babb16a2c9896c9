#include "scan/gate.h"
#include "scan/report_json_output.h"

#include <doctest/doctest.h>

#include "scan/grype_report.h"
#include "scan/trivy_report.h"
#include "scan_test_files.h"

using namespace promote::scan;
using promote::scan::testing::Fixture;
using std::chrono::day;
using std::chrono::month;
using std::chrono::year;
using std::chrono::year_month_day;

namespace {

constexpr year_month_day kToday{year(2026), month(3), day(15)};

ScanReport FixtureReport(const std::string& file) {
  auto r = file.rfind("grype", 0) == 0 ? ParseGrypeJson(Fixture(file)) : ParseTrivyJson(Fixture(file));
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(r).value();
}

Finding F(const std::string& id, Severity s, bool fixed) {
  return Finding{id, "pkg-" + id, "1.0", fixed ? "1.1" : "", fixed, s, "target", "deb"};
}

ScanReport Report(std::vector<Finding> findings, const std::string& platform = "linux/amd64") {
  ScanReport r;
  r.scanner = "trivy";
  r.platform = platform;
  r.findings = std::move(findings);
  return r;
}

std::vector<std::string> Ids(const std::vector<GateFinding>& v) {
  std::vector<std::string> out;
  for (const GateFinding& g : v) out.push_back(g.finding.id);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("the fixtures README's gate expectations hold at threshold HIGH") {
  struct Case {
    const char* file;
    bool ignore_unfixed;
    bool passed;
    size_t breaking;
  } cases[] = {
      {"trivy-photon30-high-critical.json", false, false, 3},
      {"trivy-photon30-high-critical.json", true, false, 3},
      {"trivy-slmicro54-clean.json", false, true, 0},
      {"trivy-debian-buster-unfixed.json", false, false, 1},
      {"trivy-debian-buster-unfixed.json", true, false, 1},
      {"grype-chainguard-ruby.json", false, false, 3},
      {"grype-chainguard-ruby.json", true, false, 2},
      {"trivy-fluentd-gems-multi-result.json", false, false, 2},
      {"grype-presenter-image-snapshot.json", false, false, 1},
  };
  for (const Case& c : cases) {
    CAPTURE(c.file);
    CAPTURE(c.ignore_unfixed);
    GatePolicy policy;
    policy.ignore_unfixed = c.ignore_unfixed;
    GateVerdict v = Evaluate({FixtureReport(c.file)}, policy, kToday);
    CHECK(v.passed == c.passed);
    CHECK(v.breaking.size() == c.breaking);
    CHECK(v.reasons.empty() == c.passed);
  }
}

TEST_CASE("debian-buster with ignore-unfixed: the CRITICAL breaks, the unfixed LOW is ignored as unfixed") {
  GatePolicy policy;
  policy.ignore_unfixed = true;
  GateVerdict v = Evaluate({FixtureReport("trivy-debian-buster-unfixed.json")}, policy, kToday);
  REQUIRE(v.breaking.size() == 1);
  CHECK(v.breaking[0].finding.id == "CVE-2019-18224");
  CHECK(v.breaking[0].finding.package == "libidn2-0");
  CHECK(v.breaking[0].platform == "linux/amd64");
  REQUIRE(v.ignored.size() == 1);
  CHECK(v.ignored[0].finding.finding.id == "CVE-2019-18276");
  CHECK(v.ignored[0].reason == "unfixed");
  // counts are before ignores
  CHECK(v.counts[Severity::kCritical] == 1);
  CHECK(v.counts[Severity::kLow] == 1);
  CHECK(v.counted[Severity::kLow] == 0);
}

TEST_CASE("decision table: threshold x ignore-unfixed x allowlist x expiry x unknown x max_count") {
  // One finding of each kind, across two platforms.
  const std::vector<ScanReport> reports = {
      Report({F("CRIT-FIXED", Severity::kCritical, true), F("HIGH-UNFIXED", Severity::kHigh, false),
              F("MED-FIXED", Severity::kMedium, true)},
             "linux/amd64"),
      Report({F("LOW-FIXED", Severity::kLow, true), F("UNRATED", Severity::kUnknown, true)}, "linux/arm64"),
  };
  const year_month_day yesterday{year(2026), month(3), day(14)};
  const year_month_day tomorrow{year(2026), month(3), day(16)};

  // clang-format off
  struct Case {
    const char* name;
    Severity threshold;
    bool ignore_unfixed;
    std::vector<AllowEntry> allow;
    Severity unknown_as;
    std::map<Severity, int> max_count;
    bool passed;
    std::vector<std::string> breaking;  // sorted
    size_t ignored;
    size_t expired;
  } cases[] = {
      {"HIGH: critical, high and the unrated one break", Severity::kHigh, false, {}, Severity::kHigh, {}, false,
       {"CRIT-FIXED", "HIGH-UNFIXED", "UNRATED"}, 0, 0},
      {"CRITICAL only", Severity::kCritical, false, {}, Severity::kHigh, {}, false, {"CRIT-FIXED"}, 0, 0},
      {"UNKNOWN counted as CRITICAL", Severity::kCritical, false, {}, Severity::kCritical, {}, false,
       {"CRIT-FIXED", "UNRATED"}, 0, 0},
      {"UNKNOWN counted as LOW", Severity::kHigh, false, {}, Severity::kLow, {}, false, {"CRIT-FIXED", "HIGH-UNFIXED"}, 0, 0},
      {"ignore unfixed drops the HIGH", Severity::kHigh, true, {}, Severity::kLow, {}, false, {"CRIT-FIXED"}, 1, 0},
      {"allowlist + ignore unfixed passes", Severity::kHigh, true, {{"CRIT-FIXED", "accepted by security", std::nullopt}},
       Severity::kLow, {}, true, {}, 2, 0},
      {"allowlist entry expiring tomorrow still applies", Severity::kHigh, true,
       {{"CRIT-FIXED", "accepted", tomorrow}}, Severity::kLow, {}, true, {}, 2, 0},
      {"allowlist entry expiring today no longer applies", Severity::kHigh, true,
       {{"CRIT-FIXED", "accepted", kToday}}, Severity::kLow, {}, false, {"CRIT-FIXED"}, 1, 1},
      {"allowlist entry expired yesterday", Severity::kHigh, true, {{"CRIT-FIXED", "accepted", yesterday}},
       Severity::kLow, {}, false, {"CRIT-FIXED"}, 1, 1},
      {"expired and active entries for the same id: the active one applies", Severity::kHigh, true,
       {{"CRIT-FIXED", "old", yesterday}, {"CRIT-FIXED", "renewed", tomorrow}}, Severity::kLow, {}, true, {}, 2, 1},
      {"MEDIUM threshold", Severity::kMedium, false, {}, Severity::kLow, {}, false,
       {"CRIT-FIXED", "HIGH-UNFIXED", "MED-FIXED"}, 0, 0},
      {"max_count tolerates one HIGH", Severity::kHigh, false, {}, Severity::kLow, {{Severity::kHigh, 1}}, false,
       {"CRIT-FIXED"}, 0, 0},
      {"max_count tolerates one HIGH and one CRITICAL", Severity::kHigh, false, {}, Severity::kLow,
       {{Severity::kHigh, 1}, {Severity::kCritical, 1}}, true, {}, 0, 0},
      {"max_count below the threshold: one LOW (the unrated one counts as LOW) is too many", Severity::kCritical,
       true, {{"CRIT-FIXED", "ok", std::nullopt}}, Severity::kLow, {{Severity::kLow, 1}}, false,
       {"LOW-FIXED", "UNRATED"}, 2, 0},
      {"max_count of zero below the threshold", Severity::kCritical, false, {}, Severity::kHigh,
       {{Severity::kMedium, 0}, {Severity::kCritical, 5}}, false, {"MED-FIXED"}, 0, 0},
      {"UNKNOWN threshold: everything breaks", Severity::kUnknown, false, {}, Severity::kUnknown, {}, false,
       {"CRIT-FIXED", "HIGH-UNFIXED", "LOW-FIXED", "MED-FIXED", "UNRATED"}, 0, 0},
  };
  // clang-format on
  for (const Case& c : cases) {
    CAPTURE(c.name);
    GatePolicy policy;
    policy.threshold = c.threshold;
    policy.ignore_unfixed = c.ignore_unfixed;
    policy.allowlist = c.allow;
    policy.unknown_counts_as = c.unknown_as;
    policy.max_count = c.max_count;
    GateVerdict v = Evaluate(reports, policy, kToday);
    CHECK(v.passed == c.passed);
    CHECK(Ids(v.breaking) == c.breaking);
    CHECK(v.ignored.size() == c.ignored);
    CHECK(v.expired.size() == c.expired);
    // counts never change with the policy
    CHECK(v.counts[Severity::kCritical] == 1);
    CHECK(v.counts[Severity::kUnknown] == 1);
  }
}

TEST_CASE("the allowlist reason is recorded and wins over 'unfixed'") {
  GatePolicy policy;
  policy.ignore_unfixed = true;
  policy.allowlist = {{"HIGH-UNFIXED", "vendor says not reachable", std::nullopt}};
  GateVerdict v = Evaluate({Report({F("HIGH-UNFIXED", Severity::kHigh, false)})}, policy, kToday);
  CHECK(v.passed);
  REQUIRE(v.ignored.size() == 1);
  CHECK(v.ignored[0].reason == "vendor says not reachable");
}

TEST_CASE("breaking findings carry platform and effective severity; JSON shows them") {
  GatePolicy policy;
  policy.allowlist = {{"CVE-OLD", "was fine", year_month_day{year(2026), month(1), day(1)}}};
  GateVerdict v =
      Evaluate({Report({F("UNRATED", Severity::kUnknown, false)}, "linux/arm64")}, policy, kToday);
  REQUIRE(v.breaking.size() == 1);
  CHECK(v.breaking[0].platform == "linux/arm64");
  CHECK(v.breaking[0].effective == Severity::kHigh);
  auto j = ToJson(v);
  CHECK(j["passed"] == false);
  CHECK(j["counts"]["UNKNOWN"] == 1);
  CHECK(j["counted"]["HIGH"] == 1);
  CHECK(j["breaking"][0]["id"] == "UNRATED");
  CHECK(j["breaking"][0]["severity"] == "UNKNOWN");
  CHECK(j["breaking"][0]["effective_severity"] == "HIGH");
  CHECK(j["breaking"][0]["platform"] == "linux/arm64");
  CHECK(j["breaking"][0]["installed_version"] == "1.0");
  CHECK(j["expired_allowlist"][0]["id"] == "CVE-OLD");
  CHECK(j["expired_allowlist"][0]["expired"] == "2026-01-01");
  CHECK(j["reasons"][0] == "1 finding counted as HIGH (none allowed)");
}

TEST_CASE("findings and reports name the hook that produced them, and the format it was read in") {
  ScanReport fix = Report({F("CRIT-A", Severity::kCritical, true)});
  fix.hook = "fix";
  ScanReport vendor = Report({F("CRIT-B", Severity::kCritical, true)});
  vendor.hook = "vendor";
  GateVerdict v = Evaluate({fix, vendor}, GatePolicy{}, kToday);
  auto j = ToJson(v);
  REQUIRE(j["breaking"].size() == 2);
  CHECK(j["breaking"][0]["scanner"] == "fix");
  CHECK(j["breaking"][1]["scanner"] == "vendor");
  CHECK(j["breaking"][0]["format"] == "trivy-json");
  CHECK(ToJson(fix)["scanner"] == "fix");
  CHECK(ToJson(fix)["format"] == "trivy-json");
  // A report read from a file has no hook: the parser names it.
  ScanReport file = Report({});
  file.scanner = "grype";
  CHECK(ToJson(file)["scanner"] == "grype");
  CHECK(ToJson(file)["format"] == "grype-json");
}

TEST_CASE("no reports passes with zero counts") {
  GateVerdict v = Evaluate({}, GatePolicy{}, kToday);
  CHECK(v.passed);
  CHECK(v.counts.size() == 5);
  CHECK(ToJson(v)["counts"]["CRITICAL"] == 0);
}
