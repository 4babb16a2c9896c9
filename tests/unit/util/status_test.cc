#include "util/status.h"

#include <doctest/doctest.h>

#include <string>

#include "util/error_category.h"
#include "util/one_line.h"

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

TEST_CASE("error categories agree with the exit codes, and every code has one") {
  struct Case {
    Code code;
    const char* category;
  };
  const Case cases[] = {
      {Code::kInvalidArgument, "bad_input"}, {Code::kGateRefused, "gate_refused"},
      {Code::kConflict, "gate_refused"},     {Code::kUnauthenticated, "auth"},
      {Code::kPermissionDenied, "auth"},     {Code::kNotFound, "registry"},
      {Code::kUnavailable, "registry"},      {Code::kRegistryError, "registry"},
      {Code::kDataLoss, "registry"},         {Code::kDeadlineExceeded, "registry"},
      {Code::kCancelled, "cancelled"},       {Code::kInternal, "internal"},
  };
  for (const Case& c : cases) {
    CAPTURE(CodeName(c.code));
    CHECK(std::string(CategoryName(c.code)) == c.category);
    const int exit_code = ExitCodeFor(c.code);
    const std::string category = c.category;
    CHECK(exit_code == (category == "bad_input"                        ? 2
                        : category == "gate_refused"                   ? 3
                        : category == "auth" || category == "registry" ? 4
                                                                       : 5));
  }
}

TEST_CASE("Result propagates the first error with context") {
  CHECK(Quarter(8).value() == 2);
  auto r = Quarter(6);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(r.status().message() == "odd value 3");
  CHECK(r.status().WithContext("quartering").ToString() == "invalid_argument: quartering: odd value 3");
}

TEST_CASE("a message prints as one line: control characters from its input are shown escaped") {
  CHECK(promote::OneLine("plain 'feature/x' ok") == "plain 'feature/x' ok");
  CHECK(promote::OneLine("branch 'x\n::set-output name=a::b'") == "branch 'x\\n::set-output name=a::b'");
  CHECK(promote::OneLine(std::string("a\r\tb\x01\x7f", 6)) == "a\\r\\tb\\x01\\x7f");
}
