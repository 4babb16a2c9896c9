#include "scan/report_json.h"

#include <deque>

#include "util/json_nesting.h"

namespace promote::scan {

using nlohmann::json;

namespace {

const char* TypeName(const json& v) { return v.type_name(); }

// Builds the part of a document a JsonShape names, one SAX event at a time, and hands emitted
// values to the sink as they complete. Memory: the kept document, the emitted value being built
// and one frame per open kept container; skipped values cost a depth counter.
class ShapedBuilder {
 public:
  ShapedBuilder(const JsonShape& root, JsonSink& sink) : root_(root), sink_(sink) {}

  json TakeDocument() { return std::move(document_); }
  // Why the parse stopped: a syntax error (is_syntax_error) or another problem, such as a number
  // too large for a double.
  const std::string& error() const { return error_; }
  bool is_syntax_error() const { return syntax_error_; }

  // The nlohmann::json SAX interface.
  bool null() { return Scalar(json(nullptr)); }
  bool boolean(bool value) { return Scalar(json(value)); }
  bool number_integer(json::number_integer_t value) { return Scalar(json(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return Scalar(json(value)); }
  bool number_float(json::number_float_t value, const json::string_t& /*text*/) {
    return Scalar(json(value));
  }
  bool string(json::string_t& value) { return Scalar(json(std::move(value))); }
  bool binary(json::binary_t& value) { return Scalar(json(std::move(value))); }
  bool start_object(size_t /*elements*/) { return Open(json::value_t::object); }
  bool start_array(size_t /*elements*/) { return Open(json::value_t::array); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(json::string_t& key);
  bool parse_error(size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& e) {
    error_ = e.what();
    syntax_error_ = dynamic_cast<const json::parse_error*>(&e) != nullptr;
    return false;
  }

 private:
  struct Frame {
    const JsonShape* shape = nullptr;  // kObject, kArray or kWhole
    json* node = nullptr;              // the container being filled
    std::string path;
    bool is_array = false;
    bool emitted = false;             // node is emitted_.back(), handed over when it closes
    size_t next_index = 0;            // arrays: the index of the next element
    uint64_t seen = 0;                // objects: the shape's members met so far
    const JsonShape* next = nullptr;  // objects: the shape of the value after the last key
    std::string key;                  // objects: the last key, when `next` is set
  };

  // The shape of the value that starts now (nullptr: skip it), advancing the parent array.
  const JsonShape* Next();
  // The JSON path of the value that starts now.
  std::string ChildPath() const;
  // Puts a value that is complete (a scalar, or a container kept empty) where it belongs.
  void Put(const JsonShape& shape, json value);
  // Stores `value` in the parent (or as the document) and returns where it is.
  json* Attach(json value);
  bool Scalar(json value);
  bool Open(json::value_t type);
  bool Close();

  const JsonShape& root_;
  JsonSink& sink_;
  json document_;
  std::vector<Frame> frames_;
  std::deque<json> emitted_;  // emitted values being built, innermost last (references stay valid)
  size_t skip_depth_ = 0;     // > 0 inside a skipped container
  size_t whole_values_ = 0;   // values kept under JsonShape::Whole() so far
  bool root_seen_ = false;
  std::string error_;
  bool syntax_error_ = false;
};

const JsonShape& WholeChild() {
  static const JsonShape kWhole = JsonShape::Whole();
  return kWhole;
}

const JsonShape* ShapedBuilder::Next() {
  const JsonShape* shape = nullptr;
  if (frames_.empty()) {
    if (!root_seen_) shape = &root_;
    root_seen_ = true;
  } else if (Frame& f = frames_.back(); f.is_array) {
    const size_t index = f.next_index++;
    shape = f.shape->kind() == JsonShape::Kind::kWhole ? &WholeChild() : f.shape->Element(index);
  } else {
    shape = f.next;
  }
  if (shape != nullptr && shape->kind() == JsonShape::Kind::kWhole) {
    if (whole_values_ >= JsonShape::kMaxWholeValues) return nullptr;
    ++whole_values_;
  }
  return shape;
}

std::string ShapedBuilder::ChildPath() const {
  if (frames_.empty()) return "";
  const Frame& f = frames_.back();
  return f.is_array ? JsonPath(f.path, f.next_index - 1) : JsonPath(f.path, f.key);
}

json* ShapedBuilder::Attach(json value) {
  if (frames_.empty()) {
    document_ = std::move(value);
    return &document_;
  }
  Frame& f = frames_.back();
  if (f.is_array) {
    f.node->push_back(std::move(value));
    return &f.node->back();
  }
  json& slot = (*f.node)[f.key];
  slot = std::move(value);
  return &slot;
}

void ShapedBuilder::Put(const JsonShape& shape, json value) {
  if (shape.tag() != JsonShape::kKept) {
    sink_.Emitted(shape.tag(), ChildPath(), std::move(value));
  } else {
    Attach(std::move(value));
  }
}

bool ShapedBuilder::Scalar(json value) {
  if (skip_depth_ > 0) return true;
  if (const JsonShape* shape = Next()) Put(*shape, std::move(value));
  return true;
}

bool ShapedBuilder::Open(json::value_t type) {
  if (skip_depth_ > 0) {
    ++skip_depth_;
    return true;
  }
  const JsonShape* shape = Next();
  if (shape == nullptr) {
    skip_depth_ = 1;
    return true;
  }
  const bool is_array = type == json::value_t::array;
  const JsonShape::Kind kind = shape->kind();
  if (kind != JsonShape::Kind::kWhole &&
      kind != (is_array ? JsonShape::Kind::kArray : JsonShape::Kind::kObject)) {
    // Not what the shape reads: keep its type (for the error message), skip its content.
    Put(*shape, json(type));
    skip_depth_ = 1;
    return true;
  }
  const bool emitted = shape->tag() != JsonShape::kKept;
  std::string path = ChildPath();
  json* node = emitted ? &emitted_.emplace_back(type) : Attach(json(type));
  Frame frame;
  frame.shape = shape;
  frame.node = node;
  frame.path = std::move(path);
  frame.is_array = is_array;
  frame.emitted = emitted;
  frames_.push_back(std::move(frame));
  return true;
}

bool ShapedBuilder::Close() {
  if (skip_depth_ > 0) {
    --skip_depth_;
    return true;
  }
  Frame f = std::move(frames_.back());
  frames_.pop_back();
  if (f.emitted) {
    json value = std::move(emitted_.back());
    emitted_.pop_back();
    sink_.Emitted(f.shape->tag(), f.path, std::move(value));
  }
  return true;
}

bool ShapedBuilder::key(json::string_t& key) {
  if (skip_depth_ > 0) return true;
  Frame& f = frames_.back();
  if (f.shape->kind() == JsonShape::Kind::kWhole) {
    f.next = &WholeChild();
    f.key = std::move(key);
    return true;
  }
  const int index = f.shape->MemberIndex(key);
  if (index < 0) {
    f.next = nullptr;
    return true;
  }
  const uint64_t bit = uint64_t{1} << index;
  if ((f.seen & bit) != 0) sink_.Repeated(f.path, key);
  f.seen |= bit;
  f.next = &f.shape->Member(index);
  f.key = std::move(key);
  return true;
}

}  // namespace

JsonShape JsonShape::Object(std::vector<std::pair<std::string, JsonShape>> members) {
  JsonShape shape(Kind::kObject);
  shape.members_ = std::move(members);
  return shape;
}

JsonShape JsonShape::Array(JsonShape element, size_t max_elements) {
  JsonShape shape(Kind::kArray);
  shape.element_.push_back(std::move(element));
  shape.max_elements_ = max_elements;
  return shape;
}

JsonShape JsonShape::Emit(int tag) && {
  tag_ = tag;
  return std::move(*this);
}

int JsonShape::MemberIndex(std::string_view key) const {
  for (size_t i = 0; i < members_.size() && i < 64; ++i) {
    if (members_[i].first == key) return static_cast<int>(i);
  }
  return -1;
}

const JsonShape* JsonShape::Element(size_t index) const {
  return index < max_elements_ && !element_.empty() ? &element_.front() : nullptr;
}

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

Result<json> ReportJson::Parse(std::string_view bytes, const JsonShape& shape, JsonSink& sink) const {
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
  ShapedBuilder builder(shape, sink);
  bool parsed = false;
  try {
    parsed = json::sax_parse(bytes.data(), bytes.data() + bytes.size(), &builder);
  } catch (const std::exception& e) {
    return Error("", std::string("could not be parsed (") + e.what() + ")");
  }
  if (!parsed) {
    // The words a whole-document parse used: its syntax errors and its other exceptions.
    if (builder.is_syntax_error()) return Error("", "is not valid JSON (" + builder.error() + ")");
    return Error("", "could not be parsed (" + builder.error() + ")");
  }
  json doc = builder.TakeDocument();
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
