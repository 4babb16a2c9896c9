// Internal to the report parsers: read untrusted report bytes as JSON with a size bound and in
// bounded memory, and read optional, typed members so that every error names the report and the
// JSON path that failed. Absent and null members read as empty, because Go's encoder omits or
// nulls empty fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace promote::scan {

// Reports larger than this are refused before parsing: a real vulnerability report with
// --list-all-pkgs=false is well under a few MiB, and the bound keeps a hostile file from
// exhausting memory.
inline constexpr size_t kMaxReportBytes = 64u << 20;

// What of a JSON value a parser reads, so that nothing else is ever built in memory. A value at a
// position the shape does not name is skipped (still checked to be valid JSON).
//   Value():  a scalar, kept as is. An object or array there is kept empty: its type is still
//             there for "must be a string, found object", its content is not.
//   Object({{"key", shape}, …}):  an object keeping only the named members; any other type is
//             kept as Value() keeps it.
//   Array(element, max):  an array keeping its first `max` elements, each as `element`.
//   Whole():  the value and everything in it, up to kMaxWholeValues values per document (more is
//             dropped); for the few values that error messages print in full.
//   .Emit(tag):  instead of being kept in its parent, each completed value at this position is
//             handed to JsonSink::Emitted and then freed. Parsers emit each finding (a Trivy
//             vulnerability, a Grype match, a SARIF result), so a report is never held parsed.
class JsonShape {
 public:
  enum class Kind { kValue, kObject, kArray, kWhole };
  static constexpr int kKept = -1;  // the tag of a shape that is not emitted
  static constexpr size_t kMaxWholeValues = 1024;

  static JsonShape Value() { return JsonShape(Kind::kValue); }
  static JsonShape Whole() { return JsonShape(Kind::kWhole); }
  static JsonShape Object(std::vector<std::pair<std::string, JsonShape>> members);
  static JsonShape Array(JsonShape element, size_t max_elements = SIZE_MAX);
  JsonShape Emit(int tag) &&;

  Kind kind() const { return kind_; }
  int tag() const { return tag_; }
  // kObject: the index of `key` among the members, or -1.
  int MemberIndex(std::string_view key) const;
  const JsonShape& Member(int index) const { return members_[static_cast<size_t>(index)].second; }
  // kArray: the element shape for element `index`, or nullptr when it is past max_elements.
  const JsonShape* Element(size_t index) const;

 private:
  explicit JsonShape(Kind kind) : kind_(kind) {}
  Kind kind_;
  int tag_ = kKept;
  size_t max_elements_ = 0;
  std::vector<std::pair<std::string, JsonShape>> members_;  // kObject (at most 64)
  std::vector<JsonShape> element_;                          // kArray: one
};

// Receives what a JsonShape emits, in document order: a value inside an emitted value is emitted
// before it.
class JsonSink {
 public:
  virtual ~JsonSink() = default;
  // `path` is the value's JSON path ("Results[3].Vulnerabilities[0]").
  virtual void Emitted(int tag, const std::string& path, nlohmann::json value) = 0;
  // A member the shape names appears a second time in the object at `object_path` ("" for the
  // top level). A JSON document's value is its last: the sink drops what it took from the first
  // (the kept part of the document is replaced as a DOM parser would).
  virtual void Repeated(const std::string& object_path, std::string_view key) = 0;
};

class ReportJson {
 public:
  // `source` names the input in errors ("trivy-json report"); `hint` says what to do ("write it
  // with trivy --format json").
  ReportJson(std::string source, std::string hint) : source_(std::move(source)), hint_(std::move(hint)) {}

  // Parses `bytes` (at most kMaxReportBytes, nesting at most kMaxJsonNesting levels) in one pass,
  // keeping what `shape` names and handing emitted values to `sink` as they complete. Returns the
  // kept document, whose top level must be an object. On an error the sink may have received
  // values already; the caller discards them.
  Result<nlohmann::json> Parse(std::string_view bytes, const JsonShape& shape, JsonSink& sink) const;

  // Members of `object` (already known to be an object) at `path` ("Results[0]").
  // Absent or null → empty; a value of another type is an InvalidArgument naming path.key.
  Result<std::string> String(const nlohmann::json& object, std::string_view path, const char* key) const;
  Result<const nlohmann::json*> Array(const nlohmann::json& object, std::string_view path,
                                      const char* key) const;  // nullptr when absent
  Result<const nlohmann::json*> Object(const nlohmann::json& object, std::string_view path,
                                       const char* key) const;  // nullptr when absent

  // An element of an array that must be an object.
  Status ExpectObject(const nlohmann::json& value, std::string_view path) const;

  Status Error(std::string_view path, std::string_view problem) const;

 private:
  std::string source_;
  std::string hint_;
};

// "Results" + 3 → "Results[3]"; "Results[3]" + "Vulnerabilities" → "Results[3].Vulnerabilities".
std::string JsonPath(std::string_view parent, std::string_view key);
std::string JsonPath(std::string_view parent, size_t index);

}  // namespace promote::scan
