#include "registry/registry_error.h"

#include <doctest/doctest.h>

using namespace promote;
using namespace promote::registry;

TEST_CASE("registry error responses become codes callers can branch on") {
  struct Case {
    long status;
    std::string body;
    Code code;
    std::string message_part;
  } cases[] = {
      {404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})", Code::kNotFound,
       "MANIFEST_UNKNOWN: manifest unknown"},
      {404, R"({"errors":[{"code":"NAME_UNKNOWN"}]})", Code::kNotFound, "NAME_UNKNOWN"},
      {401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})", Code::kUnauthenticated,
       "check the credentials"},
      {403, "", Code::kPermissionDenied, "lack access"},
      {400, R"({"errors":[{"code":"DIGEST_INVALID"}]})", Code::kDataLoss, "DIGEST_INVALID"},
      {429, R"({"errors":[{"code":"TOOMANYREQUESTS"}]})", Code::kUnavailable, "429"},
      {503, "<html>busy</html>", Code::kUnavailable, "503"},
      {400, R"({"errors":[{"code":"MANIFEST_INVALID","message":"bad\nline"}]})", Code::kRegistryError,
       "MANIFEST_INVALID: bad line"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    HttpResponse r;
    r.status = c.status;
    r.body = c.body;
    Status st = RegistryErrorFromResponse(r, "GET manifest r.io/app:v1");
    CHECK(st.code() == c.code);
    CHECK(st.message().find("GET manifest r.io/app:v1") != std::string::npos);
    CHECK(st.message().find(c.message_part) != std::string::npos);
  }
  CHECK(IsRetryableStatus(429));
  CHECK(IsRetryableStatus(502));
  CHECK(IsRetryableStatus(408));
  CHECK_FALSE(IsRetryableStatus(404));
  CHECK_FALSE(IsRetryableStatus(400));
}
