// How much heap the report parsers use on large reports, measured by counting operator new
// (tests/support/heap_counter.cc, linked into this executable only): the sizes the code asks for,
// the same under AddressSanitizer as without it. The reports are generated from the fixtures'
// own vulnerability objects, repeated with new ids and packages up to the size asked for.
#include <doctest/doctest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "scan/grype_report.h"
#include "scan/report_format.h"
#include "scan/sarif_report.h"
#include "scan/trivy_report.h"
#include "scan_test_files.h"
#include "tests/support/heap_counter.h"

using namespace promote;
using namespace promote::scan;
using nlohmann::json;
using nlohmann::ordered_json;
using promote::scan::testing::Fixture;
using promote::testing::HeapBytesInUse;
using promote::testing::HeapPeakBytes;
using promote::testing::ResetHeapPeak;

namespace {

constexpr size_t kMiB = 1u << 20;
const char* const kSeverities[] = {"CRITICAL", "HIGH", "MEDIUM", "MEDIUM", "LOW", "LOW", "UNKNOWN"};

struct Generated {
  std::string bytes;
  size_t findings = 0;
};

// `doc` dumped as Trivy and Grype write it (two-space indent), with the array at `key` (a
// placeholder string in `doc`) replaced by make(0), make(1), … until the text reaches `size`.
Generated Expand(const ordered_json& doc, const std::string& placeholder, size_t size,
                 const std::function<ordered_json(size_t)>& make) {
  const std::string text = doc.dump(2);
  const std::string quoted = "\"" + placeholder + "\"";
  const size_t at = text.find(quoted);
  REQUIRE(at != std::string::npos);
  Generated out;
  out.bytes = text.substr(0, at) + "[\n";
  while (out.bytes.size() < size) {
    if (out.findings > 0) out.bytes += ",\n";
    out.bytes += make(out.findings++).dump(2);
  }
  out.bytes += "\n]" + text.substr(at + quoted.size());
  return out;
}

std::vector<ordered_json> TrivyVulnerabilities() {
  std::vector<ordered_json> all;
  for (const char* name : {"trivy-debian-buster-unfixed.json", "trivy-photon30-high-critical.json",
                           "trivy-fluentd-gems-multi-result.json"}) {
    const ordered_json doc = ordered_json::parse(Fixture(name));
    for (const ordered_json& result : doc["Results"]) {
      for (const ordered_json& v : result.value("Vulnerabilities", ordered_json::array())) all.push_back(v);
    }
  }
  return all;
}

Generated LargeTrivyReport(size_t size) {
  ordered_json doc = ordered_json::parse(Fixture("trivy-debian-buster-unfixed.json"));
  const std::string target = doc["Results"][0]["Target"];
  doc["Results"] = ordered_json::array({{{"Target", target},
                                         {"Class", "os-pkgs"},
                                         {"Type", "debian"},
                                         {"Vulnerabilities", "@VULNERABILITIES@"}}});
  const std::vector<ordered_json> templates = TrivyVulnerabilities();
  return Expand(doc, "@VULNERABILITIES@", size, [&](size_t i) {
    ordered_json v = templates[i % templates.size()];
    v["VulnerabilityID"] = "CVE-2024-" + std::to_string(10000 + i);
    v["PkgName"] = "libpkg" + std::to_string(i % 5000);
    v["InstalledVersion"] = std::to_string(1 + i % 9) + "." + std::to_string(i % 31) + "-1";
    v["Severity"] = kSeverities[i % std::size(kSeverities)];
    return v;
  });
}

Generated LargeGrypeReport(size_t size) {
  ordered_json doc = ordered_json::parse(Fixture("grype-chainguard-ruby.json"));
  const ordered_json templates = doc["matches"];
  doc["matches"] = "@MATCHES@";
  return Expand(doc, "@MATCHES@", size, [&](size_t i) {
    ordered_json m = templates[i % templates.size()];
    m["vulnerability"]["id"] = "GHSA-" + std::to_string(100000 + i);
    m["artifact"]["name"] = "gem-" + std::to_string(i % 5000);
    return m;
  });
}

// The shape trivy --format sarif writes: one rule per vulnerability (description, help text and
// markdown), one result per affected package.
Generated LargeSarifReport(size_t size) {
  const std::vector<ordered_json> templates = TrivyVulnerabilities();
  ordered_json doc = {
      {"version", "2.1.0"},
      {"$schema", "https://ordered_json.schemastore.org/sarif-2.1.0.json"},
      {"runs",
       {{{"tool", {{"driver", {{"name", "Trivy"}, {"version", "0.74.0"}, {"rules", "@RULES@"}}}}},
         {"results", "@RESULTS@"},
         {"properties", {{"imageName", "reg/app@sha256:ab"}}}}}}};
  std::vector<ordered_json> results;
  auto rule = [&](size_t i) {
    const ordered_json& t = templates[i % templates.size()];
    const std::string id = "CVE-2024-" + std::to_string(10000 + i);
    const std::string severity = kSeverities[i % std::size(kSeverities)];
    const std::string pkg = "libpkg" + std::to_string(i % 5000);
    const std::string description = t.value("Description", "");
    results.push_back(
        {{"ruleId", id},
         {"ruleIndex", i},
         {"level", "error"},
         {"message",
          {{"text", "Package: " + pkg + "\nInstalled Version: 1.0-1\nVulnerability " + id +
                        "\nSeverity: " + severity + "\nFixed Version: 1.0-2\nLink: [" + id +
                        "](https://avd.aquasec.com/nvd/" + id + ")"}}},
         {"locations",
          {{{"physicalLocation",
             {{"artifactLocation", {{"uri", "library/app"}, {"uriBaseId", "ROOTPATH"}}},
              {"region", {{"startLine", 1}, {"startColumn", 1}, {"endLine", 1}, {"endColumn", 1}}}}},
            {"message", {{"text", "library/app: " + pkg + "@1.0-1"}}}}}}});
    return ordered_json{
        {"id", id},
        {"name", "OsPackageVulnerability"},
        {"shortDescription", {{"text", t.value("Title", id)}}},
        {"fullDescription", {{"text", description}}},
        {"defaultConfiguration", {{"level", "error"}}},
        {"helpUri", "https://avd.aquasec.com/nvd/" + id},
        {"help",
         {{"text", "Vulnerability " + id + "\nSeverity: " + severity + "\nPackage: " + pkg +
                       "\nFixed Version: 1.0-2\nLink: [" + id + "](https://avd.aquasec.com/nvd/" + id +
                       ")\n" + description},
          {"markdown", "**Vulnerability " + id + "**\n| Severity | Package | Fixed Version | Link |\n" +
                           "| --- | --- | --- | --- |\n|" + severity + "|" + pkg + "|1.0-2|[" + id +
                           "](https://avd.aquasec.com/nvd/" + id + ")|\n\n" + description}}},
        {"properties",
         {{"precision", "very-high"},
          {"security-severity", "7.5"},
          {"tags", {"vulnerability", "security", severity}}}}};
  };
  // Rules take about three quarters of such a log; the results are added once the rules are done.
  Generated out = Expand(doc, "@RULES@", size * 3 / 4, rule);
  std::string text;
  for (size_t i = 0; i < results.size(); ++i) text += (i ? ",\n" : "[\n") + results[i].dump(2);
  text += "\n]";
  const std::string quoted = "\"@RESULTS@\"";
  out.bytes.replace(out.bytes.find(quoted), quoted.size(), text);
  return out;
}

struct Case {
  const char* format;
  std::function<Generated(size_t)> generate;
  size_t size;
};

const Case kCases[] = {
    {"trivy-json", LargeTrivyReport, 20 * kMiB},
    {"grype-json", LargeGrypeReport, 8 * kMiB},
    {"sarif", LargeSarifReport, 8 * kMiB},
};

// The parsers build what they read with once (static); do that before measuring.
void WarmUp() {
  for (const Case& c : kCases) (void)ParseReport(c.format, c.generate(1).bytes);
}

}  // namespace

TEST_CASE("a large report is parsed in a peak heap under twice its size, and under half beyond its bytes") {
  WarmUp();
  for (const Case& c : kCases) {
    const std::string format = c.format;
    CAPTURE(format);
    const Generated report = c.generate(c.size);
    REQUIRE(report.bytes.size() >= c.size);
    const double size = static_cast<double>(report.bytes.size());

    // ParseReport keeps its own copy of the bytes as `raw`: the bound of issue 21 (a DOM of the
    // whole report took several times its size).
    size_t before = HeapBytesInUse();
    ResetHeapPeak();
    {
      Result<ScanReport> parsed = ParseReport(c.format, report.bytes);
      if (!parsed.ok()) FAIL(parsed.status().ToString());  // (doctest's INFO would allocate)
      CHECK(parsed->findings.size() == report.findings);
      CHECK(parsed->raw.size() == report.bytes.size());
    }
    const size_t peak = HeapPeakBytes() - before;
    const size_t left = HeapBytesInUse() - before;
    MESSAGE(format << ": " << report.bytes.size() << " bytes, " << report.findings << " findings, peak heap "
                   << peak << " bytes (" << static_cast<double>(peak) / size << "x)");
    CHECK(peak < 2 * report.bytes.size());
    CHECK(left == 0);  // nothing left behind

    // ParseOwnedReport takes the bytes (as the scanner hooks do): beyond them, the parser holds
    // its findings and little else.
    std::string bytes = report.bytes;
    before = HeapBytesInUse();
    ResetHeapPeak();
    Result<ScanReport> owned = ParseOwnedReport(c.format, std::move(bytes));
    const size_t beyond = HeapPeakBytes() - before;
    const size_t kept = HeapBytesInUse() - before;
    if (!owned.ok()) FAIL(owned.status().ToString());
    CHECK(owned->findings.size() == report.findings);
    CHECK(owned->raw == report.bytes);
    MESSAGE(format << ": peak heap beyond the bytes " << beyond << " (" << static_cast<double>(beyond) / size
                   << "x the report), kept " << kept);
    CHECK(beyond < report.bytes.size() / 2);
  }
}

TEST_CASE("a truncated large report is refused, and what was read of it is freed") {
  WarmUp();
  const Generated report = LargeTrivyReport(4 * kMiB);
  const std::string truncated = report.bytes.substr(0, report.bytes.size() - report.bytes.size() / 3);
  const size_t before = HeapBytesInUse();
  {
    Result<ScanReport> parsed = ParseTrivyJson(truncated);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message().find("is not valid JSON") != std::string::npos);
  }
  CHECK(HeapBytesInUse() == before);
}
