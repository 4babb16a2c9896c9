// promote --version: the version of CMakeLists.txt, the commit the binary was built from and the
// build date, as text and as JSON; and the build-info step itself (cmake/PromoteBuildInfo.cmake)
// outside git, inside another repository, and with SOURCE_DATE_EPOCH.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/child_process.h"
#include "tests/support/promote_cli.h"
#include "tests/support/temp_dir.h"

using namespace promote::testing;

namespace {

std::string ProjectVersion() {
  std::string cmake = ReadFile(std::string(PROMOTE_SOURCE_DIR) + "/CMakeLists.txt");
  std::smatch m;
  REQUIRE(std::regex_search(cmake, m, std::regex(R"(project\(promote VERSION ([0-9.]+))")));
  return m[1];
}

// The commit of the source tree, or "unknown" when it is not the top of a git work tree.
std::string SourceCommit() {
  auto top = RunCommand({"git", "-C", PROMOTE_SOURCE_DIR, "rev-parse", "--show-toplevel"});
  if (!top.ok()) return "unknown";
  auto head = RunCommandOrThrow({"git", "-C", PROMOTE_SOURCE_DIR, "rev-parse", "HEAD"});
  return head.out.substr(0, head.out.find('\n'));
}

// Runs the build-info step as a script and returns the header it wrote.
CommandResult BuildInfo(const std::string& source_dir, const std::string& header,
                        const std::vector<std::string>& env = {}, const std::string& commit = "") {
  std::vector<std::string> argv = {PROMOTE_CMAKE_COMMAND, "-DSOURCE_DIR=" + source_dir, "-DOUTPUT=" + header};
  if (!commit.empty()) argv.push_back("-DPROMOTE_GIT_COMMIT=" + commit);
  argv.push_back("-P");
  argv.push_back(std::string(PROMOTE_SOURCE_DIR) + "/cmake/PromoteBuildInfo.cmake");
  return RunCommand(argv, "", env);
}

std::string Define(const std::string& header, const std::string& name) {
  std::smatch m;
  std::string text = ReadFile(header);
  REQUIRE_MESSAGE(std::regex_search(text, m, std::regex("#define " + name + " \"([^\"]*)\"")), text);
  return m[1];
}

}  // namespace

TEST_CASE("promote --version prints the version, the commit and the build date") {
  const std::string version = ProjectVersion();
  const std::string commit = SourceCommit();

  auto text = RunPromote({"--version"});
  CHECK(text.exit_code == 0);
  std::smatch m;
  REQUIRE_MESSAGE(std::regex_match(text.out, m,
                                   std::regex(R"(promote ([0-9.]+) \(commit ([0-9a-f]{12}|unknown), built )"
                                              R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\)\n)")),
                  text.out);
  CHECK(m[1] == version);
  CHECK(m[2] == (commit == "unknown" ? commit : commit.substr(0, 12)));

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--version", "-o", "json"}, {"-o", "json", "--version"}, {"--output=json", "--version"}}) {
    CAPTURE(args[0]);
    auto run = RunPromote(args);
    CHECK(run.exit_code == 0);
    auto j = run.Json();
    CHECK(j["schema"] == 1);
    CHECK(j["command"] == "version");
    CHECK(j["ok"] == true);
    CHECK(j["error"].is_null());
    CHECK(j["version"] == version);
    CHECK(j["commit"] == commit);
    CHECK(j["build_date"] == std::string(m[3]));
  }
}

TEST_CASE("build info: git commit at the top of a work tree only, SOURCE_DATE_EPOCH for the date") {
  TempDir dir;
  const std::string header = dir.path() + "/build_info.h";
  const std::string epoch = "SOURCE_DATE_EPOCH=1700000000";

  SUBCASE("outside git the commit is unknown; the date is SOURCE_DATE_EPOCH's") {
    auto r = BuildInfo(dir.MakeDir("src"), header, {epoch});
    REQUIRE_MESSAGE(r.ok(), r.err);
    CHECK(Define(header, "PROMOTE_BUILD_COMMIT") == "unknown");
    CHECK(Define(header, "PROMOTE_BUILD_DATE") == "2023-11-14T22:13:20Z");
  }
  SUBCASE("a tree inside another repository is not that repository's commit") {
    auto r = BuildInfo(std::string(PROMOTE_SOURCE_DIR) + "/agent", header, {epoch});
    REQUIRE_MESSAGE(r.ok(), r.err);
    CHECK(Define(header, "PROMOTE_BUILD_COMMIT") == "unknown");
  }
  SUBCASE("the top of a work tree is its HEAD") {
    std::string src = dir.MakeDir("repo");
    RunCommandOrThrow({"git", "-C", src, "init", "-q"});
    WriteFile(src + "/file", "x");
    RunCommandOrThrow({"git", "-C", src, "add", "file"});
    RunCommandOrThrow({"git", "-C", src, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit",
                       "-q", "-m", "one"});
    auto head = RunCommandOrThrow({"git", "-C", src, "rev-parse", "HEAD"}).out;
    auto r = BuildInfo(src, header, {epoch});
    REQUIRE_MESSAGE(r.ok(), r.err);
    CHECK(Define(header, "PROMOTE_BUILD_COMMIT") == head.substr(0, head.find('\n')));
  }
  SUBCASE("two builds with one SOURCE_DATE_EPOCH write the same header") {
    REQUIRE(BuildInfo(PROMOTE_SOURCE_DIR, header, {epoch}).ok());
    std::string first = ReadFile(header);
    REQUIRE(BuildInfo(PROMOTE_SOURCE_DIR, header, {epoch}).ok());
    CHECK(ReadFile(header) == first);
    CHECK(Define(header, "PROMOTE_BUILD_DATE") == "2023-11-14T22:13:20Z");
  }
  SUBCASE("a build without its git tree names the commit with PROMOTE_GIT_COMMIT") {
    auto r = BuildInfo(dir.MakeDir("ctx"), header, {epoch}, "0123456789abcdef0123456789abcdef01234567");
    REQUIRE_MESSAGE(r.ok(), r.err);
    CHECK(Define(header, "PROMOTE_BUILD_COMMIT") == "0123456789abcdef0123456789abcdef01234567");
    auto bad = BuildInfo(dir.MakeDir("ctx2"), dir.path() + "/bad.h", {epoch}, "main;rm");
    CHECK_FALSE(bad.ok());
    CHECK(bad.err.find("PROMOTE_GIT_COMMIT") != std::string::npos);
  }
}
