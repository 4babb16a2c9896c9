#include "sigstore/docker_identity.h"

#include <doctest/doctest.h>

namespace promote::sigstore {
namespace {

TEST_CASE("references normalise the way containers/image compares identities") {
  struct Case {
    const char* in;
    const char* repository;
    const char* tag;
    const char* digest;
  };
  const Case cases[] = {
      {"127.0.0.1:5000/demo/hello", "127.0.0.1:5000/demo/hello", "", ""},
      {"127.0.0.1:5000/demo/hello:v1", "127.0.0.1:5000/demo/hello", "v1", ""},
      {"127.0.0.1:5000/demo/hello@sha256:abc", "127.0.0.1:5000/demo/hello", "", "sha256:abc"},
      {"reg.example/a/b:v1@sha256:abc", "reg.example/a/b", "v1", "sha256:abc"},
      {"localhost/app", "localhost/app", "", ""},
      {"busybox", "docker.io/library/busybox", "", ""},
      {"busybox:1.36", "docker.io/library/busybox", "1.36", ""},
      {"index.docker.io/library/busybox", "docker.io/library/busybox", "", ""},
      {"docker.io/bitnami/redis", "docker.io/bitnami/redis", "", ""},
      {"bitnami/redis", "docker.io/bitnami/redis", "", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.in);
    auto id = ParseDockerIdentity(c.in);
    REQUIRE_MESSAGE(id.ok(), id.status().ToString());
    CHECK(id->repository == c.repository);
    CHECK(id->tag == c.tag);
    CHECK(id->digest == c.digest);
  }
}

TEST_CASE("malformed references are refused") {
  for (const char* bad : {"", "reg.example/", "reg.example//app", "reg.example/App",
                          "reg.example/app:", "a b", "reg.example/app@nodigest"}) {
    CAPTURE(bad);
    auto id = ParseDockerIdentity(bad);
    REQUIRE_FALSE(id.ok());
    CHECK(id.status().code() == Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace promote::sigstore
