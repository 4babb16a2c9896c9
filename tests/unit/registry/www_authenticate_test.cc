#include "registry/www_authenticate.h"

#include <doctest/doctest.h>

using promote::registry::ParseWwwAuthenticate;

TEST_CASE("WWW-Authenticate challenges as registries send them") {
  auto bearer = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  REQUIRE(bearer.ok());
  REQUIRE(bearer->size() == 1);
  CHECK((*bearer)[0].scheme == "bearer");
  CHECK((*bearer)[0].Param("realm") == "https://auth.docker.io/token");
  CHECK((*bearer)[0].Param("service") == "registry.docker.io");
  CHECK((*bearer)[0].Param("scope") == "repository:library/busybox:pull");

  auto basic = ParseWwwAuthenticate(R"(Basic realm="Registry Realm")");
  REQUIRE(basic.ok());
  CHECK((*basic)[0].scheme == "basic");
  CHECK((*basic)[0].Param("realm") == "Registry Realm");

  // Several challenges in one header, unquoted values, escapes and odd spacing.
  auto both = ParseWwwAuthenticate(R"(Basic realm=x , BEARER  realm="https://a/t" , service=reg, error="a\"b")");
  REQUIRE(both.ok());
  REQUIRE(both->size() == 2);
  CHECK((*both)[0].scheme == "basic");
  CHECK((*both)[0].Param("realm") == "x");
  CHECK((*both)[1].scheme == "bearer");
  CHECK((*both)[1].Param("service") == "reg");
  CHECK((*both)[1].Param("error") == "a\"b");
}

TEST_CASE("malformed challenges are refused, quoting the header") {
  const char* bad[] = {
      "",
      R"(Bearer realm="https://a/t)",      // unterminated quote
      "Bearer realm=\"a\"\r\nX-Injected: 1",  // control characters
      R"(Bearer realm="a" service="b")",   // missing comma
      "=x",
  };
  for (const char* b : bad) {
    CAPTURE(b);
    auto r = ParseWwwAuthenticate(b);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("WWW-Authenticate") != std::string::npos);
  }
  CHECK_FALSE(ParseWwwAuthenticate(std::string(9000, 'a')).ok());
}
