#include "scan/trivy_report.h"

#include "scan/report_json.h"
#include "scan/report_subject.h"

namespace promote::scan {

using nlohmann::json;

namespace {

enum TrivyPart { kTrivyVulnerability, kTrivyResult };

// What the gate reads of a Trivy report; everything else (descriptions, references, CVSS, the
// package inventory, the image config) is skipped unparsed.
const JsonShape& TrivyShape() {
  using S = JsonShape;
  static const JsonShape kShape = S::Object({
      {"SchemaVersion", S::Whole()},  // printed in full when it is not 2
      {"Trivy", S::Object({{"Version", S::Value()}})},
      {"ArtifactName", S::Value()},
      {"Metadata",
       S::Object({
           {"RepoDigests", S::Array(S::Value())},
           {"ImageConfig",
            S::Object({{"os", S::Value()}, {"architecture", S::Value()}, {"variant", S::Value()}})},
       })},
      {"Results",
       S::Array(S::Object({
                              {"Target", S::Value()},
                              {"Type", S::Value()},
                              {"Vulnerabilities", S::Array(S::Object({
                                                                         {"VulnerabilityID", S::Value()},
                                                                         {"PkgName", S::Value()},
                                                                         {"InstalledVersion", S::Value()},
                                                                         {"FixedVersion", S::Value()},
                                                                         {"Status", S::Value()},
                                                                         {"Severity", S::Value()},
                                                                     })
                                                               .Emit(kTrivyVulnerability))},
                          })
                    .Emit(kTrivyResult))},
  });
  return kShape;
}

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

// Target and package type are those of the Result, set when it is complete.
Result<Finding> ReadVulnerability(const ReportJson& in, const json& v, const std::string& path) {
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
  return f;
}

// Turns Results[] into findings while the report streams by: each vulnerability as it completes,
// then its Result (Target, Type, and the checks the Result itself must pass, which come before
// its vulnerabilities' in error order). Only the first error counts, as in a sequential read.
class TrivyResults : public JsonSink {
 public:
  explicit TrivyResults(const ReportJson& in) : in_(in) {}

  void Emitted(int tag, const std::string& path, json value) override {
    if (!error_.ok()) return;
    if (tag == kTrivyVulnerability) {
      if (!vulnerability_error_.ok()) return;
      Result<Finding> f = ReadVulnerability(in_, value, path);
      if (f.ok()) {
        findings_.push_back(std::move(f).value());
      } else {
        vulnerability_error_ = f.status();
      }
      return;
    }
    error_ = FinishResult(value, path);
    if (error_.ok()) error_ = vulnerability_error_;
    vulnerability_error_ = OkStatus();
    result_start_ = findings_.size();
  }

  void Repeated(const std::string& object_path, std::string_view key) override {
    if (object_path.empty() && key == "Results") {  // the last Results is the report's
      findings_.clear();
      error_ = vulnerability_error_ = OkStatus();
      result_start_ = 0;
    } else if (key == "Vulnerabilities" && object_path.rfind("Results[", 0) == 0) {
      findings_.resize(result_start_);
      vulnerability_error_ = OkStatus();
    }
  }

  const Status& error() const { return error_; }
  std::vector<Finding> TakeFindings() { return std::move(findings_); }

 private:
  Status FinishResult(const json& result, const std::string& path) {
    PROMOTE_RETURN_IF_ERROR(in_.ExpectObject(result, path));
    PROMOTE_ASSIGN_OR_RETURN(std::string target, in_.String(result, path, "Target"));
    PROMOTE_ASSIGN_OR_RETURN(std::string type, in_.String(result, path, "Type"));
    PROMOTE_ASSIGN_OR_RETURN(const json* vulns, in_.Array(result, path, "Vulnerabilities"));
    (void)vulns;  // its elements were emitted
    for (size_t i = result_start_; i < findings_.size(); ++i) {
      findings_[i].target = target;
      findings_[i].package_type = type;
    }
    return OkStatus();
  }

  const ReportJson& in_;
  std::vector<Finding> findings_;
  size_t result_start_ = 0;     // the first finding of the Result being read
  Status error_;                // the first error in Results
  Status vulnerability_error_;  // the first error among the current Result's vulnerabilities
};

}  // namespace

Result<ScanReport> ReadTrivyJson(std::string_view bytes) {
  ReportJson in("trivy-json report", "expected the output of trivy image --format json");
  TrivyResults results(in);
  PROMOTE_ASSIGN_OR_RETURN(json doc, in.Parse(bytes, TrivyShape(), results));

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
  PROMOTE_ASSIGN_OR_RETURN(const json* result_list, in.Array(doc, "", "Results"));
  (void)result_list;  // its elements were emitted
  PROMOTE_RETURN_IF_ERROR(results.error());
  report.findings = results.TakeFindings();
  return report;
}

Result<ScanReport> ParseTrivyJson(std::string_view bytes) {
  PROMOTE_ASSIGN_OR_RETURN(ScanReport report, ReadTrivyJson(bytes));
  report.raw = std::string(bytes);
  return report;
}

}  // namespace promote::scan
