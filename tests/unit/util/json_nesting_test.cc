#include "util/json_nesting.h"

#include <doctest/doctest.h>

#include <string>

using promote::JsonNestingExceeds;

TEST_CASE("JSON nesting: arrays and objects count, brackets in strings do not") {
  CHECK_FALSE(JsonNestingExceeds("", 0));
  CHECK_FALSE(JsonNestingExceeds("\"[[[\"", 0));
  CHECK_FALSE(JsonNestingExceeds(R"({"a":[1,{"b":"\"[{"}]})", 3));
  CHECK(JsonNestingExceeds(R"({"a":[1,{"b":"\"[{"}]})", 2));
  CHECK_FALSE(JsonNestingExceeds("[][][][]", 1));
  CHECK(JsonNestingExceeds("[[]]", 1));
  // Unbalanced closers do not hide a deep opening run.
  CHECK(JsonNestingExceeds("]]]][[[", 2));
}

TEST_CASE("JSON nesting: the default bound refuses a megabyte of '['") {
  const std::string deep(1 << 20, '[');
  CHECK(JsonNestingExceeds(deep));
  const std::string at_limit = std::string(promote::kMaxJsonNesting, '[') + std::string(promote::kMaxJsonNesting, ']');
  CHECK_FALSE(JsonNestingExceeds(at_limit));
  CHECK(JsonNestingExceeds("[" + at_limit + "]"));
}
