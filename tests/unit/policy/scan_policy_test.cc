// The standalone scan policy (promote scan --policy): promote.yaml's scanners and scan gate syntax.
#include <doctest/doctest.h>

#include "policy/promote_config.h"

using namespace promote::policy;

TEST_CASE("a scan policy file uses the promote.yaml scanners and scan gate syntax") {
  auto p = ParseScanPolicy(R"(version: 1
scanners:
  trivy: {kind: trivy, timeout: 120}
  mine:
    kind: command
    executable: /opt/scan
    args: ["{image}"]
    format: sarif
scan:
  scanners: [trivy, mine]
  fail-on: CRITICAL
  unknown-as: MEDIUM
  platforms: [linux/arm64]
  on-error: warn
  allow:
    - {id: CVE-2023-1, reason: not reachable, expires: 2027-01-31}
)",
                           "policy.yaml");
  REQUIRE(p.ok());
  CHECK(p->origin == "policy.yaml");
  CHECK(p->scanners.size() == 2);
  CHECK(p->scanners.at("trivy").timeout == std::chrono::seconds(120));
  CHECK(p->scanners.at("mine").kind == promote::scan::HookConfig::kCommand);
  CHECK(p->gate.scanners == std::vector<std::string>{"trivy", "mine"});
  CHECK(p->gate.policy.threshold == promote::scan::Severity::kCritical);
  CHECK(p->gate.policy.unknown_counts_as == promote::scan::Severity::kMedium);
  CHECK(p->gate.platforms == std::vector<std::string>{"linux/arm64"});
  CHECK(p->gate.warn_on_scanner_error);
  REQUIRE(p->gate.policy.allowlist.size() == 1);
  CHECK(p->gate.policy.allowlist[0].reason == "not reachable");
}

TEST_CASE("bad scan policy files are refused with file:line") {
  struct Case {
    const char* yaml;
    const char* message;
  } cases[] = {
      {"scanners: {t: {kind: trivy}}\nscan: {scanners: [t]}\nenvironments: []\n",
       "p.yaml:3: unknown key 'environments' in scan policy"},
      {"scan: {scanners: [t]}\n", "p.yaml:1: scanners is required"},
      {"scanners: {t: {kind: trivy}}\n", "p.yaml:1: scan is required"},
      {"scanners: {t: {kind: trivy}}\nscan:\n  scanners: [u]\n", "p.yaml:3: scan: unknown scanner 'u'"},
      {"scanners: {t: {kind: trivy}}\nscan:\n  scanners: [t]\n  fail-on: SEVERE\n", "p.yaml:4: scan fail-on"},
      {"scanners: {t: {kind: podman}}\nscan: {scanners: [t]}\n", "p.yaml:1: scanner 't': kind must be"},
      {"version: 2\nscanners: {t: {kind: trivy}}\nscan: {scanners: [t]}\n", "p.yaml:1: version"},
      {"scanners: [\n", "p.yaml:2: not valid YAML"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    auto p = ParseScanPolicy(c.yaml, "p.yaml");
    REQUIRE(!p.ok());
    CHECK(p.status().code() == promote::Code::kInvalidArgument);
    CHECK(p.status().message().find(c.message) != std::string::npos);
  }
  auto missing = LoadScanPolicy("/nonexistent/policy.yaml");
  REQUIRE(!missing.ok());
  CHECK(missing.status().message().find("--policy") != std::string::npos);
}
