#include "scan/sarif_report.h"

#include <map>

#include "scan/report_json.h"
#include "scan/report_subject.h"

namespace promote::scan {

using nlohmann::json;

namespace {

// "Key: value" lines of a SARIF text; the first occurrence of each key wins.
std::map<std::string, std::string> TextFields(std::string_view text) {
  std::map<std::string, std::string> fields;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("Vulnerability ", 0) == 0) {
      fields.emplace("Vulnerability", std::string(line.substr(14)));
    } else if (size_t colon = line.find(": "); colon != std::string_view::npos) {
      fields.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    } else if (!line.empty() && line.back() == ':') {
      fields.emplace(std::string(line.substr(0, line.size() - 1)), std::string());
    }
    start = end + 1;
  }
  return fields;
}

std::optional<Severity> SeverityFromScore(double score) {
  if (score >= 9.0) return Severity::kCritical;
  if (score >= 7.0) return Severity::kHigh;
  if (score >= 4.0) return Severity::kMedium;
  if (score >= 0.1) return Severity::kLow;
  return Severity::kUnknown;
}

std::optional<Severity> SeverityFromLevel(std::string_view level) {
  if (level == "error") return Severity::kHigh;
  if (level == "warning") return Severity::kMedium;
  if (level == "note") return Severity::kLow;
  if (level == "none") return Severity::kUnknown;
  return std::nullopt;
}

struct RuleFacts {
  std::string id;  // tool.driver.rules[].id, the result's id when it names the rule by ruleIndex only
  std::optional<Severity> tag_severity;
  std::optional<Severity> help_severity;
  std::optional<Severity> score_severity;
  std::string default_level;
  std::map<std::string, std::string> help;
};

Result<RuleFacts> ReadRule(const ReportJson& in, const json& rule, const std::string& path) {
  PROMOTE_RETURN_IF_ERROR(in.ExpectObject(rule, path));
  RuleFacts facts;
  PROMOTE_ASSIGN_OR_RETURN(const json* help, in.Object(rule, path, "help"));
  if (help) {
    PROMOTE_ASSIGN_OR_RETURN(std::string text, in.String(*help, JsonPath(path, "help"), "text"));
    facts.help = TextFields(text);
    if (auto it = facts.help.find("Severity"); it != facts.help.end()) {
      facts.help_severity = ParseSeverity(it->second);
      if (it->second.empty()) facts.help_severity.reset();
    }
  }
  PROMOTE_ASSIGN_OR_RETURN(const json* config, in.Object(rule, path, "defaultConfiguration"));
  if (config) {
    PROMOTE_ASSIGN_OR_RETURN(facts.default_level,
                             in.String(*config, JsonPath(path, "defaultConfiguration"), "level"));
  }
  PROMOTE_ASSIGN_OR_RETURN(const json* props, in.Object(rule, path, "properties"));
  if (props) {
    const std::string ppath = JsonPath(path, "properties");
    PROMOTE_ASSIGN_OR_RETURN(const json* tags, in.Array(*props, ppath, "tags"));
    if (tags) {
      for (const json& tag : *tags) {
        if (!tag.is_string() || tag.get<std::string>().empty()) continue;
        if (auto s = ParseSeverity(tag.get<std::string>())) {
          facts.tag_severity = s;
          break;
        }
      }
    }
    auto score = props->find("security-severity");
    if (score != props->end() && !score->is_null()) {
      double value = 0;
      if (score->is_number()) {
        value = score->get<double>();
      } else if (score->is_string()) {
        try {
          size_t used = 0;
          value = std::stod(score->get<std::string>(), &used);
          if (used != score->get<std::string>().size()) throw std::invalid_argument("trailing text");
        } catch (const std::exception&) {
          return in.Error(JsonPath(ppath, "security-severity"),
                          "\"" + score->get<std::string>() + "\" is not a number");
        }
      } else {
        return in.Error(JsonPath(ppath, "security-severity"),
                        std::string("must be a number or a numeric string, found ") + score->type_name());
      }
      facts.score_severity = SeverityFromScore(value);
    }
  }
  return facts;
}

const std::string* Field(const std::map<std::string, std::string>& fields, const char* key) {
  auto it = fields.find(key);
  return it == fields.end() ? nullptr : &it->second;
}

Result<Finding> ReadResult(const ReportJson& in, const json& result, const std::string& path,
                           const std::map<std::string, size_t>& rule_by_id,
                           const std::vector<RuleFacts>& rules) {
  PROMOTE_RETURN_IF_ERROR(in.ExpectObject(result, path));
  PROMOTE_ASSIGN_OR_RETURN(std::string rule_id, in.String(result, path, "ruleId"));
  const RuleFacts* rule = nullptr;
  if (auto it = rule_by_id.find(rule_id); !rule_id.empty() && it != rule_by_id.end()) {
    rule = &rules[it->second];
  } else if (auto index = result.find("ruleIndex"); index != result.end() && index->is_number_unsigned()) {
    if (index->get<size_t>() >= rules.size()) {
      return in.Error(JsonPath(path, "ruleIndex"), "points past the end of tool.driver.rules");
    }
    rule = &rules[index->get<size_t>()];
  }
  static const RuleFacts kNoRule;
  if (!rule) rule = &kNoRule;
  if (rule_id.empty() && rule == &kNoRule) return in.Error(JsonPath(path, "ruleId"), "is missing");

  std::map<std::string, std::string> message;
  PROMOTE_ASSIGN_OR_RETURN(const json* msg, in.Object(result, path, "message"));
  if (msg) {
    PROMOTE_ASSIGN_OR_RETURN(std::string text, in.String(*msg, JsonPath(path, "message"), "text"));
    message = TextFields(text);
  }

  if (rule_id.empty()) rule_id = rule->id;

  Finding f;
  const std::string* id = Field(rule->help, "Vulnerability");
  if (!id) id = Field(message, "Vulnerability");
  f.id = id && !id->empty() ? *id : rule_id;
  if (f.id.empty()) return in.Error(JsonPath(path, "ruleId"), "is missing and the rule it points to has no id");

  PROMOTE_ASSIGN_OR_RETURN(std::string level, in.String(result, path, "level"));
  if (level.empty()) level = rule->default_level;
  if (rule->tag_severity) {
    f.severity = *rule->tag_severity;
  } else if (rule->help_severity) {
    f.severity = *rule->help_severity;
  } else if (rule->score_severity) {
    f.severity = *rule->score_severity;
  } else if (auto s = SeverityFromLevel(level)) {
    f.severity = *s;
  }

  auto first_of = [&](const char* msg_key, const char* help_key) -> const std::string* {
    if (const std::string* v = Field(message, msg_key)) return v;
    return Field(rule->help, help_key);
  };
  if (const std::string* v = first_of("Package", "Package")) f.package = *v;
  if (const std::string* v = first_of("Installed Version", "Version")) f.installed_version = *v;
  const std::string* fixed = first_of("Fixed Version", "Fix Version");
  if (!fixed) fixed = Field(rule->help, "Fixed Version");
  if (fixed) {
    f.fixed_version = *fixed;
    f.fixed = !fixed->empty();
  } else {
    f.fixed = true;
  }
  if (const std::string* v = Field(rule->help, "Type")) f.package_type = *v;

  PROMOTE_ASSIGN_OR_RETURN(const json* locations, in.Array(result, path, "locations"));
  if (locations && !locations->empty() && (*locations)[0].is_object()) {
    const json& loc = (*locations)[0];
    auto phys = loc.find("physicalLocation");
    if (phys != loc.end() && phys->is_object()) {
      auto art = phys->find("artifactLocation");
      if (art != phys->end() && art->is_object()) {
        PROMOTE_ASSIGN_OR_RETURN(
            f.target,
            in.String(*art, JsonPath(path, "locations[0].physicalLocation.artifactLocation"), "uri"));
      }
    }
  }
  return f;
}

Status ReadRun(const ReportJson& in, const json& run, const std::string& path, ScanReport& report) {
  PROMOTE_RETURN_IF_ERROR(in.ExpectObject(run, path));
  std::vector<RuleFacts> rules;
  std::map<std::string, size_t> rule_by_id;
  PROMOTE_ASSIGN_OR_RETURN(const json* tool, in.Object(run, path, "tool"));
  const std::string tpath = JsonPath(path, "tool");
  const json* driver = nullptr;
  if (tool) {
    PROMOTE_ASSIGN_OR_RETURN(driver, in.Object(*tool, tpath, "driver"));
  }
  if (driver) {
    const std::string dpath = JsonPath(tpath, "driver");
    PROMOTE_ASSIGN_OR_RETURN(std::string name, in.String(*driver, dpath, "name"));
    PROMOTE_ASSIGN_OR_RETURN(std::string version, in.String(*driver, dpath, "version"));
    if (report.scanner_version.empty()) {
      report.scanner_version = name;
      if (!version.empty()) report.scanner_version += (name.empty() ? "" : " ") + version;
    }
    PROMOTE_ASSIGN_OR_RETURN(const json* rule_list, in.Array(*driver, dpath, "rules"));
    if (rule_list) {
      for (size_t i = 0; i < rule_list->size(); ++i) {
        const std::string rpath = JsonPath(JsonPath(dpath, "rules"), i);
        PROMOTE_ASSIGN_OR_RETURN(RuleFacts facts, ReadRule(in, (*rule_list)[i], rpath));
        PROMOTE_ASSIGN_OR_RETURN(facts.id, in.String((*rule_list)[i], rpath, "id"));
        rule_by_id.emplace(facts.id, rules.size());
        rules.push_back(std::move(facts));
      }
    }
  }
  PROMOTE_ASSIGN_OR_RETURN(const json* props, in.Object(run, path, "properties"));
  if (props) {
    // Trivy's SARIF names the image here: {imageName, repoDigests, repoTags}.
    const std::string ppath = JsonPath(path, "properties");
    PROMOTE_ASSIGN_OR_RETURN(std::string image_name, in.String(*props, ppath, "imageName"));
    if (report.artifact.empty()) report.artifact = image_name;
    AddNamedDigest(image_name, &report.named_digests);
    PROMOTE_ASSIGN_OR_RETURN(const json* repo_digests, in.Array(*props, ppath, "repoDigests"));
    if (repo_digests) {
      for (size_t i = 0; i < repo_digests->size(); ++i) {
        const json& d = (*repo_digests)[i];
        if (!d.is_string()) {
          return in.Error(JsonPath(JsonPath(ppath, "repoDigests"), i),
                          std::string("must be a string, found ") + d.type_name());
        }
        AddNamedDigest(d.get<std::string>(), &report.named_digests);
      }
    }
  }
  PROMOTE_ASSIGN_OR_RETURN(const json* results, in.Array(run, path, "results"));
  if (!results) return OkStatus();
  for (size_t i = 0; i < results->size(); ++i) {
    const std::string rpath = JsonPath(JsonPath(path, "results"), i);
    if ((*results)[i].is_object()) {
      PROMOTE_ASSIGN_OR_RETURN(std::string kind, in.String((*results)[i], rpath, "kind"));
      if (kind == "pass" || kind == "notApplicable") continue;
    }
    PROMOTE_ASSIGN_OR_RETURN(Finding f, ReadResult(in, (*results)[i], rpath, rule_by_id, rules));
    report.findings.push_back(std::move(f));
  }
  return OkStatus();
}

}  // namespace

Result<ScanReport> ParseSarif(std::string_view bytes) {
  ReportJson in("sarif report", "expected SARIF 2.1.0 (trivy --format sarif, grype -o sarif)");
  PROMOTE_ASSIGN_OR_RETURN(json doc, in.Parse(bytes));
  PROMOTE_ASSIGN_OR_RETURN(std::string version, in.String(doc, "", "version"));
  if (version != "2.1.0") {
    return in.Error("version", version.empty() ? "is missing; only SARIF 2.1.0 is read"
                                               : "is \"" + version + "\"; only SARIF 2.1.0 is read");
  }
  ScanReport report;
  report.scanner = "sarif";
  PROMOTE_ASSIGN_OR_RETURN(const json* runs, in.Array(doc, "", "runs"));
  if (runs) {
    for (size_t i = 0; i < runs->size(); ++i) {
      PROMOTE_RETURN_IF_ERROR(ReadRun(in, (*runs)[i], JsonPath("runs", i), report));
    }
  }
  report.raw = std::string(bytes);
  return report;
}

}  // namespace promote::scan
