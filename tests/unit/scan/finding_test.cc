#include "scan/finding.h"

#include <doctest/doctest.h>

#include "scan/report_json_output.h"

using namespace promote::scan;

TEST_CASE("ParseSeverity accepts Trivy and Grype spellings") {
  struct Case {
    const char* text;
    std::optional<Severity> want;
  } cases[] = {
      {"CRITICAL", Severity::kCritical},
      {"Critical", Severity::kCritical},
      {"critical", Severity::kCritical},
      {"HIGH", Severity::kHigh},
      {"High", Severity::kHigh},
      {"MEDIUM", Severity::kMedium},
      {"Medium", Severity::kMedium},
      {"LOW", Severity::kLow},
      {"Low", Severity::kLow},
      {"Negligible", Severity::kLow},
      {"NEGLIGIBLE", Severity::kLow},
      {"UNKNOWN", Severity::kUnknown},
      {"Unknown", Severity::kUnknown},
      {"", Severity::kUnknown},
      {"SEVERE", std::nullopt},
      {"HIGH ", std::nullopt},
      {"4", std::nullopt},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK(ParseSeverity(c.text) == c.want);
  }
}

TEST_CASE("severities are ordered and named") {
  CHECK(Severity::kUnknown < Severity::kLow);
  CHECK(Severity::kLow < Severity::kMedium);
  CHECK(Severity::kMedium < Severity::kHigh);
  CHECK(Severity::kHigh < Severity::kCritical);
  for (Severity s : kAllSeverities) CHECK(ParseSeverity(SeverityName(s)) == s);
  CHECK(std::string(SeverityName(Severity::kCritical)) == "CRITICAL");
}

TEST_CASE("ToJson of a report counts per severity and leaves out the raw bytes") {
  ScanReport r;
  r.scanner = "trivy";
  r.raw = "{\"secret-evidence\": 1}";
  r.findings.push_back({"CVE-1", "bash", "1", "2", true, Severity::kHigh, "t", "debian"});
  r.findings.push_back({"CVE-2", "curl", "1", "", false, Severity::kHigh, "t", "debian"});
  auto j = ToJson(r);
  CHECK(j["counts"]["HIGH"] == 2);
  CHECK(j["counts"]["UNKNOWN"] == 0);
  CHECK(j["findings"][1]["fixed"] == false);
  CHECK(j["findings"][0]["fixed_version"] == "2");
  CHECK(j.dump().find("secret-evidence") == std::string::npos);
}
