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
}

TEST_CASE("the registry's own error code is kept as the reason") {
  struct Case {
    long status;
    std::string body;
    std::string reason;
  } cases[] = {
      {404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})", "MANIFEST_UNKNOWN"},
      {404, R"({"errors":[{"code":"NAME_UNKNOWN"},{"code":"MANIFEST_UNKNOWN"}]})", "NAME_UNKNOWN"},  // the first
      {403, R"({"errors":[{"code":"DENIED","message":"no"}]})", "DENIED"},
      {404, R"({"errors":[{"message":"only a message"}]})", ""},
      {404, "", ""},
      {500, R"({"errors":[{"code":5}]})", ""},
      // Registry text that is no distribution code is not something to branch on.
      {400, R"({"errors":[{"code":"manifest unknown; rm -rf"}]})", ""},
      {400, R"({"errors":[{"code":")" + std::string(65, 'A') + R"("}]})", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    HttpResponse r;
    r.status = c.status;
    r.body = c.body;
    Status st = RegistryErrorFromResponse(r, "GET manifest r.io/app:v1");
    CHECK(st.reason() == c.reason);
    CHECK(st.WithContext("resolving").reason() == c.reason);  // context keeps it
  }
}

TEST_CASE("retryable statuses") {
  CHECK(IsRetryableStatus(429));
  CHECK(IsRetryableStatus(502));
  CHECK(IsRetryableStatus(408));
  CHECK_FALSE(IsRetryableStatus(404));
  CHECK_FALSE(IsRetryableStatus(400));
}

TEST_CASE("hostile error bodies give a clear error, never an exception") {
  struct Case {
    long status;
    std::string body;
    bool truncated;
    Code code;
    std::string message_part;
  } cases[] = {
      // Wrong types where strings belong: nlohmann's value("code", "") threw on these.
      {500, R"({"errors":[{"code":5}]})", false, Code::kUnavailable, "HTTP 500"},
      {400, R"({"errors":[{"code":["MANIFEST_UNKNOWN"],"message":{"a":1}}]})", false, Code::kRegistryError, "HTTP 400"},
      {404, R"({"errors":[{"code":null,"message":"gone"}]})", false, Code::kNotFound, "gone"},
      {400, R"({"errors":[{"code":"DENIED","message":7}]})", false, Code::kPermissionDenied, "DENIED"},
      {400, R"({"errors":{"code":"DENIED"}})", false, Code::kRegistryError, "HTTP 400"},
      {400, R"({"errors":"DENIED"})", false, Code::kRegistryError, "HTTP 400"},
      {400, R"([{"code":"DENIED"}])", false, Code::kRegistryError, "HTTP 400"},
      {400, R"({"errors":[1,"x",null,[],{"code":"SIZE_INVALID"}]})", false, Code::kDataLoss, "SIZE_INVALID"},
      {400, "{\"errors\":[{\"code\":\"X\",\"message\":\"\xff\xfe\"}]}", false, Code::kRegistryError, "HTTP 400"},
      {400, std::string(100000, '['), false, Code::kRegistryError, "HTTP 400"},
      // A body cut at kMaxErrorBodyBytes is not parsed (it would not be JSON anyway).
      {403, R"({"errors":[{"code":"DENIED","message":"cut)", true, Code::kPermissionDenied, "HTTP 403"},
      // The message is printable, short, and not cut inside a UTF-8 sequence.
      {400, "{\"errors\":[{\"code\":\"BAD\",\"message\":\"\x7f" + std::string(293, 'a') + "\xc3\xa9\xc3\xa9\"}]}",
       false, Code::kRegistryError, "BAD:  aaa"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body.substr(0, 80));
    HttpResponse r;
    r.status = c.status;
    r.body = c.body;
    r.body_truncated = c.truncated;
    Status st = RegistryErrorFromResponse(r, "PUT blob r.io/app");
    CHECK(st.code() == c.code);
    CHECK(st.message().find("PUT blob r.io/app") != std::string::npos);
    CHECK(st.message().find(c.message_part) != std::string::npos);
    CHECK(st.message().size() < 600);
    for (char ch : st.message()) CHECK((static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f));
    CHECK(st.message().find("\xc3\xe2") == std::string::npos);  // no UTF-8 sequence cut before the ellipsis
  }
  // Many errors: the detail stays bounded.
  std::string many = R"({"errors":[)";
  for (int i = 0; i < 2000; ++i) many += std::string(i ? "," : "") + R"({"code":"C","message":"m"})";
  many += "]}";
  HttpResponse r;
  r.status = 400;
  r.body = many;
  CHECK(RegistryErrorFromResponse(r, "x").message().size() < 600);
}
