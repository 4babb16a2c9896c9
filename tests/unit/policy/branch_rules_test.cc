#include "policy/branch_rules.h"

#include <doctest/doctest.h>

using namespace promote::policy;

TEST_CASE("branch patterns match like Git-flow users expect") {
  struct Case {
    const char* pattern;
    const char* branch;
    bool match;
  } cases[] = {
      {"develop", "develop", true},         {"develop", "develop2", false},
      {"release/*", "release/v1.2.0", true}, {"release/*", "release/a/b", false},
      {"release/**", "release/a/b", true},   {"hotfix/*", "hotfix/CVE-1", true},
      {"main", "master", false},             {"*", "feature/x", false},
      {"**", "feature/x", true},             {"feature/*-x", "feature/abc-x", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.pattern);
    CAPTURE(c.branch);
    CHECK(BranchMatches(c.pattern, c.branch) == c.match);
  }
}

TEST_CASE("SHA and version come from release branch names") {
  CHECK(ShaFromBranch("release/v1.2.0-sha-2b2e927") == "2b2e927");
  CHECK(ShaFromBranch("release/v1.2.0-sha-2B2E927ABC") == "2b2e927abc");
  CHECK_FALSE(ShaFromBranch("release/v1.2.0").has_value());
  CHECK_FALSE(ShaFromBranch("release/v1.2.0-sha-xyz1234").has_value());
  CHECK(VersionFromBranch("release/v1.2.0") == "v1.2.0");
  CHECK(VersionFromBranch("release/v1.2.0-sha-2b2e927") == "v1.2.0");
  CHECK(VersionFromBranch("release/1.4") == "1.4");
  CHECK(VersionFromBranch("release/v2.0.0-rc.1") == "v2.0.0-rc.1");
  CHECK(VersionFromBranch("hotfix/v1.2.1") == "v1.2.1");
  CHECK_FALSE(VersionFromBranch("release/next").has_value());
  CHECK_FALSE(VersionFromBranch("develop").has_value());
}

TEST_CASE("SHAs are 7-40 hex characters") {
  CHECK(NormaliseSha("2B2E927").value() == "2b2e927");
  CHECK(NormaliseSha(std::string(40, 'a')).ok());
  CHECK_FALSE(NormaliseSha("2b2e92").ok());
  CHECK_FALSE(NormaliseSha(std::string(41, 'a')).ok());
  CHECK_FALSE(NormaliseSha("2b2e92g").ok());
  CHECK_FALSE(NormaliseSha("2b2e927; rm -rf /").ok());
}

TEST_CASE("immutable tags render from the SHA") {
  const std::string sha = "2b2e927abcdef0123456789abcdef0123456789a";
  CHECK(RenderImmutableTag("sha-{sha7}", sha) == "sha-2b2e927");
  CHECK(RenderImmutableTag("{sha}", sha) == sha);
  CHECK(RenderImmutableTag("git-{sha12}", sha) == "git-2b2e927abcde");
}

TEST_CASE("branch names are validated") {
  CHECK(ValidateBranchName("release/v1.2.0").ok());
  const char* bad[] = {"", "a b", "a..b", "/x", "x/", "-x", "a:b", "a~1", "x*", "a\nb", "a@{1}"};
  for (const char* b : bad) {
    CAPTURE(b);
    CHECK_FALSE(ValidateBranchName(b).ok());
  }
}
