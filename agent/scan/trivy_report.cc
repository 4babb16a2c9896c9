#include "scan/trivy_report.h"

#include "scan/report_json.h"
#include "scan/report_subject.h"

namespace promote::scan {

using nlohmann::json;

namespace {

Result<std::string> PlatformOf(const ReportJson& in, const json& doc) {
  PROMOTE_ASSIGN_OR_RETURN(const json* metadata, in.Object(doc, "", "Metadata"));
  if (!metadata) return std::string();
  PROMOTE_ASSIGN_OR_RETURN(const json* config, in.Object(*metadata, "Metadata", "ImageConfig"));
  if (!config) return std::string();
  PROMOTE_ASSIGN_OR_RETURN(std::string os, in.String(*config, "Metadata.ImageConfig", "os"));
  PROMOTE_ASSIGN_OR_RETURN(std::string arch, in.String(*config, "Metadata.ImageConfig", "architecture"));
  PROMOTE_ASSIGN_OR_RETURN(std::string variant, in.String(*config, "Metadata.ImageConfig", "variant"));
  if (os.empty() || arch.empty()) return std::string();
  std::string platform = os + "/" + arch;
  if (!variant.empty()) platform += "/" + variant;
  return platform;
}

// Metadata.RepoDigests: ["repo@sha256:…"], present when Trivy scanned an image from a registry
// (or a daemon image pulled from one); absent for archives.
Status ReadRepoDigests(const ReportJson& in, const json& doc, ScanReport& report) {
  PROMOTE_ASSIGN_OR_RETURN(const json* metadata, in.Object(doc, "", "Metadata"));
  if (!metadata) return OkStatus();
  PROMOTE_ASSIGN_OR_RETURN(const json* digests, in.Array(*metadata, "Metadata", "RepoDigests"));
  if (!digests) return OkStatus();
  for (size_t i = 0; i < digests->size(); ++i) {
    const json& d = (*digests)[i];
    if (!d.is_string()) {
      return in.Error(JsonPath("Metadata.RepoDigests", i), std::string("must be a string, found ") + d.type_name());
    }
    AddNamedDigest(d.get<std::string>(), &report.named_digests);
  }
  return OkStatus();
}

Result<Finding> ReadVulnerability(const ReportJson& in, const json& v, const std::string& path,
                                  const std::string& target, const std::string& type) {
  PROMOTE_RETURN_IF_ERROR(in.ExpectObject(v, path));
  Finding f;
  PROMOTE_ASSIGN_OR_RETURN(f.id, in.String(v, path, "VulnerabilityID"));
  if (f.id.empty()) return in.Error(JsonPath(path, "VulnerabilityID"), "is missing or empty");
  PROMOTE_ASSIGN_OR_RETURN(f.package, in.String(v, path, "PkgName"));
  PROMOTE_ASSIGN_OR_RETURN(f.installed_version, in.String(v, path, "InstalledVersion"));
  PROMOTE_ASSIGN_OR_RETURN(f.fixed_version, in.String(v, path, "FixedVersion"));
  PROMOTE_ASSIGN_OR_RETURN(std::string status, in.String(v, path, "Status"));
  f.fixed = status == "fixed" || (status.empty() && !f.fixed_version.empty());
  PROMOTE_ASSIGN_OR_RETURN(std::string severity, in.String(v, path, "Severity"));
  std::optional<Severity> parsed = ParseSeverity(severity);
  if (!parsed) {
    return in.Error(JsonPath(path, "Severity"),
                    "\"" + severity + "\" is not one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL");
  }
  f.severity = *parsed;
  f.target = target;
  f.package_type = type;
  return f;
}

}  // namespace

Result<ScanReport> ParseTrivyJson(std::string_view bytes) {
  ReportJson in("trivy-json report", "expected the output of trivy image --format json");
  PROMOTE_ASSIGN_OR_RETURN(json doc, in.Parse(bytes));

  auto schema = doc.find("SchemaVersion");
  if (schema == doc.end()) {
    return in.Error("SchemaVersion", "is missing; this parser reads SchemaVersion 2");
  }
  if (!schema->is_number_integer() || schema->get<long long>() != 2) {
    return in.Error("SchemaVersion", "is " + schema->dump() +
                                         ", this parser reads only SchemaVersion 2; use a Trivy release "
                                         "that writes schema 2 (v0.20 or later)");
  }

  ScanReport report;
  report.scanner = "trivy";
  PROMOTE_ASSIGN_OR_RETURN(const json* trivy, in.Object(doc, "", "Trivy"));
  if (trivy) {
    PROMOTE_ASSIGN_OR_RETURN(report.scanner_version, in.String(*trivy, "Trivy", "Version"));
  }
  PROMOTE_ASSIGN_OR_RETURN(report.artifact, in.String(doc, "", "ArtifactName"));
  AddNamedDigest(report.artifact, &report.named_digests);
  PROMOTE_RETURN_IF_ERROR(ReadRepoDigests(in, doc, report));
  PROMOTE_ASSIGN_OR_RETURN(report.platform, PlatformOf(in, doc));

  PROMOTE_ASSIGN_OR_RETURN(const json* results, in.Array(doc, "", "Results"));
  if (results) {
    for (size_t i = 0; i < results->size(); ++i) {
      const std::string rpath = JsonPath("Results", i);
      const json& result = (*results)[i];
      PROMOTE_RETURN_IF_ERROR(in.ExpectObject(result, rpath));
      PROMOTE_ASSIGN_OR_RETURN(std::string target, in.String(result, rpath, "Target"));
      PROMOTE_ASSIGN_OR_RETURN(std::string type, in.String(result, rpath, "Type"));
      PROMOTE_ASSIGN_OR_RETURN(const json* vulns, in.Array(result, rpath, "Vulnerabilities"));
      if (!vulns) continue;
      const std::string vpath = JsonPath(rpath, "Vulnerabilities");
      for (size_t j = 0; j < vulns->size(); ++j) {
        PROMOTE_ASSIGN_OR_RETURN(Finding f,
                                 ReadVulnerability(in, (*vulns)[j], JsonPath(vpath, j), target, type));
        report.findings.push_back(std::move(f));
      }
    }
  }
  report.raw = std::string(bytes);
  return report;
}

}  // namespace promote::scan
