#include "scan/trivy_report.h"

#include <doctest/doctest.h>

#include <map>

#include "scan_test_files.h"

using namespace promote;
using namespace promote::scan;
using promote::scan::testing::Fixture;

namespace {

struct Tally {
  int critical = 0, high = 0, medium = 0, low = 0, unknown = 0, fixed = 0, unfixed = 0;
  bool operator==(const Tally&) const = default;
};

Tally Count(const ScanReport& r) {
  Tally t;
  for (const Finding& f : r.findings) {
    switch (f.severity) {
      case Severity::kCritical:
        ++t.critical;
        break;
      case Severity::kHigh:
        ++t.high;
        break;
      case Severity::kMedium:
        ++t.medium;
        break;
      case Severity::kLow:
        ++t.low;
        break;
      case Severity::kUnknown:
        ++t.unknown;
        break;
    }
    ++(f.fixed ? t.fixed : t.unfixed);
  }
  return t;
}

const Finding* Find(const ScanReport& r, const std::string& id, const std::string& pkg) {
  for (const Finding& f : r.findings) {
    if (f.id == id && f.package == pkg) return &f;
  }
  return nullptr;
}

std::string Minimal(const std::string& results) {
  return R"({"SchemaVersion": 2, "ArtifactName": "reg/app@sha256:ab", "Results": )" + results + "}";
}

}  // namespace

TEST_CASE("every Trivy fixture parses with the README's counts and fix statuses") {
  struct Case {
    const char* file;
    Tally want;  // critical, high, medium, low, unknown, fixed, unfixed
  } cases[] = {
      {"trivy-photon30-high-critical.json", {2, 1, 0, 0, 0, 3, 0}},
      {"trivy-slmicro54-clean.json", {0, 0, 0, 0, 0, 0, 0}},
      {"trivy-debian-buster-unfixed.json", {1, 0, 0, 1, 0, 1, 1}},
      {"trivy-fluentd-gems-multi-result.json", {1, 1, 0, 0, 0, 2, 0}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.file);
    const std::string bytes = Fixture(c.file);
    auto r = ParseTrivyJson(bytes);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(Count(*r) == c.want);
    CHECK(r->scanner == "trivy");
    CHECK(r->scanner_version == "dev");
    CHECK(r->raw == bytes);
  }
}

TEST_CASE("Trivy photon30 findings, spot-checked") {
  auto r = ParseTrivyJson(Fixture("trivy-photon30-high-critical.json"));
  REQUIRE(r.ok());
  CHECK(r->artifact.find("photon") != std::string::npos);
  const Finding* bash = Find(*r, "CVE-2019-18276", "bash");
  REQUIRE(bash);
  CHECK(bash->installed_version == "4.4.18-1.ph3");
  CHECK(bash->fixed_version == "4.4.18-2.ph3");
  CHECK(bash->fixed);
  CHECK(bash->severity == Severity::kHigh);
  CHECK(bash->package_type == "photon");
  for (const char* pkg : {"curl", "curl-libs"}) {
    const Finding* f = Find(*r, "CVE-2019-5481", pkg);
    REQUIRE_MESSAGE(f, pkg);
    CHECK(f->installed_version == "7.61.1-4.ph3");
    CHECK(f->fixed_version == "7.61.1-5.ph3");
    CHECK(f->severity == Severity::kCritical);
  }
}

TEST_CASE("Trivy debian-buster: the unfixed LOW has no FixedVersion and status affected") {
  auto r = ParseTrivyJson(Fixture("trivy-debian-buster-unfixed.json"));
  REQUIRE(r.ok());
  const Finding* bash = Find(*r, "CVE-2019-18276", "bash");
  REQUIRE(bash);
  CHECK_FALSE(bash->fixed);
  CHECK(bash->fixed_version.empty());
  CHECK(bash->installed_version == "5.0-4");
  CHECK(bash->severity == Severity::kLow);  // the vendor's (debian) rating, not NVD's HIGH
  const Finding* idn = Find(*r, "CVE-2019-18224", "libidn2-0");
  REQUIRE(idn);
  CHECK(idn->fixed);
  CHECK(idn->fixed_version == "2.0.5-1+deb10u1");
  CHECK(idn->severity == Severity::kCritical);
  CHECK(r->platform == "linux/amd64");
}

TEST_CASE("Trivy fluentd: two Results, the comma FixedVersion is kept as text") {
  auto r = ParseTrivyJson(Fixture("trivy-fluentd-gems-multi-result.json"));
  REQUIRE(r.ok());
  bool found_list = false;
  std::map<std::string, int> per_target;
  for (const Finding& f : r->findings) {
    ++per_target[f.target];
    if (f.fixed_version == "6.0.3.1, 5.2.4.3") {
      found_list = true;
      CHECK(f.fixed);
    }
  }
  CHECK(found_list);
  CHECK(per_target.size() == 2);
}

TEST_CASE("Trivy: absent keys are empty, not errors") {
  struct Case {
    const char* name;
    std::string json;
    size_t findings;
  } cases[] = {
      {"no Results", R"({"SchemaVersion": 2})", 0},
      {"null Results", R"({"SchemaVersion": 2, "Results": null})", 0},
      {"empty Results", Minimal("[]"), 0},
      {"Result without Vulnerabilities", Minimal(R"([{"Target": "x", "Class": "os-pkgs"}])"), 0},
      {"vulnerability with only an id", Minimal(R"([{"Vulnerabilities": [{"VulnerabilityID": "CVE-1"}]}])"),
       1},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto r = ParseTrivyJson(c.json);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->findings.size() == c.findings);
  }
  auto r = ParseTrivyJson(Minimal(R"([{"Vulnerabilities": [{"VulnerabilityID": "CVE-1"}]}])"));
  REQUIRE(r.ok());
  CHECK(r->findings[0].severity == Severity::kUnknown);  // empty severity is UNKNOWN
  CHECK_FALSE(r->findings[0].fixed);
}

TEST_CASE("Trivy fix status: Status wins; without Status a FixedVersion means fixed") {
  struct Case {
    const char* vuln;
    bool fixed;
  } cases[] = {
      {R"("Status": "fixed", "FixedVersion": "2")", true},
      {R"("Status": "affected")", false},
      {R"("Status": "will_not_fix", "FixedVersion": "2")", false},
      {R"("Status": "fix_deferred")", false},
      {R"("Status": "end_of_life")", false},
      {R"("FixedVersion": "2")", true},
      {R"("FixedVersion": "")", false},
      {R"("Severity": "HIGH")", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.vuln);
    auto r = ParseTrivyJson(
        Minimal(std::string(R"([{"Vulnerabilities": [{"VulnerabilityID": "CVE-1", )") + c.vuln + "}]}]"));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->findings.at(0).fixed == c.fixed);
  }
}

TEST_CASE("Trivy: bad input is a clear InvalidArgument naming the JSON path") {
  struct Case {
    const char* name;
    std::string json;
    const char* message_has;
  } cases[] = {
      {"no SchemaVersion", R"({"Results": []})", "SchemaVersion: is missing"},
      {"SchemaVersion 1", R"({"SchemaVersion": 1})", "SchemaVersion: is 1"},
      {"SchemaVersion 3", R"({"SchemaVersion": 3})", "only SchemaVersion 2"},
      {"SchemaVersion as string", R"({"SchemaVersion": "2"})", "SchemaVersion: is \"2\""},
      {"top level array", R"([{"SchemaVersion": 2}])", "top level must be a JSON object, found array"},
      {"top level string", R"("hello")", "found string"},
      {"empty", "", "is empty"},
      {"whitespace", "  \n", "is empty"},
      {"not JSON", "Trivy crashed: panic", "is not valid JSON"},
      {"Results is an object", Minimal("{}"), "Results: must be an array, found object"},
      {"Result is a string", Minimal(R"(["x"])"), "Results[0]: must be an object"},
      {"Vulnerabilities is a string", Minimal(R"([{"Vulnerabilities": "none"}])"),
       "Results[0].Vulnerabilities: must be an array, found string"},
      {"Severity is a number",
       Minimal(R"([{}, {"Vulnerabilities": [{"VulnerabilityID": "C", "Severity": 4}]}])"),
       "Results[1].Vulnerabilities[0].Severity: must be a string, found number"},
      {"unknown Severity",
       Minimal(R"([{"Vulnerabilities": [{"VulnerabilityID": "C", "Severity": "SEVERE"}]}])"),
       "\"SEVERE\" is not one of"},
      {"missing VulnerabilityID", Minimal(R"([{"Vulnerabilities": [{"PkgName": "bash"}]}])"),
       "Results[0].Vulnerabilities[0].VulnerabilityID: is missing"},
      {"FixedVersion is a list",
       Minimal(R"([{"Vulnerabilities": [{"VulnerabilityID": "C", "FixedVersion": ["1"]}]}])"),
       "FixedVersion: must be a string, found array"},
      {"Trivy is a string", R"({"SchemaVersion": 2, "Trivy": "0.50"})", "Trivy: must be an object"},
      // Used to overflow the stack printing SchemaVersion in the error (and would have in the
      // scan-evidence predicate, which embeds the whole report).
      {"deeply nested", R"({"SchemaVersion": )" + std::string(200000, '[') + std::string(200000, ']') + "}",
       "nests arrays and objects deeper than 1000 levels"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto r = ParseTrivyJson(c.json);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(r.status().message().find(c.message_has) != std::string::npos, r.status().message());
    CHECK(r.status().message().rfind("trivy-json report", 0) == 0);
  }
}

// The report is read in one pass, findings taken as they stream by; what a JSON document means
// must not change: a member given twice counts by its last value, members come in any order, and
// the first error is the one a reader going through the document in order would meet.
TEST_CASE("Trivy read in one pass: duplicate members, member order and error order are a DOM's") {
  struct Case {
    const char* name;
    std::string json;
    std::vector<std::string> ids;  // the findings, or
    const char* message_has;       // the error
  } cases[] = {
      {"Results twice: the last counts",
       R"({"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"VulnerabilityID": "CVE-1", "Severity": "CRITICAL"}]}],
           "Results": [{"Vulnerabilities": [{"VulnerabilityID": "CVE-2"}]}]})",
       {"CVE-2"},
       nullptr},
      {"a bad Results replaced by a good one",
       R"({"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"Severity": 4}]}], "Results": []})",
       {},
       nullptr},
      {"Vulnerabilities twice in one Result",
       R"({"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"VulnerabilityID": "CVE-1"}], "Target": "t",
           "Vulnerabilities": [{"VulnerabilityID": "CVE-2"}, {"VulnerabilityID": "CVE-3"}]},
           {"Vulnerabilities": [{"VulnerabilityID": "CVE-4"}]}]})",
       {"CVE-2", "CVE-3", "CVE-4"},
       nullptr},
      {"SchemaVersion 1 then 2", R"({"SchemaVersion": 1, "Results": [], "SchemaVersion": 2})", {}, nullptr},
      {"SchemaVersion after Results",
       R"({"Results": [{"Vulnerabilities": [{"VulnerabilityID": "CVE-1"}]}],
           "SchemaVersion": 2})",
       {"CVE-1"},
       nullptr},
      {"SchemaVersion is checked before the Results that come first",
       R"({"Results": [{"Vulnerabilities": [{"Severity": "SEVERE"}]}], "SchemaVersion": 3})",
       {},
       "only SchemaVersion 2"},
      {"a Result's Target is checked before its vulnerabilities, though it comes after them",
       R"({"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"PkgName": "x"}], "Target": 5}]})",
       {},
       "Results[0].Target: must be a string, found number"},
      {"the first bad vulnerability is the error",
       R"({"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"VulnerabilityID": "C"}, {"VulnerabilityID": 1}]},
           {"Vulnerabilities": [{"VulnerabilityID": "C", "Severity": "SEVERE"}]}]})",
       {},
       "Results[0].Vulnerabilities[1].VulnerabilityID: must be a string"},
      {"ArtifactName is checked before Results, though it comes after them",
       R"({"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{}]}], "ArtifactName": []})",
       {},
       "ArtifactName: must be a string, found array"},
      {"a number too large for a double, even in a member the gate does not read",
       R"({"SchemaVersion": 2, "Results": [], "Size": 1e999})",
       {},
       "could not be parsed ("},
      {"a syntax error after everything else is still a syntax error",
       R"({"SchemaVersion": 1, "Results": [{"Vulnerabilities": [{}]}]} x)",
       {},
       "is not valid JSON"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto r = ParseTrivyJson(c.json);
    if (c.message_has) {
      REQUIRE_FALSE(r.ok());
      CHECK_MESSAGE(r.status().message().find(c.message_has) != std::string::npos, r.status().message());
      continue;
    }
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    std::vector<std::string> ids;
    for (const Finding& f : r->findings) ids.push_back(f.id);
    CHECK(ids == c.ids);
  }
  // A Target given after the vulnerabilities still names them.
  auto r = ParseTrivyJson(
      R"json({"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"VulnerabilityID": "CVE-1"}],
                                  "Type": "debian", "Target": "img (debian 12)"}]})json");
  REQUIRE(r.ok());
  CHECK(r->findings.at(0).target == "img (debian 12)");
  CHECK(r->findings.at(0).package_type == "debian");
}
