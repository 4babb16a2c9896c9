#include "scan/trivyignore.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "util/temp_dir.h"

using namespace promote;
using namespace promote::scan;
using std::chrono::day;
using std::chrono::month;
using std::chrono::year;
using std::chrono::year_month_day;

TEST_CASE("plain .trivyignore: ids, comments, blank lines, exp: dates and reasons") {
  const char* text =
      "# accepted risks\n"
      "\n"
      "CVE-2019-18276\n"
      "  CVE-2019-5481 exp:2026-04-01   \n"
      "GHSA-hv5j-3h9f-99c2 exp:2025-12-31 # fixed upstream next sprint\n"
      "CVE-2023-0001 # not reachable: no network listener\r\n"
      "\t# indented comment\n"
      "CVE-2023-0002";
  auto r = ParseTrivyIgnore(text, ".trivyignore", TrivyIgnoreFormat::kPlain);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(r->size() == 5);
  CHECK((*r)[0].id == "CVE-2019-18276");
  CHECK((*r)[0].reason == "listed in .trivyignore");
  CHECK_FALSE((*r)[0].expires);
  CHECK((*r)[1].id == "CVE-2019-5481");
  CHECK((*r)[1].expires == year_month_day{year(2026), month(4), day(1)});
  CHECK((*r)[2].id == "GHSA-hv5j-3h9f-99c2");
  CHECK((*r)[2].reason == "fixed upstream next sprint");
  CHECK((*r)[2].expires == year_month_day{year(2025), month(12), day(31)});
  CHECK((*r)[3].reason == "not reachable: no network listener");
  CHECK((*r)[4].id == "CVE-2023-0002");
}

TEST_CASE("plain .trivyignore errors name file:line") {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"CVE-1\nCVE-2 exp:2024-13-01\n", ".trivyignore:2: \"exp:2024-13-01\" is not a valid expiry"},
      {"CVE-2 exp:2023-02-29\n", ".trivyignore:1: \"exp:2023-02-29\""},
      {"\n\nCVE-2 exp:24-01-01\n", ".trivyignore:3:"},
      {"CVE-2 exp:2024/01/01\n", ".trivyignore:1:"},
      {"CVE-2 exp:\n", ".trivyignore:1:"},
      {"CVE-2 exp2024-01-01\n", ".trivyignore:1: unexpected \"exp2024-01-01\" after CVE-2"},
      {"CVE-2 exp:2024-01-01 exp:2025-01-01\n", "more than one exp: date"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto r = ParseTrivyIgnore(c.text, ".trivyignore", TrivyIgnoreFormat::kPlain);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(r.status().message().find(c.message) != std::string::npos, r.status().message());
  }
}

TEST_CASE("YAML .trivyignore.yaml: vulnerabilities become entries") {
  const char* text =
      "vulnerabilities:\n"
      "  - id: CVE-2019-18276\n"
      "    statement: bash is not used at runtime\n"
      "    expired_at: 2026-06-30\n"
      "  - id: GHSA-hv5j-3h9f-99c2\n"
      "    paths: []\n"
      "misconfigurations:\n"
      "  - id: AVD-DS-0002\n"
      "secrets: []\n";
  auto r = ParseTrivyIgnore(text, ".trivyignore.yaml", TrivyIgnoreFormat::kYaml);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].id == "CVE-2019-18276");
  CHECK((*r)[0].reason == "bash is not used at runtime");
  CHECK((*r)[0].expires == year_month_day{year(2026), month(6), day(30)});
  CHECK((*r)[1].reason == "listed in .trivyignore.yaml");
  CHECK_FALSE((*r)[1].expires);
  CHECK(ParseTrivyIgnore("", "x.yaml", TrivyIgnoreFormat::kYaml)->empty());
}

TEST_CASE("YAML .trivyignore errors name file:line") {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"vulnerabilities:\n  - id: CVE-1\n    expires: 2025-01-01\n", "x.yaml:3: unknown key \"expires\""},
      {"vulns:\n  - id: CVE-1\n", "x.yaml:1: unknown key \"vulns\""},
      {"vulnerabilities:\n  - id: CVE-1\n  - statement: why\n", "x.yaml:3: entry has no id"},
      {"vulnerabilities:\n  - id: CVE-1\n    expired_at: 2025-02-30\n",
       "x.yaml:3: expired_at \"2025-02-30\""},
      {"vulnerabilities:\n  - id: CVE-1\n    paths:\n      - usr/lib/x.jar\n",
       "x.yaml:4: paths is not supported"},
      {"vulnerabilities:\n  - id: CVE-1\n    purls: [\"pkg:gem/uri@0.10.1\"]\n",
       "x.yaml:3: purls is not supported"},
      {"vulnerabilities: CVE-1\n", "x.yaml:1: vulnerabilities must be a list"},
      {"vulnerabilities:\n  - CVE-1\n", "x.yaml:2: each vulnerabilities entry must be a mapping"},
      {"- CVE-1\n", "x.yaml:1: top level must be a mapping"},
      {"vulnerabilities:\n  - id: [CVE-1\n", "x.yaml:"},
      {"vulnerabilities:\n  - id:\n      nested: 1\n", "x.yaml:3: id must be a string"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto r = ParseTrivyIgnore(c.text, "x.yaml", TrivyIgnoreFormat::kYaml);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(r.status().message().find(c.message) != std::string::npos, r.status().message());
  }
}

TEST_CASE("the format follows the extension, as in Trivy") {
  CHECK(TrivyIgnoreFormatFor(".trivyignore") == TrivyIgnoreFormat::kPlain);
  CHECK(TrivyIgnoreFormatFor("ci/.trivyignore.yaml") == TrivyIgnoreFormat::kYaml);
  CHECK(TrivyIgnoreFormatFor("ignore.YML") == TrivyIgnoreFormat::kYaml);
  CHECK(TrivyIgnoreFormatFor("yaml.txt") == TrivyIgnoreFormat::kPlain);
}

TEST_CASE("ReadTrivyIgnoreFile reads by extension; a missing file is NotFound") {
  auto dir = TempDir::Create("promote-ignore-test-", EnvironmentVariables());
  REQUIRE(dir.ok());
  const std::string yaml = dir->path() + "/.trivyignore.yaml";
  std::ofstream(yaml) << "vulnerabilities:\n  - id: CVE-1\n";
  auto r = ReadTrivyIgnoreFile(yaml);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->at(0).id == "CVE-1");
  CHECK(r->at(0).reason == "listed in " + yaml);

  // YAML content in a file without the extension is plain text, as in Trivy: here that is an
  // error instead of an entry named "vulnerabilities:" that matches nothing.
  const std::string plain = dir->path() + "/.trivyignore";
  std::ofstream(plain) << "vulnerabilities:\n  - id: CVE-1\n";
  auto wrong = ReadTrivyIgnoreFile(plain);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message().find(plain + ":2:") != std::string::npos);

  auto missing = ReadTrivyIgnoreFile(dir->path() + "/nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::kNotFound);
}
