#include "scan/sarif_report.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace promote;
using namespace promote::scan;
using nlohmann::json;

namespace {

// The shape trivy --format sarif writes (pkg/report/sarif.go): one rule per vulnerability id,
// tags carrying the severity, per-package facts in the result message.
json TrivySarif() {
  return json::parse(R"json({
    "version": "2.1.0",
    "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
    "runs": [{
      "tool": {"driver": {"name": "Trivy", "version": "0.74.0", "fullName": "Trivy Vulnerability Scanner",
        "rules": [
          {"id": "CVE-2019-5481", "name": "OsPackageVulnerability",
           "defaultConfiguration": {"level": "error"},
           "help": {"text": "Vulnerability CVE-2019-5481\nSeverity: CRITICAL\nPackage: curl-libs\nFixed Version: 7.61.1-5.ph3\nLink: [CVE-2019-5481](https://avd.aquasec.com/nvd/cve-2019-5481)\nDouble free"},
           "properties": {"precision": "very-high", "security-severity": "9.8", "tags": ["vulnerability", "security", "CRITICAL"]}},
          {"id": "CVE-2019-18276", "name": "OsPackageVulnerability",
           "defaultConfiguration": {"level": "note"},
           "help": {"text": "Vulnerability CVE-2019-18276\nSeverity: LOW\nPackage: bash\nFixed Version: \nLink: x"},
           "properties": {"security-severity": "7.8", "tags": ["vulnerability", "security", "LOW"]}}
        ]}},
      "results": [
        {"ruleId": "CVE-2019-5481", "ruleIndex": 0, "level": "error",
         "message": {"text": "Package: curl\nInstalled Version: 7.61.1-4.ph3\nVulnerability CVE-2019-5481\nSeverity: CRITICAL\nFixed Version: 7.61.1-5.ph3\nLink: [CVE-2019-5481](https://avd.aquasec.com/nvd/cve-2019-5481)"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "photon", "uriBaseId": "ROOTPATH"},
                        "region": {"startLine": 1}}, "message": {"text": "photon: curl@7.61.1-4.ph3"}}]},
        {"ruleId": "CVE-2019-5481", "ruleIndex": 0, "level": "error",
         "message": {"text": "Package: curl-libs\nInstalled Version: 7.61.1-4.ph3\nVulnerability CVE-2019-5481\nSeverity: CRITICAL\nFixed Version: 7.61.1-5.ph3\nLink: x"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "photon"}}}]},
        {"ruleId": "CVE-2019-18276", "ruleIndex": 1, "level": "note",
         "message": {"text": "Package: bash\nInstalled Version: 5.0-4\nVulnerability CVE-2019-18276\nSeverity: LOW\nFixed Version: \nLink: x"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "debian"}}}]}
      ],
      "columnKind": "utf16CodeUnits",
      "properties": {"imageName": "reg/app@sha256:abc", "repoDigests": [], "repoTags": []}
    }]
  })json");
}

// The shape grype -o sarif writes (grype/presenter/sarif): rule id "<ID>-<package>", the facts
// in the rule's help text, security-severity holding the highest CVSS score.
json GrypeSarif() {
  return json::parse(R"json({
    "version": "2.1.0",
    "runs": [{
      "tool": {"driver": {"name": "grype", "version": "0.116.0", "rules": [
        {"id": "CVE-1999-0001-package-1", "name": "DpkgMatcherExactDirectMatch",
         "help": {"text": "Vulnerability CVE-1999-0001\nSeverity: low\nPackage: package-1\nVersion: 1.1.1\nFix Version: 1.2.1,2.1.3\nType: rpm\nLocation: somefile-1.txt\nData Namespace: source-1\nLink: CVE-1999-0001"},
         "properties": {"security-severity": "8.2"}},
        {"id": "CVE-1999-0002-package-2", "name": "DpkgMatcherExactIndirectMatch",
         "help": {"text": "Vulnerability CVE-1999-0002\nSeverity: critical\nPackage: package-2\nVersion: 2.2.2\nFix Version: \nType: deb\nLocation: somefile-2.txt"},
         "properties": {"security-severity": "1.0"}}
      ]}},
      "results": [
        {"ruleId": "CVE-1999-0001-package-1",
         "message": {"text": "The path somefile-1.txt reports package-1 at version 1.1.1  which is a vulnerable (rpm) package installed in the container"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "image/somefile-1.txt"}}}]},
        {"ruleId": "CVE-1999-0002-package-2",
         "message": {"text": "The path somefile-2.txt reports package-2 at version 2.2.2"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "image/somefile-2.txt"}}}]}
      ]
    }]
  })json");
}

// A bare result against a bare rule, for the severity precedence table.
json OneResult(const json& rule, const json& result) {
  json r = result;
  r["ruleId"] = "R1";
  json ru = rule;
  ru["id"] = "R1";
  return {{"version", "2.1.0"},
          {"runs", {{{"tool", {{"driver", {{"name", "x"}, {"rules", {ru}}}}}}, {"results", {r}}}}}};
}

}  // namespace

TEST_CASE("SARIF from Trivy: ids, packages, versions, severities, fix status") {
  auto r = ParseSarif(TrivySarif().dump());
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(r->findings.size() == 3);
  CHECK(r->scanner == "sarif");
  CHECK(r->scanner_version == "Trivy 0.74.0");
  CHECK(r->artifact == "reg/app@sha256:abc");
  const Finding& curl = r->findings[0];
  CHECK(curl.id == "CVE-2019-5481");
  CHECK(curl.package == "curl");
  CHECK(curl.installed_version == "7.61.1-4.ph3");
  CHECK(curl.fixed_version == "7.61.1-5.ph3");
  CHECK(curl.fixed);
  CHECK(curl.severity == Severity::kCritical);
  CHECK(curl.target == "photon");
  CHECK(r->findings[1].package == "curl-libs");
  const Finding& bash = r->findings[2];
  CHECK(bash.severity == Severity::kLow);  // the tag wins over security-severity 7.8
  CHECK_FALSE(bash.fixed);
  CHECK(bash.fixed_version.empty());
}

TEST_CASE("SARIF from Grype: the id comes from the help text, severity from its Severity line") {
  auto r = ParseSarif(GrypeSarif().dump());
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(r->findings.size() == 2);
  CHECK(r->scanner_version == "grype 0.116.0");
  const Finding& low = r->findings[0];
  CHECK(low.id == "CVE-1999-0001");
  CHECK(low.package == "package-1");
  CHECK(low.installed_version == "1.1.1");
  CHECK(low.fixed_version == "1.2.1,2.1.3");
  CHECK(low.fixed);
  CHECK(low.package_type == "rpm");
  CHECK(low.severity == Severity::kLow);  // "Severity: low", not the 8.2 CVSS score
  CHECK(low.target == "image/somefile-1.txt");
  const Finding& crit = r->findings[1];
  CHECK(crit.severity == Severity::kCritical);
  CHECK_FALSE(crit.fixed);
}

TEST_CASE("SARIF severity precedence: tag, help Severity line, security-severity, level") {
  struct Case {
    const char* name;
    json rule;
    json result;
    Severity want;
  } cases[] = {
      {"tag",
       {{"properties", {{"tags", {"security", "MEDIUM"}}, {"security-severity", "9.9"}}}},
       json::object(),
       Severity::kMedium},
      {"help line",
       {{"help", {{"text", "Severity: high"}}}, {"properties", {{"security-severity", "1.0"}}}},
       json::object(),
       Severity::kHigh},
      {"score 9.0",
       {{"properties", {{"security-severity", "9.0"}}}},
       {{"level", "note"}},
       Severity::kCritical},
      {"score 7.0", {{"properties", {{"security-severity", "7.0"}}}}, json::object(), Severity::kHigh},
      {"score 6.9 as number",
       {{"properties", {{"security-severity", 6.9}}}},
       json::object(),
       Severity::kMedium},
      {"score 0.1", {{"properties", {{"security-severity", "0.1"}}}}, json::object(), Severity::kLow},
      {"score 0", {{"properties", {{"security-severity", "0.0"}}}}, json::object(), Severity::kUnknown},
      {"level error", json::object(), {{"level", "error"}}, Severity::kHigh},
      {"level warning", json::object(), {{"level", "warning"}}, Severity::kMedium},
      {"level note", json::object(), {{"level", "note"}}, Severity::kLow},
      {"level none", json::object(), {{"level", "none"}}, Severity::kUnknown},
      {"rule default level",
       {{"defaultConfiguration", {{"level", "error"}}}},
       json::object(),
       Severity::kHigh},
      {"nothing", json::object(), json::object(), Severity::kUnknown},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto r = ParseSarif(OneResult(c.rule, c.result).dump());
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    REQUIRE(r->findings.size() == 1);
    CHECK(r->findings[0].severity == c.want);
    CHECK(r->findings[0].id == "R1");
    CHECK(r->findings[0].fixed);  // no fixed-version line: not known to be unfixed
  }
}

TEST_CASE("SARIF: pass results are not findings; no runs is zero findings") {
  json doc = OneResult(json::object(), {{"kind", "pass"}});
  CHECK(ParseSarif(doc.dump())->findings.empty());
  CHECK(ParseSarif(R"({"version": "2.1.0", "runs": []})")->findings.empty());
  CHECK(ParseSarif(R"({"version": "2.1.0"})")->findings.empty());
}

TEST_CASE("SARIF: a result naming its rule only by ruleIndex takes the rule's id") {
  // Found by scripts/fuzz (scan_report): such a result used to become a finding with an empty id.
  const char* by_index = R"({"version": "2.1.0", "runs": [{"tool": {"driver": {"rules": [
      {"id": "CVE-2024-0001", "properties": {"security-severity": 9.8}}]}},
      "results": [{"ruleIndex": 0, "message": {"text": "x"}}]}]})";
  auto r = ParseSarif(by_index);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  REQUIRE(r->findings.size() == 1);
  CHECK(r->findings[0].id == "CVE-2024-0001");
  CHECK(r->findings[0].severity == Severity::kCritical);

  const char* no_id = R"({"version": "2.1.0", "runs": [{"tool": {"driver": {"rules": [{}]}},
      "results": [{"ruleIndex": 0}]}]})";
  auto bad = ParseSarif(no_id);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("runs[0].results[0].ruleId: is missing") != std::string::npos);
}

TEST_CASE("SARIF: bad input is InvalidArgument naming the JSON path") {
  json bad_score = OneResult({{"properties", {{"security-severity", "high"}}}}, json::object());
  json bad_index = TrivySarif();
  bad_index["runs"][0]["results"][0]["ruleId"] = "nope";
  bad_index["runs"][0]["results"][0]["ruleIndex"] = 7;
  struct Case {
    const char* name;
    std::string text;
    const char* message_has;
  } cases[] = {
      {"version 2.0.0", R"({"version": "2.0.0", "runs": []})", "version: is \"2.0.0\""},
      {"no version", R"({"runs": []})", "version: is missing"},
      {"runs object", R"({"version": "2.1.0", "runs": {}})", "runs: must be an array"},
      {"results string", R"({"version": "2.1.0", "runs": [{"results": "x"}]})",
       "runs[0].results: must be an array"},
      {"security-severity word", bad_score.dump(), "security-severity: \"high\" is not a number"},
      {"ruleIndex out of range", bad_index.dump(), "runs[0].results[0].ruleIndex"},
      {"result without rule", R"({"version": "2.1.0", "runs": [{"results": [{}]}]})", "ruleId: is missing"},
      {"truncated", TrivySarif().dump().substr(0, 200), "is not valid JSON"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto r = ParseSarif(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(r.status().message().find(c.message_has) != std::string::npos, r.status().message());
  }
}

TEST_CASE("SARIF read in one pass: tool before or after results, or given twice, reads as a DOM would") {
  // nlohmann::json writes members in key order, so TrivySarif().dump() has results before tool;
  // Trivy and Grype write tool first.
  const json doc = TrivySarif();
  const auto& run = doc["runs"][0];
  auto text = [](const json& j) { return j.dump(); };
  const std::string tool_first = R"({"version": "2.1.0", "runs": [{"tool": )" + text(run["tool"]) +
                                 R"(, "results": )" + text(run["results"]) + R"(, "properties": )" +
                                 text(run["properties"]) + "}]}";
  auto before = ParseSarif(doc.dump());
  auto after = ParseSarif(tool_first);
  REQUIRE_MESSAGE(before.ok(), before.status().ToString());
  REQUIRE_MESSAGE(after.ok(), after.status().ToString());
  REQUIRE(after->findings.size() == before->findings.size());
  for (size_t i = 0; i < after->findings.size(); ++i) {
    CAPTURE(i);
    CHECK(after->findings[i].id == before->findings[i].id);
    CHECK(after->findings[i].severity == before->findings[i].severity);
    CHECK(after->findings[i].fixed == before->findings[i].fixed);
  }

  // A second tool after the results replaces the first: the results take its rules (here a
  // severity tag of LOW for every rule instead of CRITICAL/LOW).
  json low_tool = run["tool"];
  for (auto& rule : low_tool["driver"]["rules"]) rule["properties"]["tags"] = {"LOW"};
  const std::string tool_twice = R"({"version": "2.1.0", "runs": [{"tool": )" + text(run["tool"]) +
                                 R"(, "results": )" + text(run["results"]) + R"(, "tool": )" +
                                 text(low_tool) + "}]}";
  auto twice = ParseSarif(tool_twice);
  REQUIRE_MESSAGE(twice.ok(), twice.status().ToString());
  REQUIRE(twice->findings.size() == 3);
  for (const Finding& f : twice->findings) CHECK(f.severity == Severity::kLow);

  // A run's errors come out in the order of the run's members as a reader checks them: the
  // tool's before the results', wherever each is.
  const std::string bad =
      R"({"version": "2.1.0", "runs": [{"results": [{"ruleId": 5}], "tool": {"driver": {"name": 1}}}]})";
  auto r = ParseSarif(bad);
  REQUIRE_FALSE(r.ok());
  CHECK_MESSAGE(r.status().message().find("runs[0].tool.driver.name: must be a string") != std::string::npos,
                r.status().message());
}
