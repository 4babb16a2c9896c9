#include "scan/grype_report.h"

#include "scan/report_json.h"
#include "scan/report_subject.h"

namespace promote::scan {

using nlohmann::json;

namespace {

enum GrypePart { kGrypeMatch };

// What the gate reads of a Grype report; the rest (descriptions, CVSS, EPSS, match details,
// package metadata, the image manifest and config) is skipped unparsed.
const JsonShape& GrypeShape() {
  using S = JsonShape;
  static const JsonShape kShape = S::Object({
      {"matches",
       S::Array(S::Object({
                              {"vulnerability", S::Object({
                                                    {"id", S::Value()},
                                                    {"severity", S::Value()},
                                                    {"fix", S::Object({{"state", S::Value()},
                                                                       {"versions", S::Array(S::Value())}})},
                                                })},
                              {"artifact", S::Object({
                                               {"name", S::Value()},
                                               {"version", S::Value()},
                                               {"type", S::Value()},
                                               {"locations", S::Array(S::Object({{"path", S::Value()}}), 1)},
                                           })},
                          })
                    .Emit(kGrypeMatch))},
      {"descriptor", S::Object({{"version", S::Value()}})},
      {"source", S::Object({{"target", S::Object({
                                           {"userInput", S::Value()},
                                           {"repoDigests", S::Array(S::Value())},
                                           {"path", S::Value()},
                                           {"os", S::Value()},
                                           {"architecture", S::Value()},
                                       })}})},
  });
  return kShape;
}

// source.target is an object for images ({userInput, os, architecture, …}) and a string or
// {path} for directories and files.
Status ReadSource(const ReportJson& in, const json& doc, ScanReport& report) {
  PROMOTE_ASSIGN_OR_RETURN(const json* source, in.Object(doc, "", "source"));
  if (!source) return OkStatus();
  auto target = source->find("target");
  if (target == source->end() || target->is_null()) return OkStatus();
  if (target->is_string()) {
    report.artifact = target->get<std::string>();
    return OkStatus();
  }
  if (!target->is_object()) {
    return in.Error("source.target",
                    std::string("must be an object or a string, found ") + target->type_name());
  }
  PROMOTE_ASSIGN_OR_RETURN(report.artifact, in.String(*target, "source.target", "userInput"));
  AddNamedDigest(report.artifact, &report.named_digests);
  PROMOTE_ASSIGN_OR_RETURN(const json* repo_digests, in.Array(*target, "source.target", "repoDigests"));
  if (repo_digests) {
    for (size_t i = 0; i < repo_digests->size(); ++i) {
      const json& d = (*repo_digests)[i];
      if (!d.is_string()) {
        return in.Error(JsonPath("source.target.repoDigests", i),
                        std::string("must be a string, found ") + d.type_name());
      }
      AddNamedDigest(d.get<std::string>(), &report.named_digests);
    }
  }
  if (report.artifact.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(report.artifact, in.String(*target, "source.target", "path"));
  }
  PROMOTE_ASSIGN_OR_RETURN(std::string os, in.String(*target, "source.target", "os"));
  PROMOTE_ASSIGN_OR_RETURN(std::string arch, in.String(*target, "source.target", "architecture"));
  if (!os.empty() && !arch.empty()) report.platform = os + "/" + arch;
  return OkStatus();
}

Status ReadFix(const ReportJson& in, const json& vuln, const std::string& vpath, Finding& f) {
  PROMOTE_ASSIGN_OR_RETURN(const json* fix, in.Object(vuln, vpath, "fix"));
  if (!fix) return OkStatus();
  const std::string fpath = JsonPath(vpath, "fix");
  PROMOTE_ASSIGN_OR_RETURN(std::string state, in.String(*fix, fpath, "state"));
  f.fixed = state == "fixed";
  PROMOTE_ASSIGN_OR_RETURN(const json* versions, in.Array(*fix, fpath, "versions"));
  if (!versions) return OkStatus();
  for (size_t k = 0; k < versions->size(); ++k) {
    const json& v = (*versions)[k];
    if (!v.is_string()) {
      return in.Error(JsonPath(JsonPath(fpath, "versions"), k),
                      std::string("must be a string, found ") + v.type_name());
    }
    if (!f.fixed_version.empty()) f.fixed_version += ", ";
    f.fixed_version += v.get<std::string>();
  }
  return OkStatus();
}

Result<Finding> ReadMatch(const ReportJson& in, const json& match, const std::string& path) {
  PROMOTE_RETURN_IF_ERROR(in.ExpectObject(match, path));
  Finding f;
  PROMOTE_ASSIGN_OR_RETURN(const json* vuln, in.Object(match, path, "vulnerability"));
  const std::string vpath = JsonPath(path, "vulnerability");
  if (!vuln) return in.Error(vpath, "is missing");
  PROMOTE_ASSIGN_OR_RETURN(f.id, in.String(*vuln, vpath, "id"));
  if (f.id.empty()) return in.Error(JsonPath(vpath, "id"), "is missing or empty");
  PROMOTE_ASSIGN_OR_RETURN(std::string severity, in.String(*vuln, vpath, "severity"));
  std::optional<Severity> parsed = ParseSeverity(severity);
  if (!parsed) {
    return in.Error(JsonPath(vpath, "severity"),
                    "\"" + severity + "\" is not one of Unknown, Negligible, Low, Medium, High, Critical");
  }
  f.severity = *parsed;
  PROMOTE_RETURN_IF_ERROR(ReadFix(in, *vuln, vpath, f));

  PROMOTE_ASSIGN_OR_RETURN(const json* artifact, in.Object(match, path, "artifact"));
  if (artifact) {
    const std::string apath = JsonPath(path, "artifact");
    PROMOTE_ASSIGN_OR_RETURN(f.package, in.String(*artifact, apath, "name"));
    PROMOTE_ASSIGN_OR_RETURN(f.installed_version, in.String(*artifact, apath, "version"));
    PROMOTE_ASSIGN_OR_RETURN(f.package_type, in.String(*artifact, apath, "type"));
    PROMOTE_ASSIGN_OR_RETURN(const json* locations, in.Array(*artifact, apath, "locations"));
    if (locations && !locations->empty()) {
      const std::string lpath = JsonPath(JsonPath(apath, "locations"), size_t{0});
      PROMOTE_RETURN_IF_ERROR(in.ExpectObject((*locations)[0], lpath));
      PROMOTE_ASSIGN_OR_RETURN(f.target, in.String((*locations)[0], lpath, "path"));
    }
  }
  return f;
}

// Turns matches[] into findings while the report streams by; only the first error counts, as in
// a sequential read.
class GrypeMatches : public JsonSink {
 public:
  explicit GrypeMatches(const ReportJson& in) : in_(in) {}

  void Emitted(int /*tag*/, const std::string& path, json value) override {
    if (!error_.ok()) return;
    Result<Finding> f = ReadMatch(in_, value, path);
    if (f.ok()) {
      findings_.push_back(std::move(f).value());
    } else {
      error_ = f.status();
    }
  }

  void Repeated(const std::string& object_path, std::string_view key) override {
    if (object_path.empty() && key == "matches") {  // the last matches is the report's
      findings_.clear();
      error_ = OkStatus();
    }
  }

  const Status& error() const { return error_; }
  std::vector<Finding> TakeFindings() { return std::move(findings_); }

 private:
  const ReportJson& in_;
  std::vector<Finding> findings_;
  Status error_;
};

}  // namespace

Result<ScanReport> ReadGrypeJson(std::string_view bytes) {
  ReportJson in("grype-json report", "expected the output of grype -o json");
  GrypeMatches matches(in);
  PROMOTE_ASSIGN_OR_RETURN(json doc, in.Parse(bytes, GrypeShape(), matches));
  if (!doc.contains("matches") && !doc.contains("descriptor") && !doc.contains("source")) {
    return in.Error("", "has none of the keys matches, descriptor, source: it is not a Grype report");
  }

  ScanReport report;
  report.scanner = "grype";
  PROMOTE_ASSIGN_OR_RETURN(const json* descriptor, in.Object(doc, "", "descriptor"));
  if (descriptor) {
    PROMOTE_ASSIGN_OR_RETURN(report.scanner_version, in.String(*descriptor, "descriptor", "version"));
  }
  PROMOTE_RETURN_IF_ERROR(ReadSource(in, doc, report));

  PROMOTE_ASSIGN_OR_RETURN(const json* match_list, in.Array(doc, "", "matches"));
  (void)match_list;  // its elements were emitted
  PROMOTE_RETURN_IF_ERROR(matches.error());
  report.findings = matches.TakeFindings();
  return report;
}

Result<ScanReport> ParseGrypeJson(std::string_view bytes) {
  PROMOTE_ASSIGN_OR_RETURN(ScanReport report, ReadGrypeJson(bytes));
  report.raw = std::string(bytes);
  return report;
}

}  // namespace promote::scan
