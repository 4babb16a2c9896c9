#include "oci/platform.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using promote::oci::ParsePlatform;
using promote::oci::ParsePlatforms;
using promote::oci::Platform;
using promote::oci::PlatformMatches;

TEST_CASE("platforms are parsed as os/arch[/variant]") {
  struct Case {
    std::string text;
    std::string os, architecture, variant;
  } cases[] = {
      {"linux/amd64", "linux", "amd64", ""},   {"linux/arm64/v8", "linux", "arm64", "v8"},
      {"linux/arm/v7", "linux", "arm", "v7"},  {"windows/amd64", "windows", "amd64", ""},
      {"linux/x86_64", "linux", "amd64", ""},  // uname's spelling
      {"linux/aarch64", "linux", "arm64", ""}, {"linux/ppc64le", "linux", "ppc64le", ""},
      {"wasip1/wasm", "wasip1", "wasm", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto p = ParsePlatform(c.text);
    REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    CHECK(p->os == c.os);
    CHECK(p->architecture == c.architecture);
    CHECK(p->variant == c.variant);
  }
}

TEST_CASE("bad platform strings are refused, naming the input") {
  struct Case {
    std::string text;
    std::string message_part;
  } cases[] = {
      {"", "empty"},
      {"linux", "two or three components"},
      {"linux/arm/v7/extra", "two or three components"},
      {"linux//v7", "lowercase letters"},
      {"/amd64", "lowercase letters"},
      {"linux/amd64/", "lowercase letters"},
      {"Linux/AMD64", "lowercase letters"},
      {"linux/amd 64", "lowercase letters"},
      {"linux/amd64;rm -rf /", "lowercase letters"},
      {"linux/" + std::string(65, 'a'), "1-64"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto p = ParsePlatform(c.text);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().code() == promote::Code::kInvalidArgument);
    CHECK(p.status().message().find(c.message_part) != std::string::npos);
    CHECK(p.status().message().find("'" + c.text.substr(0, 200) + "'") != std::string::npos);
  }
}

TEST_CASE("platform lists split on commas, drop duplicates and keep the order") {
  auto list = ParsePlatforms({"linux/arm64,linux/amd64", "linux/arm64", "linux/arm/v7"});
  REQUIRE(list.ok());
  std::vector<std::string> got;
  for (const auto& p : *list) got.push_back(p.str());
  CHECK(got == std::vector<std::string>{"linux/arm64", "linux/amd64", "linux/arm/v7"});

  auto trailing = ParsePlatforms({"linux/amd64,"});
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.status().message().find("empty") != std::string::npos);
}

TEST_CASE("matching: no variant asked matches any; an absent variant is the architecture's default") {
  struct Case {
    Platform want, have;
    bool matches;
  } cases[] = {
      {{"linux", "amd64", ""}, {"linux", "amd64", ""}, true},
      {{"linux", "amd64", ""}, {"linux", "arm64", ""}, false},
      {{"linux", "amd64", ""}, {"windows", "amd64", ""}, false},
      {{"linux", "arm", ""}, {"linux", "arm", "v6"}, true},
      {{"linux", "arm", "v7"}, {"linux", "arm", "v6"}, false},
      {{"linux", "arm", "v7"}, {"linux", "arm", ""}, true},
      {{"linux", "arm64", "v8"}, {"linux", "arm64", ""}, true},
      {{"linux", "arm64", ""}, {"linux", "arm64", "v8"}, true},
      {{"linux", "arm64", "v9"}, {"linux", "arm64", ""}, false},
      {{"linux", "amd64", "v1"}, {"linux", "amd64", ""}, true},
      {{"linux", "amd64", "v3"}, {"linux", "amd64", ""}, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.want.str());
    CAPTURE(c.have.str());
    CHECK(PlatformMatches(c.want, c.have) == c.matches);
  }
}
