#include "scan/grype_report.h"

#include <doctest/doctest.h>

#include "scan_test_files.h"

using namespace promote;
using namespace promote::scan;
using promote::scan::testing::Fixture;

namespace {

std::vector<const Finding*> FindAll(const ScanReport& r, const std::string& id, const std::string& pkg) {
  std::vector<const Finding*> out;
  for (const Finding& f : r.findings) {
    if (f.id == id && f.package == pkg) out.push_back(&f);
  }
  return out;
}

std::string Match(const std::string& vulnerability,
                  const std::string& artifact = R"({"name": "p", "version": "1"})") {
  return R"({"matches": [{"vulnerability": )" + vulnerability + R"(, "artifact": )" + artifact + "}]}";
}

}  // namespace

TEST_CASE("grype chainguard fixture: 3 High, fix.state 2 fixed + 1 unknown") {
  const std::string bytes = Fixture("grype-chainguard-ruby.json");
  auto r = ParseGrypeJson(bytes);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(r->findings.size() == 3);
  int fixed = 0;
  for (const Finding& f : r->findings) {
    CHECK(f.severity == Severity::kHigh);
    fixed += f.fixed;
  }
  CHECK(fixed == 2);
  CHECK(r->scanner == "grype");
  CHECK(r->scanner_version == "0.61.1");
  CHECK(r->raw == bytes);
  CHECK(r->artifact.find("cgr.dev/chainguard/ruby") != std::string::npos);

  auto ruby = FindAll(*r, "CVE-2023-28755", "ruby-3.0");
  REQUIRE(ruby.size() == 1);
  CHECK(ruby[0]->installed_version == "3.0.4-r1");
  CHECK(ruby[0]->fixed_version == "3.0.6-r0");
  CHECK(ruby[0]->fixed);
  CHECK(ruby[0]->package_type == "apk");

  auto uri_cve = FindAll(*r, "CVE-2023-28755", "uri");
  REQUIRE(uri_cve.size() == 1);
  CHECK_FALSE(uri_cve[0]->fixed);
  CHECK(uri_cve[0]->fixed_version.empty());
  CHECK(uri_cve[0]->installed_version == "0.10.1");
  CHECK(uri_cve[0]->package_type == "gem");
  CHECK_FALSE(uri_cve[0]->target.empty());

  auto ghsa = FindAll(*r, "GHSA-hv5j-3h9f-99c2", "uri");
  REQUIRE(ghsa.size() == 1);
  CHECK(ghsa[0]->fixed);
  CHECK(ghsa[0]->fixed_version == "0.10.2");
}

TEST_CASE("grype presenter snapshot: 1 Critical + 1 Low; empty fix.state is not fixed") {
  auto r = ParseGrypeJson(Fixture("grype-presenter-image-snapshot.json"));
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(r->findings.size() == 2);
  auto low = FindAll(*r, "CVE-1999-0001", "package-1");
  REQUIRE(low.size() == 1);
  CHECK(low[0]->severity == Severity::kLow);
  CHECK(low[0]->fixed);
  CHECK(low[0]->fixed_version == "1.2.1, 2.1.3, 3.4.0");
  CHECK(low[0]->target == "/foo/bar/somefile-1.txt");
  CHECK(low[0]->package_type == "rpm");
  auto crit = FindAll(*r, "CVE-1999-0002", "package-2");
  REQUIRE(crit.size() == 1);
  CHECK(crit[0]->severity == Severity::kCritical);
  CHECK_FALSE(crit[0]->fixed);
  CHECK(r->scanner_version == "[not provided]");
  CHECK(r->artifact == "user-input");
}

TEST_CASE("grype severities and fix states normalise") {
  struct Case {
    const char* severity;
    const char* state;
    Severity want;
    bool fixed;
  } cases[] = {
      {"Critical", "fixed", Severity::kCritical, true}, {"High", "not-fixed", Severity::kHigh, false},
      {"Medium", "wont-fix", Severity::kMedium, false}, {"Low", "unknown", Severity::kLow, false},
      {"Negligible", "fixed", Severity::kLow, true},    {"Unknown", "", Severity::kUnknown, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.severity);
    auto r = ParseGrypeJson(Match(std::string(R"({"id": "CVE-1", "severity": ")") + c.severity +
                                  R"(", "fix": {"versions": [], "state": ")" + c.state + R"("}})"));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->findings.at(0).severity == c.want);
    CHECK(r->findings.at(0).fixed == c.fixed);
  }
}

TEST_CASE("grype: absent keys are empty") {
  for (const char* json : {R"({"matches": []})", R"({"matches": null, "source": null})",
                           R"({"descriptor": {}})", R"({"matches": [{"vulnerability": {"id": "CVE-1"}}]})"}) {
    CAPTURE(json);
    auto r = ParseGrypeJson(json);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  }
  CHECK(ParseGrypeJson(R"({"source": {"type": "directory", "target": "/src"}})")->artifact == "/src");
}

TEST_CASE("grype: bad input is a clear InvalidArgument naming the JSON path") {
  struct Case {
    const char* name;
    std::string json;
    const char* message_has;
  } cases[] = {
      {"a Trivy report", R"({"SchemaVersion": 2, "Results": []})", "it is not a Grype report"},
      {"top level array", "[]", "must be a JSON object"},
      {"truncated", R"({"matches": [{"vulnerability": )", "is not valid JSON"},
      {"matches is an object", R"({"matches": {}})", "matches: must be an array"},
      {"match without vulnerability", R"({"matches": [{"artifact": {}}]})",
       "matches[0].vulnerability: is missing"},
      {"id missing", Match(R"({"severity": "High"})"), "matches[0].vulnerability.id: is missing"},
      {"severity number", Match(R"({"id": "C", "severity": 7})"), "vulnerability.severity: must be a string"},
      {"severity unknown word", Match(R"({"id": "C", "severity": "Severe"})"), "\"Severe\" is not one of"},
      {"fix versions not strings", Match(R"({"id": "C", "fix": {"versions": [1], "state": "fixed"}})"),
       "fix.versions[0]: must be a string"},
      {"artifact name number", Match(R"({"id": "C"})", R"({"name": 5})"),
       "matches[0].artifact.name: must be a string"},
      {"location not object", Match(R"({"id": "C"})", R"({"locations": ["x"]})"),
       "artifact.locations[0]: must be an object"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto r = ParseGrypeJson(c.json);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(r.status().message().find(c.message_has) != std::string::npos, r.status().message());
  }
}

TEST_CASE("grype read in one pass: matches given twice count by the last; errors in document order") {
  auto twice = ParseGrypeJson(R"({"matches": [{"vulnerability": {"id": "CVE-1", "severity": "Critical"}}],
                                  "matches": [{"vulnerability": {"id": "CVE-2", "severity": "Low"}}]})");
  REQUIRE_MESSAGE(twice.ok(), twice.status().ToString());
  REQUIRE(twice->findings.size() == 1);
  CHECK(twice->findings[0].id == "CVE-2");
  // descriptor and source are checked before matches, wherever they are in the document.
  auto order = ParseGrypeJson(R"({"matches": [{"artifact": {}}], "descriptor": {"version": 1}})");
  REQUIRE_FALSE(order.ok());
  CHECK_MESSAGE(order.status().message().find("descriptor.version: must be a string") != std::string::npos,
                order.status().message());
}
