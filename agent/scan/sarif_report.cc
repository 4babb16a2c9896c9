#include "scan/sarif_report.h"

#include <algorithm>
#include <deque>
#include <initializer_list>
#include <iterator>
#include <map>
#include <optional>

#include "scan/report_json.h"
#include "scan/report_subject.h"

namespace promote::scan {

using nlohmann::json;

namespace {

// "Key: value" lines of a SARIF text that name one of `keys`; the first occurrence of each key
// wins. "Vulnerability <ID>" lines are read as the key "Vulnerability".
std::map<std::string, std::string> TextFields(std::string_view text,
                                              std::initializer_list<std::string_view> keys) {
  std::map<std::string, std::string> fields;
  auto add = [&](std::string_view key, std::string_view value) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end())
      fields.emplace(std::string(key), std::string(value));
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("Vulnerability ", 0) == 0) {
      add("Vulnerability", line.substr(14));
    } else if (size_t colon = line.find(": "); colon != std::string_view::npos) {
      add(line.substr(0, colon), line.substr(colon + 2));
    } else if (!line.empty() && line.back() == ':') {
      add(line.substr(0, line.size() - 1), "");
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
  // The rule's own severity: from a tag, else from the help text, else from security-severity.
  std::optional<Severity> severity;
  std::string default_level;
  std::map<std::string, std::string> help;  // the help.text fields results read
};

Result<RuleFacts> ReadRule(const ReportJson& in, const json& rule, const std::string& path) {
  PROMOTE_RETURN_IF_ERROR(in.ExpectObject(rule, path));
  RuleFacts facts;
  std::optional<Severity> tag_severity, help_severity, score_severity;
  PROMOTE_ASSIGN_OR_RETURN(const json* help, in.Object(rule, path, "help"));
  if (help) {
    PROMOTE_ASSIGN_OR_RETURN(std::string text, in.String(*help, JsonPath(path, "help"), "text"));
    facts.help = TextFields(
        text, {"Vulnerability", "Severity", "Package", "Version", "Fix Version", "Fixed Version", "Type"});
    if (auto it = facts.help.find("Severity"); it != facts.help.end()) {
      help_severity = ParseSeverity(it->second);
      if (it->second.empty()) help_severity.reset();
      facts.help.erase(it);
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
          tag_severity = s;
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
      score_severity = SeverityFromScore(value);
    }
  }
  facts.severity = tag_severity ? tag_severity : help_severity ? help_severity : score_severity;
  return facts;
}

const std::string* Field(const std::map<std::string, std::string>& fields, const char* key) {
  auto it = fields.find(key);
  return it == fields.end() ? nullptr : &it->second;
}

// What a result says on its own, read as it streams by; the rule it points to is applied when the
// run is complete (SARIF does not order tool before results). The first problem found while
// reading it is kept with the stage it belongs to, so that errors come out in the order of a
// sequential read: the result's own shape, then its rule, then its message, then its id, then
// level and locations.
struct ResultFacts {
  enum Stage { kBeforeRule, kMessage, kAfterId };
  size_t index = 0;  // in runs[].results
  Status problem;
  Stage stage = kBeforeRule;
  std::string rule_id;
  std::optional<size_t> rule_index;
  std::map<std::string, std::string> message;  // the message.text fields results read
  std::string level;
  std::string uri;
};

// nullopt for a result whose kind is "pass" or "notApplicable": not a finding.
std::optional<ResultFacts> ReadResultFacts(const ReportJson& in, const json& result, const std::string& path,
                                           size_t index) {
  ResultFacts r;
  r.index = index;
  auto failed = [&r](const Status& problem, ResultFacts::Stage stage) {
    r.problem = problem;
    r.stage = stage;
    return r;
  };
  if (result.is_object()) {
    Result<std::string> kind = in.String(result, path, "kind");
    if (!kind.ok()) return failed(kind.status(), ResultFacts::kBeforeRule);
    if (*kind == "pass" || *kind == "notApplicable") return std::nullopt;
  }
  if (Status st = in.ExpectObject(result, path); !st.ok()) return failed(st, ResultFacts::kBeforeRule);
  Result<std::string> rule_id = in.String(result, path, "ruleId");
  if (!rule_id.ok()) return failed(rule_id.status(), ResultFacts::kBeforeRule);
  r.rule_id = std::move(rule_id).value();
  if (auto index_value = result.find("ruleIndex");
      index_value != result.end() && index_value->is_number_unsigned()) {
    r.rule_index = index_value->get<size_t>();
  }

  Result<const json*> msg = in.Object(result, path, "message");
  if (!msg.ok()) return failed(msg.status(), ResultFacts::kMessage);
  if (*msg) {
    Result<std::string> text = in.String(**msg, JsonPath(path, "message"), "text");
    if (!text.ok()) return failed(text.status(), ResultFacts::kMessage);
    r.message = TextFields(*text, {"Vulnerability", "Package", "Installed Version", "Fixed Version"});
  }

  Result<std::string> level = in.String(result, path, "level");
  if (!level.ok()) return failed(level.status(), ResultFacts::kAfterId);
  r.level = std::move(level).value();
  Result<const json*> locations = in.Array(result, path, "locations");
  if (!locations.ok()) return failed(locations.status(), ResultFacts::kAfterId);
  if (*locations && !(*locations)->empty() && (**locations)[0].is_object()) {
    const json& loc = (**locations)[0];
    auto phys = loc.find("physicalLocation");
    if (phys != loc.end() && phys->is_object()) {
      auto art = phys->find("artifactLocation");
      if (art != phys->end() && art->is_object()) {
        Result<std::string> uri =
            in.String(*art, JsonPath(path, "locations[0].physicalLocation.artifactLocation"), "uri");
        if (!uri.ok()) return failed(uri.status(), ResultFacts::kAfterId);
        r.uri = std::move(uri).value();
      }
    }
  }
  return r;
}

Result<Finding> ResolveResult(const ReportJson& in, const ResultFacts& r, const std::string& path,
                              const std::map<std::string, size_t>& rule_by_id,
                              const std::deque<RuleFacts>& rules) {
  if (!r.problem.ok() && r.stage == ResultFacts::kBeforeRule) return r.problem;
  std::string rule_id = r.rule_id;
  const RuleFacts* rule = nullptr;
  if (auto it = rule_by_id.find(rule_id); !rule_id.empty() && it != rule_by_id.end()) {
    rule = &rules[it->second];
  } else if (r.rule_index) {
    if (*r.rule_index >= rules.size()) {
      return in.Error(JsonPath(path, "ruleIndex"), "points past the end of tool.driver.rules");
    }
    rule = &rules[*r.rule_index];
  }
  static const RuleFacts kNoRule;
  if (!rule) rule = &kNoRule;
  if (rule_id.empty() && rule == &kNoRule) return in.Error(JsonPath(path, "ruleId"), "is missing");
  if (!r.problem.ok() && r.stage == ResultFacts::kMessage) return r.problem;

  if (rule_id.empty()) rule_id = rule->id;

  Finding f;
  const std::string* id = Field(rule->help, "Vulnerability");
  if (!id) id = Field(r.message, "Vulnerability");
  f.id = id && !id->empty() ? *id : rule_id;
  if (f.id.empty())
    return in.Error(JsonPath(path, "ruleId"), "is missing and the rule it points to has no id");
  if (!r.problem.ok()) return r.problem;

  std::string level = r.level.empty() ? rule->default_level : r.level;
  if (rule->severity) {
    f.severity = *rule->severity;
  } else if (auto s = SeverityFromLevel(level)) {
    f.severity = *s;
  }

  auto first_of = [&](const char* msg_key, const char* help_key) -> const std::string* {
    if (const std::string* v = Field(r.message, msg_key)) return v;
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
  f.target = r.uri;
  return f;
}

enum SarifPart { kSarifRule, kSarifTool, kSarifResult, kSarifRun };

// What the gate reads of a SARIF log: per run the driver's name, version and rules (id, help
// text, default level, tags, security-severity), Trivy's image properties and per result its
// rule, kind, level, message text and first location. Descriptions, markdown, fingerprints,
// regions and the rest are skipped unparsed.
const JsonShape& SarifShape() {
  using S = JsonShape;
  static const JsonShape kShape = S::Object({
      {"version", S::Value()},
      {"runs",
       S::Array(
           S::Object(
               {
                   {"tool",
                    S::Object(
                        {{"driver",
                          S::Object({
                              {"name", S::Value()},
                              {"version", S::Value()},
                              {"rules",
                               S::Array(
                                   S::Object({
                                                 {"id", S::Value()},
                                                 {"help", S::Object({{"text", S::Value()}})},
                                                 {"defaultConfiguration", S::Object({{"level", S::Value()}})},
                                                 {"properties", S::Object({
                                                                    {"tags", S::Array(S::Value())},
                                                                    {"security-severity", S::Value()},
                                                                })},
                                             })
                                       .Emit(kSarifRule))},
                          })}})
                        .Emit(kSarifTool)},
                   {"properties",
                    S::Object({{"imageName", S::Value()}, {"repoDigests", S::Array(S::Value())}})},
                   {"results",
                    S::Array(S::Object(
                                 {
                                     {"ruleId", S::Value()},
                                     {"ruleIndex", S::Value()},
                                     {"kind", S::Value()},
                                     {"level", S::Value()},
                                     {"message", S::Object({{"text", S::Value()}})},
                                     {"locations",
                                      S::Array(S::Object({{"physicalLocation",
                                                           S::Object({{"artifactLocation",
                                                                       S::Object({{"uri", S::Value()}})}})}}),
                                               1)},
                                 })
                                 .Emit(kSarifResult))},
               })
               .Emit(kSarifRun))},
  });
  return kShape;
}

// Reads the runs as they stream by: each rule into RuleFacts; each result into a finding as it
// comes once the run's tool (and so its rules) is complete, or kept as ResultFacts until the run
// ends when the results come first; at the end of each run, the run's checks in the order of a
// sequential read, then its findings. Only the first error counts.
class SarifRuns : public JsonSink {
 public:
  // How results are matched with rules. kAsTheyCome keeps only findings, but cannot follow a run
  // whose tool (or driver, or rules) is given twice with results in between; then needs_rereading()
  // is set and the log must be read again kAtRunEnd, which keeps every result until its run ends.
  enum Mode { kAsTheyCome, kAtRunEnd };

  SarifRuns(const ReportJson& in, ScanReport& report, Mode mode) : in_(in), report_(report), mode_(mode) {}

  bool needs_rereading() const { return needs_rereading_; }
  const Status& error() const { return error_; }

  void Emitted(int tag, const std::string& path, json value) override {
    if (!error_.ok()) return;
    switch (tag) {
      case kSarifRule:
        AddRule(value, path);
        return;
      case kSarifTool:
        tool_ = std::move(value);
        return;
      case kSarifResult:
        AddResult(value, path);
        return;
      case kSarifRun:
        error_ = FinishRun(value, path);
        ResetRun();
        return;
    }
  }

  void Repeated(const std::string& object_path, std::string_view key) override {
    // A document's value is its last: what the earlier member held no longer counts.
    if (object_path.empty() && key == "runs") {
      report_.findings.clear();
      report_.named_digests.clear();
      report_.scanner_version.clear();
      report_.artifact.clear();
      error_ = OkStatus();
      ResetRun();
    } else if (key == "tool" || key == "driver" || key == "rules") {
      // Results already matched with the earlier rules would have to be matched again.
      if (!findings_.empty() || !result_error_.ok()) needs_rereading_ = true;
      tool_.reset();
      rules_.clear();
      rule_by_id_.clear();
      rule_error_ = OkStatus();
    } else if (key == "results") {
      ResetResults();
    }
  }

 private:
  void ResetResults() {
    waiting_.clear();
    findings_.clear();
    result_error_ = OkStatus();
    next_result_ = 0;
  }
  void ResetRun() {
    tool_.reset();
    rules_.clear();
    rule_by_id_.clear();
    rule_error_ = OkStatus();
    ResetResults();
  }

  void AddRule(const json& value, const std::string& path) {
    if (!rule_error_.ok()) return;
    Result<RuleFacts> facts = ReadRule(in_, value, path);
    if (!facts.ok()) {
      rule_error_ = facts.status();
      return;
    }
    Result<std::string> id = in_.String(value, path, "id");
    if (!id.ok()) {
      rule_error_ = id.status();
      return;
    }
    facts->id = std::move(id).value();
    rule_by_id_.emplace(facts->id, rules_.size());
    rules_.push_back(std::move(facts).value());
  }

  void AddResult(const json& value, const std::string& path) {
    // After a result that fails, the run fails on it (or on something before it).
    if (!result_error_.ok() || (!waiting_.empty() && !waiting_.back().problem.ok())) return;
    const size_t index = next_result_++;
    std::optional<ResultFacts> facts = ReadResultFacts(in_, value, path, index);
    if (!facts) return;
    if (mode_ == kAtRunEnd || !tool_) {
      waiting_.push_back(std::move(*facts));
      return;
    }
    Result<Finding> f = ResolveResult(in_, *facts, path, rule_by_id_, rules_);
    if (f.ok()) {
      findings_.push_back(std::move(f).value());
    } else {
      result_error_ = f.status();
    }
  }

  // The checks of the run in the order a sequential read makes them, then its findings.
  Status FinishRun(const json& run, const std::string& path) {
    PROMOTE_RETURN_IF_ERROR(in_.ExpectObject(run, path));
    // The tool was emitted, not kept in `run`; read it as ReportJson::Object would.
    const std::string tpath = JsonPath(path, "tool");
    const json* tool = tool_ && !tool_->is_null() ? &*tool_ : nullptr;
    if (tool && !tool->is_object()) {
      return in_.Error(tpath, std::string("must be an object, found ") + tool->type_name());
    }
    const json* driver = nullptr;
    if (tool) {
      PROMOTE_ASSIGN_OR_RETURN(driver, in_.Object(*tool, tpath, "driver"));
    }
    if (driver) {
      const std::string dpath = JsonPath(tpath, "driver");
      PROMOTE_ASSIGN_OR_RETURN(std::string name, in_.String(*driver, dpath, "name"));
      PROMOTE_ASSIGN_OR_RETURN(std::string version, in_.String(*driver, dpath, "version"));
      if (report_.scanner_version.empty()) {
        report_.scanner_version = name;
        if (!version.empty()) report_.scanner_version += (name.empty() ? "" : " ") + version;
      }
      PROMOTE_ASSIGN_OR_RETURN(const json* rule_list, in_.Array(*driver, dpath, "rules"));
      (void)rule_list;  // its elements were emitted
      PROMOTE_RETURN_IF_ERROR(rule_error_);
    }
    PROMOTE_ASSIGN_OR_RETURN(const json* props, in_.Object(run, path, "properties"));
    if (props) {
      // Trivy's SARIF names the image here: {imageName, repoDigests, repoTags}.
      const std::string ppath = JsonPath(path, "properties");
      PROMOTE_ASSIGN_OR_RETURN(std::string image_name, in_.String(*props, ppath, "imageName"));
      if (report_.artifact.empty()) report_.artifact = image_name;
      AddNamedDigest(image_name, &report_.named_digests);
      PROMOTE_ASSIGN_OR_RETURN(const json* repo_digests, in_.Array(*props, ppath, "repoDigests"));
      if (repo_digests) {
        for (size_t i = 0; i < repo_digests->size(); ++i) {
          const json& d = (*repo_digests)[i];
          if (!d.is_string()) {
            return in_.Error(JsonPath(JsonPath(ppath, "repoDigests"), i),
                             std::string("must be a string, found ") + d.type_name());
          }
          AddNamedDigest(d.get<std::string>(), &report_.named_digests);
        }
      }
    }
    PROMOTE_ASSIGN_OR_RETURN(const json* result_list, in_.Array(run, path, "results"));
    (void)result_list;  // its elements were emitted
    // Results that came before the rules, then those matched as they came (all later ones).
    for (const ResultFacts& r : waiting_) {
      PROMOTE_ASSIGN_OR_RETURN(Finding f, ResolveResult(in_, r, JsonPath(JsonPath(path, "results"), r.index),
                                                        rule_by_id_, rules_));
      report_.findings.push_back(std::move(f));
    }
    PROMOTE_RETURN_IF_ERROR(result_error_);
    if (report_.findings.empty()) {
      report_.findings = std::move(findings_);
    } else {
      report_.findings.insert(report_.findings.end(), std::make_move_iterator(findings_.begin()),
                              std::make_move_iterator(findings_.end()));
    }
    return OkStatus();
  }

  const ReportJson& in_;
  ScanReport& report_;
  const Mode mode_;
  bool needs_rereading_ = false;
  Status error_;  // the first error in runs
  // The run being read.
  std::optional<json> tool_;     // once complete: its driver's name and version (rules are emitted)
  std::deque<RuleFacts> rules_;  // a deque: no spare capacity, no copy when it grows
  std::map<std::string, size_t> rule_by_id_;
  Status rule_error_;                 // the first error among its rules
  std::vector<ResultFacts> waiting_;  // results read before the tool was complete
  std::vector<Finding> findings_;     // results matched as they came
  Status result_error_;               // the first error among those
  size_t next_result_ = 0;
};

// The checks of the top level, after the runs' own, in the order of a sequential read.
Result<ScanReport> FinishSarif(const ReportJson& in, const json& doc, const SarifRuns& runs,
                               ScanReport report) {
  PROMOTE_ASSIGN_OR_RETURN(std::string version, in.String(doc, "", "version"));
  if (version != "2.1.0") {
    return in.Error("version", version.empty() ? "is missing; only SARIF 2.1.0 is read"
                                               : "is \"" + version + "\"; only SARIF 2.1.0 is read");
  }
  PROMOTE_ASSIGN_OR_RETURN(const json* run_list, in.Array(doc, "", "runs"));
  (void)run_list;  // its elements were emitted
  PROMOTE_RETURN_IF_ERROR(runs.error());
  return report;
}

}  // namespace

Result<ScanReport> ReadSarif(std::string_view bytes) {
  ReportJson in("sarif report", "expected SARIF 2.1.0 (trivy --format sarif, grype -o sarif)");
  ScanReport report;
  report.scanner = "sarif";
  SarifRuns runs(in, report, SarifRuns::kAsTheyCome);
  PROMOTE_ASSIGN_OR_RETURN(json doc, in.Parse(bytes, SarifShape(), runs));
  if (runs.needs_rereading()) {
    // A run gives its tool twice, with results in between: match every result with the last.
    report = ScanReport();
    report.scanner = "sarif";
    SarifRuns again(in, report, SarifRuns::kAtRunEnd);
    PROMOTE_ASSIGN_OR_RETURN(doc, in.Parse(bytes, SarifShape(), again));
    return FinishSarif(in, doc, again, std::move(report));
  }
  return FinishSarif(in, doc, runs, std::move(report));
}

Result<ScanReport> ParseSarif(std::string_view bytes) {
  PROMOTE_ASSIGN_OR_RETURN(ScanReport report, ReadSarif(bytes));
  report.raw = std::string(bytes);
  return report;
}

}  // namespace promote::scan
