// Secret references resolve in the environment they are given, never in the process's own.
#include "policy/secret_ref.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace promote;
using namespace promote::policy;

namespace {

const EnvironmentVariables kEnvironment({
    {"REG_PASSWORD", "s3cret"},
    {"REG_USER", "robot"},
    {"EMPTY", ""},
    {"KEY_PATH", "/etc/promote/cosign.key"},
    {"KEY_PEM", "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\nabc\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n"},
    {"TWO_LINES", "first\nsecond"},
});

}  // namespace

TEST_CASE("env: references resolve in the environment given") {
  struct Case {
    std::string ref;
    bool ok;
    std::string value;          // when ok
    std::string message_part;   // when not
  } cases[] = {
      {"env:REG_PASSWORD", true, "s3cret", ""},
      {"env:EMPTY", true, "", ""},  // set, if empty
      {"env:UNSET_VARIABLE", false, "", "environment variable UNSET_VARIABLE is not set"},
      {"vault:x", false, "", "is not env:NAME or file:/path"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.ref);
    auto r = ResolveSecret(SecretRef{c.ref}, "registry password", kEnvironment);
    REQUIRE(r.ok() == c.ok);
    if (c.ok) {
      CHECK(r->reveal() == c.value);
    } else {
      CHECK(r.status().code() == Code::kInvalidArgument);
      CHECK(r.status().message().find("registry password: ") == 0);
      CHECK(r.status().message().find(c.message_part) != std::string::npos);
    }
  }
}

TEST_CASE("usernames, paths and key documents resolve in the environment given") {
  struct Case {
    std::string what;
    Result<std::string> got;
    std::string want;  // "" with !got.ok(): the error must name the variable, not its value
  } cases[] = {
      {"literal username", ResolveUsername("ci-bot", "u", kEnvironment), "ci-bot"},
      {"env username", ResolveUsername("env:REG_USER", "u", kEnvironment), "robot"},
      {"unset username", ResolveUsername("env:NOPE", "u", kEnvironment), ""},
      {"file path", ResolvePath(SecretRef{"file:/k.pem"}, "key", kEnvironment), "/k.pem"},
      {"env path", ResolvePath(SecretRef{"env:KEY_PATH"}, "key", kEnvironment), "/etc/promote/cosign.key"},
      {"empty path", ResolvePath(SecretRef{"env:EMPTY"}, "key", kEnvironment), ""},
      {"content as path", ResolvePath(SecretRef{"env:TWO_LINES"}, "key", kEnvironment), ""},
      {"PEM as path", ResolvePath(SecretRef{"env:KEY_PEM"}, "key", kEnvironment), ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    if (c.want.empty()) {
      REQUIRE_FALSE(c.got.ok());
      CHECK(c.got.status().message().find("second") == std::string::npos);
      CHECK(c.got.status().message().find("BEGIN") == std::string::npos);
    } else {
      REQUIRE(c.got.ok());
      CHECK(*c.got == c.want);
    }
  }
  // A PEM in the variable is the key itself, named by its reference, never by its content.
  auto pem = ResolveKeyDocument(SecretRef{"env:KEY_PEM"}, "signing key", 4096, kEnvironment);
  REQUIRE(pem.ok());
  CHECK(pem->source == "env:KEY_PEM");
  CHECK(pem->pem.reveal().rfind("-----BEGIN", 0) == 0);
  auto too_big = ResolveKeyDocument(SecretRef{"env:KEY_PEM"}, "signing key", 10, kEnvironment);
  CHECK(too_big.status().code() == Code::kInvalidArgument);
}

TEST_CASE("the process's own environment is not consulted") {
  ::setenv("PROMOTE_SECRET_REF_TEST", "from-the-process", 1);
  auto r = ResolveSecret(SecretRef{"env:PROMOTE_SECRET_REF_TEST"}, "password", EnvironmentVariables());
  auto u = ResolveUsername("env:PROMOTE_SECRET_REF_TEST", "username", EnvironmentVariables());
  ::unsetenv("PROMOTE_SECRET_REF_TEST");
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(u.status().code() == Code::kInvalidArgument);
}
