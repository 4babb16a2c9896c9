// The scanner-neutral model of a vulnerability scan: normalised severities, one Finding per
// (vulnerability, package, installed version, target), and the ScanReport that carries them
// together with the raw report bytes kept as evidence.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace promote::scan {

// Ordered: comparisons (<, >=) follow severity. Scanners' own scales map onto these five;
// Grype's "Negligible" becomes kLow.
enum class Severity { kUnknown = 0, kLow, kMedium, kHigh, kCritical };

inline constexpr Severity kAllSeverities[] = {Severity::kUnknown, Severity::kLow, Severity::kMedium,
                                              Severity::kHigh, Severity::kCritical};

// Accepts the spellings Trivy (upper case) and Grype (title case) write, in any case:
// unknown, negligible, low, medium, high, critical. Empty means kUnknown (Trivy normalises an
// empty severity that way). Any other text is nullopt: the caller decides how to report it.
std::optional<Severity> ParseSeverity(std::string_view text);

// Upper-case name: "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL".
const char* SeverityName(Severity severity);

struct Finding {
  std::string id;       // CVE-…, GHSA-…, distro advisory id
  std::string package;  // package name
  std::string installed_version;
  std::string fixed_version;  // as the scanner wrote it; may be a list ("6.0.3.1, 5.2.4.3")
  bool fixed = false;         // a fix is available (Trivy Status "fixed", Grype fix.state "fixed")
  Severity severity = Severity::kUnknown;
  std::string target;        // Trivy Result.Target, Grype artifact location, SARIF location uri
  std::string package_type;  // Trivy Result.Type (debian, gemspec…), Grype artifact.type (apk, gem…)
};

struct ScanReport {
  std::string scanner;  // the parser that read it: "trivy", "grype" or "sarif"
  // The hook that produced it: its key under promote.yaml `scanners:` ("trivy", "fix", "vendor").
  // Two command hooks may share a parser; this tells them apart. Empty for a report read from a
  // file.
  std::string hook;
  std::string scanner_version;
  std::string artifact;  // what was scanned, as the scanner names it
  std::string platform;  // "linux/arm64" when known, else empty
  // The image digests ("sha256:…") the report says it describes, each once: Trivy's ArtifactName
  // "…@sha256:…" and Metadata.RepoDigests, Grype's source.target userInput and repoDigests,
  // SARIF run properties imageName and repoDigests. Empty when it names none (an archive, a tag).
  // Digests computed locally (Trivy's ImageID, Grype's manifestDigest of a daemon copy) are not
  // the registry's and are not listed.
  std::vector<std::string> named_digests;
  std::vector<Finding> findings;
  std::string raw;  // the report bytes exactly as read, kept as evidence
  // When the scan ran (RFC 3339 UTC), set by whoever ran the scanner; empty for a report read
  // from a file.
  std::string started_on, finished_on;
};

}  // namespace promote::scan
