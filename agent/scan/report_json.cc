#include "scan/report_json.h"

#include "util/json_nesting.h"

namespace promote::scan {

using nlohmann::json;

namespace {
const char* TypeName(const json& v) { return v.type_name(); }
}  // namespace

std::string JsonPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::string JsonPath(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

Status ReportJson::Error(std::string_view path, std::string_view problem) const {
  std::string m = source_;
  if (!path.empty()) m += ": " + std::string(path);
  m += ": " + std::string(problem);
  if (!hint_.empty()) m += "; " + hint_;
  return InvalidArgument(std::move(m));
}

Result<json> ReportJson::Parse(std::string_view bytes) const {
  if (bytes.size() > kMaxReportBytes) {
    return Error("", "is " + std::to_string(bytes.size()) + " bytes, more than the " +
                         std::to_string(kMaxReportBytes >> 20) +
                         " MiB limit; scan with fewer outputs (e.g. trivy --list-all-pkgs=false)");
  }
  if (bytes.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Error("", "is empty");
  }
  if (JsonNestingExceeds(bytes)) {
    return Error("", "nests arrays and objects deeper than " + std::to_string(kMaxJsonNesting) + " levels");
  }
  json doc;
  try {
    doc = json::parse(bytes.begin(), bytes.end());
  } catch (const json::parse_error& e) {
    return Error("", std::string("is not valid JSON (") + e.what() + ")");
  } catch (const std::exception& e) {
    return Error("", std::string("could not be parsed (") + e.what() + ")");
  }
  if (!doc.is_object()) {
    return Error("", std::string("top level must be a JSON object, found ") + TypeName(doc));
  }
  return doc;
}

Result<std::string> ReportJson::String(const json& object, std::string_view path, const char* key) const {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return Error(JsonPath(path, key), std::string("must be a string, found ") + TypeName(*it));
  }
  return it->get<std::string>();
}

Result<const json*> ReportJson::Array(const json& object, std::string_view path, const char* key) const {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return static_cast<const json*>(nullptr);
  if (!it->is_array()) {
    return Error(JsonPath(path, key), std::string("must be an array, found ") + TypeName(*it));
  }
  return &*it;
}

Result<const json*> ReportJson::Object(const json& object, std::string_view path, const char* key) const {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return static_cast<const json*>(nullptr);
  if (!it->is_object()) {
    return Error(JsonPath(path, key), std::string("must be an object, found ") + TypeName(*it));
  }
  return &*it;
}

Status ReportJson::ExpectObject(const json& value, std::string_view path) const {
  if (value.is_object()) return OkStatus();
  return Error(path, std::string("must be an object, found ") + TypeName(value));
}

}  // namespace promote::scan
