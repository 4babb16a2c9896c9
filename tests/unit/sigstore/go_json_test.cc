#include "sigstore/go_json.h"

#include <doctest/doctest.h>

namespace promote::sigstore {
namespace {

TEST_CASE("strings are escaped exactly as Go's encoding/json escapes them") {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"", R"("")"},
      {"plain text 123", R"("plain text 123")"},
      {"a<b>c&d", R"("a\u003cb\u003ec\u0026d")"},
      {"quote\" back\\slash /", R"("quote\" back\\slash /")"},
      {"\n\r\t\b\f", R"("\n\r\t\b\f")"},
      {std::string("\x00\x01\x1f", 3), R"("\u0000\u0001\u001f")"},
      {"\x7f", "\"\x7f\""},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
      {"line\xe2\x80\xa8sep\xe2\x80\xa9", R"("line\u2028sep\u2029")"},
      {"bad\xff", R"("bad\ufffd")"},
      {"\xc0\xaf", R"("\ufffd\ufffd")"},            // overlong '/'
      {"\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},  // UTF-16 surrogate
      {"\xe2\x82", R"("\ufffd\ufffd")"},            // truncated sequence
  };
  for (const Case& c : cases) {
    CAPTURE(c.out);
    CHECK(GoJsonString(c.in) == c.out);
  }
}

TEST_CASE("values are encoded compactly with sorted keys") {
  const nlohmann::json value = nlohmann::json::parse(R"({"z":1,"a":[true,null,"<x>"],"m":{"b":-2,"a":"&"}})");
  CHECK(GoJsonEncode(value) == R"({"a":[true,null,"\u003cx\u003e"],"m":{"a":"\u0026","b":-2},"z":1})");
  CHECK(GoJsonEncode(nlohmann::json::object()) == "{}");
  CHECK(GoJsonEncode(nlohmann::json()) == "null");
}

}  // namespace
}  // namespace promote::sigstore
