#include "registry/www_authenticate.h"

#include <cctype>

namespace promote::registry {
namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string LowerAscii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}
  void SkipSpaces() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void SkipSeparators() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  bool Done() const { return i_ >= s_.size(); }
  std::string Token() {
    size_t b = i_;
    while (i_ < s_.size() && IsTokenChar(s_[i_])) ++i_;
    return std::string(s_.substr(b, i_ - b));
  }
  bool Peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void Skip() { ++i_; }
  size_t pos() const { return i_; }
  void set_pos(size_t p) { i_ = p; }
  // Quoted string with backslash escapes; false if unterminated.
  bool Quoted(std::string* out) {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        c = s_[i_++];
      }
      out->push_back(c);
    }
    return false;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

Result<std::vector<Challenge>> ParseWwwAuthenticate(std::string_view header) {
  auto bad = [&](const std::string& why) {
    std::string shown(header.substr(0, 200));
    return InvalidArgument("WWW-Authenticate header '" + shown + "': " + why);
  };
  if (header.size() > 8192) return bad("longer than 8 KiB");
  for (char c : header) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return bad("contains control characters");
  }
  std::vector<Challenge> out;
  Parser p(header);
  p.SkipSeparators();
  while (!p.Done()) {
    std::string scheme = p.Token();
    if (scheme.empty()) return bad("expected an authentication scheme");
    Challenge ch;
    ch.scheme = LowerAscii(scheme);
    p.SkipSpaces();
    // auth-params: name=value pairs separated by commas, until the next scheme starts.
    while (!p.Done()) {
      p.SkipSeparators();
      size_t start = p.pos();
      std::string name = p.Token();
      if (name.empty()) {
        if (p.Done()) break;
        return bad("unexpected character");
      }
      p.SkipSpaces();
      if (!p.Peek('=')) {
        // Not a parameter: the start of the next challenge.
        p.set_pos(start);
        break;
      }
      p.Skip();
      p.SkipSpaces();
      std::string value;
      if (p.Peek('"')) {
        if (!p.Quoted(&value)) return bad("unterminated quoted string");
      } else {
        value = p.Token();
        // token68 values may end in '=' padding.
        while (p.Peek('=')) {
          value.push_back('=');
          p.Skip();
        }
      }
      ch.params[LowerAscii(name)] = value;
      p.SkipSpaces();
      if (!p.Done() && !p.Peek(',')) return bad("expected ',' between parameters");
    }
    out.push_back(std::move(ch));
    p.SkipSeparators();
  }
  if (out.empty()) return bad("no challenge");
  return out;
}

}  // namespace promote::registry
