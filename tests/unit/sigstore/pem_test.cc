#include "sigstore/pem.h"

#include <doctest/doctest.h>

namespace promote::sigstore {
namespace {

std::string Repeat(const std::string& s, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += s;
  return out;
}

TEST_CASE("PEM encoding wraps at 64 columns and ends with a newline") {
  struct Case {
    std::string bytes;
    std::string pem;
  };
  const Case cases[] = {
      {"", "-----BEGIN X-----\n-----END X-----\n"},
      {"hi", "-----BEGIN X-----\naGk=\n-----END X-----\n"},
      // 48 bytes make exactly one full 64-column line; 49 bytes spill onto a second line.
      {std::string(48, 'a'), "-----BEGIN X-----\n" + Repeat("YWFh", 16) + "\n-----END X-----\n"},
      {std::string(49, 'a'), "-----BEGIN X-----\n" + Repeat("YWFh", 16) + "\nYQ==\n-----END X-----\n"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.bytes.size());
    CHECK(EncodePem("X", c.bytes) == c.pem);
    auto back = DecodePem(c.pem, "round trip");
    REQUIRE(back.ok());
    CHECK(back->label == "X");
    CHECK(back->bytes == c.bytes);
  }
}

TEST_CASE("PEM decoding tolerates surrounding whitespace only") {
  const std::string block = EncodePem("PUBLIC KEY", "key bytes");
  CHECK(DecodePem("\n\n  " + block + "\n\n", "padded").ok());
  auto with_text = DecodePem(block + "trailing text\n", "x.pem");
  REQUIRE_FALSE(with_text.ok());
  CHECK(with_text.status().message() ==
        "x.pem: unexpected data after the PEM block; expected exactly one block");
  auto leading = DecodePem("comment\n" + block, "x.pem");
  REQUIRE_FALSE(leading.ok());
  CHECK(leading.status().message().find("not a PEM file") != std::string::npos);
  CHECK_FALSE(DecodePem("-----BEGIN -----\n-----END -----\n", "empty label").ok());
}

}  // namespace
}  // namespace promote::sigstore
