#include "oci/reference.h"

#include <doctest/doctest.h>

using promote::oci::ParseReference;

namespace {
const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
}

TEST_CASE("references are normalised like docker and crane") {
  struct Case {
    std::string in, registry, repository, tag;
    bool has_digest;
    std::string normal;
  };
  const Case cases[] = {
      {"busybox", "docker.io", "library/busybox", "", false, "docker.io/library/busybox"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", false, "docker.io/library/busybox:1.36"},
      {"docker.io/busybox", "docker.io", "library/busybox", "", false, "docker.io/library/busybox"},
      {"index.docker.io/library/busybox", "docker.io", "library/busybox", "", false, "docker.io/library/busybox"},
      {"grafana/loki:2.9", "docker.io", "grafana/loki", "2.9", false, "docker.io/grafana/loki:2.9"},
      {"localhost/app", "localhost", "app", "", false, "localhost/app"},
      {"localhost:5000/app:v1", "localhost:5000", "app", "v1", false, "localhost:5000/app:v1"},
      {"127.0.0.1:5000/shop/payment-svc:sha-2b2e927", "127.0.0.1:5000", "shop/payment-svc", "sha-2b2e927", false,
       "127.0.0.1:5000/shop/payment-svc:sha-2b2e927"},
      {"[::1]:5000/a/b", "[::1]:5000", "a/b", "", false, "[::1]:5000/a/b"},
      {"registry.example.com/dev/payment-svc@sha256:" + kHex, "registry.example.com", "dev/payment-svc", "", true,
       "registry.example.com/dev/payment-svc@sha256:" + kHex},
      {"reg.io/a/b:v1@sha256:" + kHex, "reg.io", "a/b", "v1", true, "reg.io/a/b:v1@sha256:" + kHex},
      {"reg.io/a__b/c.d/e-f/g--h:T_1.x-y", "reg.io", "a__b/c.d/e-f/g--h", "T_1.x-y", false,
       "reg.io/a__b/c.d/e-f/g--h:T_1.x-y"},
      {"Reg.IO/app", "Reg.IO", "app", "", false, "Reg.IO/app"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto r = ParseReference(c.in);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->registry == c.registry);
    CHECK(r->repository == c.repository);
    CHECK(r->tag == c.tag);
    CHECK(r->digest.has_value() == c.has_digest);
    CHECK(r->str() == c.normal);
  }
}

TEST_CASE("malformed references are refused with a message naming the input") {
  struct Case {
    std::string in, message_part;
  };
  const Case cases[] = {
      {"", "empty"},
      {"docker.io/UPPER/app", "lowercase"},
      {"reg.io/App", "lowercase"},
      {"reg.io/app:", "tag is empty"},
      {"reg.io/app:-bad", "must start"},
      {"reg.io/app:bad$tag", "may only contain"},
      {"reg.io/app:" + std::string(129, 'a'), "longer than 128"},
      {"reg.io/app@sha256:abc", "64 hex"},
      {"reg.io/app@md5:" + kHex, "unsupported algorithm"},
      {"reg.io/app@sha256:" + std::string(64, 'A'), "lowercase hex"},
      {"reg.io/a//b", "invalid repository path component"},
      {"reg.io/a/-b", "invalid repository path component"},
      {"reg.io/a/b.", "invalid repository path component"},
      {"reg.io/a/b_.c", "invalid repository path component"},
      {"reg.io/", "missing repository"},
      {"https://reg.io/app", "URL scheme"},
      {"reg.io/app name", "whitespace"},
      {"reg.io/app\n:v1", "control"},
      {"bad_host.io:5000/app", "invalid registry host"},
      {"reg.io:99999/app", "invalid registry host"},
      {"reg.io:/app", "invalid registry host"},
      {"reg.io/" + std::string(250, 'a'), "longer than 255"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto r = ParseReference(c.in);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == promote::Code::kInvalidArgument);
    CHECK(r.status().message().find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("repository targets refuse tags and digests") {
  CHECK(promote::oci::ParseRepository("reg.io/a/b").ok());
  CHECK_FALSE(promote::oci::ParseRepository("reg.io/a/b:v1").ok());
}

TEST_CASE("loopback registries are recognised") {
  CHECK(promote::oci::IsLoopbackRegistry("localhost:5000"));
  CHECK(promote::oci::IsLoopbackRegistry("127.0.0.1:5000"));
  CHECK(promote::oci::IsLoopbackRegistry("127.1.2.3"));
  CHECK(promote::oci::IsLoopbackRegistry("[::1]:5000"));
  CHECK_FALSE(promote::oci::IsLoopbackRegistry("registry.example.com"));
  CHECK_FALSE(promote::oci::IsLoopbackRegistry("127example.com"));
  CHECK_FALSE(promote::oci::IsLoopbackRegistry("10.0.0.1:5000"));
  // Only literal loopback counts: a DNS name that merely starts like one is somebody's host.
  for (const char* remote : {"127.evil.example:5000", "127.0.0.1.nip.io", "127.1", "127.0.0.256", "127.0.0.1.",
                             "[::ffff:127.0.0.1]:5000", "[::1]evil", "localhost.example", "2130706433"}) {
    CAPTURE(remote);
    CHECK_FALSE(promote::oci::IsLoopbackRegistry(remote));
  }
  CHECK(promote::oci::IsLoopbackHost("127.255.0.9"));
  CHECK(promote::oci::IsLoopbackHost("[::1]"));
  CHECK_FALSE(promote::oci::IsLoopbackHost("127.0.0.1:5000"));
}
