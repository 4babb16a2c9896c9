#include "util/strict_json.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/json_nesting.h"

namespace promote {
namespace {

using json = nlohmann::json;

// SAX pass that only looks for a key repeated within one object.
class DuplicateKeyFinder : public nlohmann::json_sax<json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return true;
  }
  bool key(string_t& val) override {
    if (!keys_.back().insert(val).second) {
      duplicate_ = val;
      return false;
    }
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    error_ = ex.what();
    return false;
  }

  const std::optional<std::string>& duplicate() const { return duplicate_; }
  const std::string& error() const { return error_; }

 private:
  std::vector<std::set<std::string>> keys_;
  std::optional<std::string> duplicate_;
  std::string error_;
};

// nlohmann's messages start with "[json.exception.parse_error.101] "; the rest is what matters.
std::string CleanParseMessage(const std::string& message) {
  size_t close = message.find("] ");
  return close == std::string::npos ? message : message.substr(close + 2);
}

}  // namespace

Result<json> ParseStrictJson(std::string_view text, std::string_view what) {
  if (JsonNestingExceeds(text)) {
    return InvalidArgument(std::string(what) + ": JSON nested deeper than " + std::to_string(kMaxJsonNesting) +
                           " levels");
  }
  DuplicateKeyFinder finder;
  const bool ok = json::sax_parse(text.begin(), text.end(), &finder);
  if (finder.duplicate()) {
    return InvalidArgument(std::string(what) + ": duplicate JSON key \"" + *finder.duplicate() + "\"");
  }
  if (!ok) {
    return InvalidArgument(std::string(what) + ": malformed JSON: " + CleanParseMessage(finder.error()));
  }
  json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return InvalidArgument(std::string(what) + ": malformed JSON");
  }
  return value;
}

Status RequireExactKeys(const json& object, std::initializer_list<std::string_view> keys,
                        std::string_view what) {
  if (!object.is_object()) {
    return InvalidArgument(std::string(what) + ": must be a JSON object");
  }
  for (std::string_view key : keys) {
    if (!object.contains(key)) {
      return InvalidArgument(std::string(what) + ": missing field \"" + std::string(key) + "\"");
    }
  }
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view k : keys) known = known || k == key;
    if (!known) {
      return InvalidArgument(std::string(what) + ": unknown field \"" + key + "\"");
    }
  }
  return OkStatus();
}

}  // namespace promote
