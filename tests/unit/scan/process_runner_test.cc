#include "scan/process_runner.h"

#include <doctest/doctest.h>

#include <csignal>

#include "scan/temp_dir.h"

using namespace promote;
using namespace promote::scan;
using std::chrono::milliseconds;
using Ending = ProcessOutcome::Ending;

namespace {
ProcessSpec Shell(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.timeout = std::chrono::seconds(20);
  return spec;
}
}  // namespace

TEST_CASE("exit status and captured output") {
  struct Case {
    const char* script;
    int exit_code;
    const char* out;
    const char* err;
  } cases[] = {
      {"exit 0", 0, "", ""},
      {"echo hello; echo oops >&2; exit 3", 3, "hello\n", "oops\n"},
      {"exit 255", 255, "", ""},
      {"cat; echo done", 0, "done\n", ""},  // stdin is /dev/null, so cat ends at once
  };
  for (const Case& c : cases) {
    CAPTURE(c.script);
    auto r = RunProcess(Shell(c.script));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->ending == Ending::kExited);
    CHECK(r->exit_code == c.exit_code);
    CHECK(r->stdout_bytes == c.out);
    CHECK(r->stderr_bytes == c.err);
  }
}

TEST_CASE("a crash is reported as the signal") {
  auto r = RunProcess(Shell("kill -SEGV $$"));
  REQUIRE(r.ok());
  CHECK(r->ending == Ending::kSignalled);
  CHECK(r->signal == SIGSEGV);
}

TEST_CASE("a timeout stops the whole process group") {
  // The shell starts a background sleep and waits: both must be gone when RunProcess returns,
  // which is the case only if the group was signalled (the pipe is held by both).
  ProcessSpec spec = Shell("sleep 600 & sleep 600; wait");
  spec.timeout = milliseconds(300);
  spec.kill_grace = milliseconds(2000);
  const auto start = std::chrono::steady_clock::now();
  auto r = RunProcess(spec);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(r.ok());
  CHECK(r->ending == Ending::kTimedOut);
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("a program that ignores SIGTERM is killed after the grace period") {
  ProcessSpec spec = Shell("trap '' TERM; echo ready; while :; do sleep 1; done");
  spec.timeout = milliseconds(300);
  spec.kill_grace = milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto r = RunProcess(spec);
  REQUIRE(r.ok());
  CHECK(r->ending == Ending::kTimedOut);
  CHECK(r->stdout_bytes == "ready\n");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("output beyond the bound stops the program") {
  for (const char* script : {"exec yes flood", "exec yes flood >&2"}) {
    CAPTURE(script);
    ProcessSpec spec = Shell(script);
    spec.max_output_bytes = 1 << 20;
    auto r = RunProcess(spec);
    REQUIRE(r.ok());
    CHECK(r->ending == Ending::kOutputTooLarge);
    CHECK(r->stdout_bytes.size() + r->stderr_bytes.size() < (1u << 20) + (1u << 17));
  }
}

TEST_CASE("the environment is exactly the one given; the working directory is set") {
  auto dir = TempDir::Create("promote-runner-test-");
  REQUIRE(dir.ok());
  setenv("PROMOTE_RUNNER_TEST_INHERITED", "leak", 1);
  ProcessSpec spec = Shell("env; pwd");
  spec.env = {"PATH=/usr/bin:/bin", "ONLY_THIS=1"};
  spec.workdir = dir->path();
  auto r = RunProcess(spec);
  unsetenv("PROMOTE_RUNNER_TEST_INHERITED");
  REQUIRE(r.ok());
  CHECK(r->stdout_bytes.find("ONLY_THIS=1\n") != std::string::npos);
  CHECK(r->stdout_bytes.find("PROMOTE_RUNNER_TEST_INHERITED") == std::string::npos);
  CHECK(r->stdout_bytes.find(dir->path() + "\n") != std::string::npos);
}

TEST_CASE("arguments reach the program verbatim, with no shell in between") {
  ProcessSpec spec;
  spec.argv = {"printf", "%s|", "a b", "$HOME", "`id`", ";", ""};
  spec.env = {"PATH=/usr/bin:/bin"};
  auto r = RunProcess(spec);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->stdout_bytes == "a b|$HOME|`id`|;||");
}

TEST_CASE("a program that cannot be started is an error, not an outcome") {
  ProcessSpec spec;
  spec.env = {"PATH=/nonexistent"};
  spec.argv = {"definitely-not-a-scanner"};
  auto r = RunProcess(spec);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kNotFound);
  spec.argv = {std::string(PROMOTE_SOURCE_DIR) + "/CMakeLists.txt"};  // exists, not executable
  CHECK(RunProcess(spec).status().code() == Code::kNotFound);
  spec.argv = {};
  CHECK(RunProcess(spec).status().code() == Code::kInvalidArgument);
  ProcessSpec bad_dir = Shell("true");
  bad_dir.workdir = "/nonexistent/dir";
  CHECK(RunProcess(bad_dir).status().code() == Code::kInternal);
}
