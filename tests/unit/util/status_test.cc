#include "util/status.h"

#include <doctest/doctest.h>

using namespace promote;

namespace {
Result<int> Half(int v) {
  if (v % 2) return InvalidArgument("odd value " + std::to_string(v));
  return v / 2;
}
Result<int> Quarter(int v) {
  PROMOTE_ASSIGN_OR_RETURN(int h, Half(v));
  return Half(h);
}
}  // namespace

TEST_CASE("exit codes follow DESIGN.md") {
  CHECK(ExitCodeFor(Code::kOk) == 0);
  CHECK(ExitCodeFor(Code::kInvalidArgument) == 2);
  CHECK(ExitCodeFor(Code::kGateRefused) == 3);
  CHECK(ExitCodeFor(Code::kConflict) == 3);
  CHECK(ExitCodeFor(Code::kUnavailable) == 4);
  CHECK(ExitCodeFor(Code::kDataLoss) == 4);
  CHECK(ExitCodeFor(Code::kInternal) == 5);
}

TEST_CASE("Result propagates the first error with context") {
  CHECK(Quarter(8).value() == 2);
  auto r = Quarter(6);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(r.status().message() == "odd value 3");
  CHECK(r.status().WithContext("quartering").ToString() == "invalid_argument: quartering: odd value 3");
}
