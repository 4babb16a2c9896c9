// How much heap the report parsers use on large reports, measured by counting operator new
// (tests/support/heap_counter.cc, linked into this executable only): the sizes the code asks for,
// the same under AddressSanitizer as without it. The reports are generated from the fixtures'
// own vulnerability objects, repeated with new ids and packages up to the size asked for.
#include <doctest/doctest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

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

// `text` with each placeholder replaced by its value.
std::string Fill(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [placeholder, value] : values) {
    for (size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size())) {
      text.replace(at, placeholder.size(), value);
    }
  }
  return text;
}

// `doc` dumped as Trivy and Grype write it (two-space indent), with the string `placeholder` in
// it replaced by an array of make(0), make(1), … (JSON texts) until the text reaches `size`.
Generated Expand(const ordered_json& doc, const std::string& placeholder, size_t size,
                 const std::function<std::string(size_t)>& make) {
  const std::string text = doc.dump(2);
  const std::string quoted = "\"" + placeholder + "\"";
  const size_t at = text.find(quoted);
  REQUIRE(at != std::string::npos);
  Generated out;
  out.bytes = text.substr(0, at) + "[\n";
  while (out.bytes.size() < size) {
    if (out.findings > 0) out.bytes += ",\n";
    out.bytes += make(out.findings++);
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

// What varies from one generated finding to the next.
std::vector<std::pair<std::string, std::string>> Varied(size_t i) {
  return {{"@ID@", "CVE-2024-" + std::to_string(10000 + i)},
          {"@PKG@", "libpkg" + std::to_string(i % 5000)},
          {"@VERSION@", std::to_string(1 + i % 9) + "." + std::to_string(i % 31) + "-1"},
          {"@SEVERITY@", kSeverities[i % std::size(kSeverities)]}};
}

Generated LargeTrivyReport(size_t size) {
  ordered_json doc = ordered_json::parse(Fixture("trivy-debian-buster-unfixed.json"));
  const std::string target = doc["Results"][0]["Target"];
  doc["Results"] = ordered_json::array({{{"Target", target},
                                         {"Class", "os-pkgs"},
                                         {"Type", "debian"},
                                         {"Vulnerabilities", "@VULNERABILITIES@"}}});
  std::vector<std::string> templates;
  for (ordered_json v : TrivyVulnerabilities()) {
    v["VulnerabilityID"] = "@ID@";
    v["PkgName"] = "@PKG@";
    v["InstalledVersion"] = "@VERSION@";
    v["Severity"] = "@SEVERITY@";
    templates.push_back(v.dump(2));
  }
  return Expand(doc, "@VULNERABILITIES@", size,
                [&](size_t i) { return Fill(templates[i % templates.size()], Varied(i)); });
}

Generated LargeGrypeReport(size_t size) {
  ordered_json doc = ordered_json::parse(Fixture("grype-chainguard-ruby.json"));
  std::vector<std::string> templates;
  for (ordered_json m : doc["matches"]) {
    m["vulnerability"]["id"] = "@ID@";
    m["artifact"]["name"] = "@PKG@";
    templates.push_back(m.dump(2));
  }
  doc["matches"] = "@MATCHES@";
  return Expand(doc, "@MATCHES@", size,
                [&](size_t i) { return Fill(templates[i % templates.size()], Varied(i)); });
}

// The shape trivy --format sarif writes: one rule per vulnerability (description, help text and
// markdown), one result per affected package.
Generated LargeSarifReport(size_t size) {
  ordered_json doc = {
      {"version", "2.1.0"},
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"runs",
       {{{"tool", {{"driver", {{"name", "Trivy"}, {"version", "0.74.0"}, {"rules", "@RULES@"}}}}},
         {"results", "@RESULTS@"},
         {"properties", {{"imageName", "reg/app@sha256:ab"}}}}}}};
  std::vector<std::string> rules;
  for (const ordered_json& t : TrivyVulnerabilities()) {
    const std::string description = t.value("Description", "");
    const std::string link = "[@ID@](https://avd.aquasec.com/nvd/@ID@)";
    rules.push_back(ordered_json{
        {"id", "@ID@"},
        {"name", "OsPackageVulnerability"},
        {"shortDescription", {{"text", t.value("Title", "@ID@")}}},
        {"fullDescription", {{"text", description}}},
        {"defaultConfiguration", {{"level", "error"}}},
        {"helpUri", "https://avd.aquasec.com/nvd/@ID@"},
        {"help",
         {{"text", "Vulnerability @ID@\nSeverity: @SEVERITY@\nPackage: @PKG@\nFixed Version: 1.0-2\nLink: " +
                       link + "\n" + description},
          {"markdown",
           "**Vulnerability @ID@**\n| Severity | Package | Fixed Version | Link |\n"
           "| --- | --- | --- | --- |\n|@SEVERITY@|@PKG@|1.0-2|" +
               link + "|\n\n" + description}}},
        {"properties",
         {{"precision", "very-high"},
          {"security-severity", "7.5"},
          {"tags", {"vulnerability", "security", "@SEVERITY@"}}}}}
                        .dump(2));
  }
  const std::string result =
      ordered_json{
          {"ruleId", "@ID@"},
          {"ruleIndex", "@INDEX@"},
          {"level", "error"},
          {"message",
           {{"text",
             "Package: @PKG@\nInstalled Version: @VERSION@\nVulnerability @ID@\nSeverity: @SEVERITY@\n"
             "Fixed Version: 1.0-2\nLink: [@ID@](https://avd.aquasec.com/nvd/@ID@)"}}},
          {"locations",
           {{{"physicalLocation",
              {{"artifactLocation", {{"uri", "library/app"}, {"uriBaseId", "ROOTPATH"}}},
               {"region", {{"startLine", 1}, {"startColumn", 1}, {"endLine", 1}, {"endColumn", 1}}}}},
             {"message", {{"text", "library/app: @PKG@@@VERSION@"}}}}}}}
          .dump(2);
  // Rules take about three quarters of such a log; a result for each follows them.
  Generated out = Expand(doc, "@RULES@", size * 3 / 4,
                         [&](size_t i) { return Fill(rules[i % rules.size()], Varied(i)); });
  std::string results = "[\n";
  for (size_t i = 0; i < out.findings; ++i) {
    if (i > 0) results += ",\n";
    std::vector<std::pair<std::string, std::string>> values = Varied(i);
    values.insert(values.begin(), {"\"@INDEX@\"", std::to_string(i)});
    results += Fill(result, values);
  }
  results += "\n]";
  const std::string quoted = "\"@RESULTS@\"";
  out.bytes.replace(out.bytes.find(quoted), quoted.size(), results);
  return out;
}

struct Case {
  const char* format;
  std::function<Generated(size_t)> generate;
  size_t size;
};

// Sanitizer builds (-O0, every access checked) parse a few MB/s: a quarter of the size there. The
// ratios measured do not depend on it (the counts are of bytes asked for, findings grow with the
// report).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr size_t kScale = 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr size_t kScale = 4;
#else
constexpr size_t kScale = 1;
#endif
#else
constexpr size_t kScale = 1;
#endif

const Case kCases[] = {
    {"trivy-json", LargeTrivyReport, 20 * kMiB / kScale},
    {"grype-json", LargeGrypeReport, 8 * kMiB / kScale},
    {"sarif", LargeSarifReport, 8 * kMiB / kScale},
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
  const Generated report = LargeTrivyReport(4 * kMiB / kScale);
  const std::string truncated = report.bytes.substr(0, report.bytes.size() - report.bytes.size() / 3);
  const size_t before = HeapBytesInUse();
  {
    Result<ScanReport> parsed = ParseTrivyJson(truncated);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message().find("is not valid JSON") != std::string::npos);
  }
  CHECK(HeapBytesInUse() == before);
}
