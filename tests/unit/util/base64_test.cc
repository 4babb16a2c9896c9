#include "util/base64.h"

#include <doctest/doctest.h>

using promote::Base64Decode;
using promote::Base64Encode;
using promote::Base64UrlDecode;
using promote::Base64UrlEncode;

TEST_CASE("base64 encodes RFC 4648 vectors") {
  struct Case { const char* in; const char* std; const char* url; };
  const Case cases[] = {
      {"", "", ""},
      {"f", "Zg==", "Zg"},
      {"fo", "Zm8=", "Zm8"},
      {"foo", "Zm9v", "Zm9v"},
      {"foob", "Zm9vYg==", "Zm9vYg"},
      {"fooba", "Zm9vYmE=", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
      {"\xfb\xff", "+/8=", "-_8"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    CHECK(Base64Encode(c.in) == c.std);
    CHECK(Base64UrlEncode(c.in) == c.url);
    CHECK(Base64Decode(c.std).value() == c.in);
    CHECK(Base64UrlDecode(c.url).value() == c.in);
  }
}

TEST_CASE("base64 decoding is strict") {
  const char* bad[] = {"Zg", "Zg=", "Z===", "Zm9v!", "Zm 9v", "Zh==", "-_8=", "A"};
  for (const char* b : bad) {
    CAPTURE(b);
    CHECK_FALSE(Base64Decode(b).has_value());
  }
  CHECK_FALSE(Base64UrlDecode("+/8").has_value());
  CHECK(Base64UrlDecode("Zg==").value() == "f");
}
