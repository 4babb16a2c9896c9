#include "scan/grype_report.h"

#include "scan/report_json.h"
#include "scan/report_subject.h"

namespace promote::scan {

using nlohmann::json;

namespace {

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

}  // namespace

Result<ScanReport> ParseGrypeJson(std::string_view bytes) {
  ReportJson in("grype-json report", "expected the output of grype -o json");
  PROMOTE_ASSIGN_OR_RETURN(json doc, in.Parse(bytes));
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

  PROMOTE_ASSIGN_OR_RETURN(const json* matches, in.Array(doc, "", "matches"));
  if (matches) {
    for (size_t i = 0; i < matches->size(); ++i) {
      PROMOTE_ASSIGN_OR_RETURN(Finding f, ReadMatch(in, (*matches)[i], JsonPath("matches", i)));
      report.findings.push_back(std::move(f));
    }
  }
  report.raw = std::string(bytes);
  return report;
}

}  // namespace promote::scan
