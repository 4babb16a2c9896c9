// util/subprocess: the one way promote starts programs. Exit status and output, limits (timeout,
// output bound, cancel) that stop the whole process group, an exact environment, no shell, and
// the orphan watchdog that cleans up after a promote killed with SIGKILL.
#include "util/subprocess.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

using namespace promote;
using std::chrono::milliseconds;

namespace {

ProcessOptions Shell(const std::string& script) {
  ProcessOptions spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.env = std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"}};
  spec.timeout = std::chrono::seconds(20);
  return spec;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool GroupAlive(pid_t pgid) { return promote::testing::ProcessGroupRunning(pgid); }

bool PollUntil(const std::function<bool()>& done, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return done();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("exit status and captured output") {
  struct Case {
    const char* script;
    std::string stdin_data;
    int exit_code;
    const char* out;
    const char* err;
  } cases[] = {
      {"exit 0", "", 0, "", ""},
      {"echo hello; echo oops >&2; exit 3", "", 3, "hello\n", "oops\n"},
      {"exit 255", "", 255, "", ""},
      {"cat; echo done", "", 0, "done\n", ""},  // no stdin data: /dev/null, so cat ends at once
      {"cat", "registry.example:5000", 0, "registry.example:5000", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.script);
    ProcessOptions spec = Shell(c.script);
    spec.stdin_data = c.stdin_data;
    auto r = RunProcess(spec);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->finished());
    CHECK(r->signal == 0);
    CHECK(r->exit_code == c.exit_code);
    CHECK(r->stdout_data == c.out);
    CHECK(r->stderr_data == c.err);
  }
}

TEST_CASE("a crash is reported as the signal") {
  auto r = RunProcess(Shell("kill -SEGV $$"));
  REQUIRE(r.ok());
  CHECK(r->finished());
  CHECK(r->signal == SIGSEGV);
}

TEST_CASE("a timeout stops the whole process group") {
  // The shell starts a background sleep and waits: both must be gone when RunProcess returns,
  // which is the case only if the group was signalled (the pipe is held by both).
  ProcessOptions spec = Shell("sleep 600 & sleep 600; wait");
  spec.timeout = milliseconds(300);
  spec.kill_grace = milliseconds(2000);
  const auto start = std::chrono::steady_clock::now();
  auto r = RunProcess(spec);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("a program that ignores SIGTERM is killed after the grace period") {
  ProcessOptions spec = Shell("trap '' TERM; echo ready; while :; do sleep 1; done");
  spec.timeout = milliseconds(300);
  spec.kill_grace = milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto r = RunProcess(spec);
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->stdout_data == "ready\n");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("a cancel stops the process group within a second, even one that ignores SIGTERM") {
  const promote::testing::TempDir tmp;
  const std::string& dir = tmp.path();
  ProcessOptions spec = Shell("trap '' TERM; echo $$ > " + dir + "/pgid; sleep 600 & sleep 600; wait");
  spec.timeout = std::chrono::seconds(120);
  spec.kill_grace = std::chrono::seconds(30);  // a cancel does not wait this long
  CancelToken cancel;
  spec.cancel = &cancel;
  std::thread canceller([&] {
    PollUntil([&] { return !ReadAll(dir + "/pgid").empty(); }, std::chrono::seconds(10));
    cancel.Cancel();
  });
  auto r = RunProcess(spec);
  const auto cancelled_at = std::chrono::steady_clock::now();
  canceller.join();
  REQUIRE(r.ok());
  CHECK(r->cancelled);
  CHECK_FALSE(r->finished());
  CHECK(std::chrono::steady_clock::now() - cancelled_at < std::chrono::seconds(1));
  const pid_t pgid = std::atoi(ReadAll(dir + "/pgid").c_str());
  REQUIRE(pgid > 0);
  // Killed members may linger a moment as zombies until their new parent reaps them.
  CHECK(PollUntil([&] { return !GroupAlive(pgid); }, std::chrono::seconds(1)));
}

TEST_CASE("output beyond the bound stops the program") {
  for (const char* script : {"exec yes flood", "exec yes flood >&2"}) {
    CAPTURE(script);
    ProcessOptions spec = Shell(script);
    spec.max_output_bytes = 1 << 20;
    auto r = RunProcess(spec);
    REQUIRE(r.ok());
    CHECK(r->output_truncated);
    CHECK(r->stdout_data.size() + r->stderr_data.size() < (1u << 20) + (1u << 17));
  }
}

TEST_CASE("the environment is exactly the one given; the working directory is set") {
  const promote::testing::TempDir tmp;
  const std::string& dir = tmp.path();
  setenv("PROMOTE_RUNNER_TEST_INHERITED", "leak", 1);
  ProcessOptions spec = Shell("env; pwd");
  spec.env = std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"}, {"ONLY_THIS", "1"}};
  spec.workdir = dir;
  auto r = RunProcess(spec);
  unsetenv("PROMOTE_RUNNER_TEST_INHERITED");
  REQUIRE(r.ok());
  CHECK(r->stdout_data.find("ONLY_THIS=1\n") != std::string::npos);
  CHECK(r->stdout_data.find("PROMOTE_RUNNER_TEST_INHERITED") == std::string::npos);
  CHECK(r->stdout_data.find(dir + "\n") != std::string::npos);
}

TEST_CASE("arguments reach the program verbatim, with no shell in between") {
  ProcessOptions spec;
  spec.argv = {"printf", "%s|", "a b", "$HOME", "`id`", ";", ""};
  spec.env = std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"}};
  auto r = RunProcess(spec);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->stdout_data == "a b|$HOME|`id`|;||");
}

TEST_CASE("a program that cannot be started is an error, not an outcome") {
  ProcessOptions spec;
  spec.env = std::map<std::string, std::string>{{"PATH", "/nonexistent"}};
  spec.argv = {"definitely-not-a-scanner"};
  auto r = RunProcess(spec);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kNotFound);
  spec.argv = {std::string(PROMOTE_SOURCE_DIR) + "/CMakeLists.txt"};  // exists, not executable
  CHECK(RunProcess(spec).status().code() == Code::kNotFound);
  spec.argv = {};
  CHECK(RunProcess(spec).status().code() == Code::kInvalidArgument);
  ProcessOptions bad_dir = Shell("true");
  bad_dir.workdir = "/nonexistent/dir";
  CHECK(RunProcess(bad_dir).status().code() == Code::kInternal);
}

TEST_CASE("what a program leaves running in its group is stopped when it exits") {
  const promote::testing::TempDir tmp;
  const std::string& dir = tmp.path();
  // The background sleep closes the pipes, so nothing but the group kill can stop it.
  auto r = RunProcess(Shell("echo $$ > " + dir + "/pgid; sleep 600 >/dev/null 2>&1 & exit 0"));
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  const pid_t pgid = std::atoi(ReadAll(dir + "/pgid").c_str());
  REQUIRE(pgid > 0);
  CHECK(PollUntil([&] { return !GroupAlive(pgid); }, std::chrono::seconds(2)));
}

TEST_CASE("disarmed, the orphan watchdog leaves everything alone") {
  const promote::testing::TempDir tmp;
  const std::string& dir = tmp.path();
  {
    auto watchdog = OrphanWatchdog::Start({dir});
    REQUIRE_MESSAGE(watchdog.ok(), watchdog.status().ToString());
    CHECK(GroupAlive(watchdog->pid()));  // its own session, so its own group
  }
  CHECK(Exists(dir));
}

TEST_CASE("when its owner dies, the orphan watchdog kills the watched group and removes the paths") {
  // The owner is a forked copy of this test that starts a watchdog and a child, then is killed
  // with SIGKILL: what the watchdog must clean up after is exactly that situation.
  const promote::testing::TempDir tmp;
  const std::string& dir = tmp.path();
  const std::string secret_dir = dir + "/secret";
  REQUIRE(::mkdir(secret_dir.c_str(), 0700) == 0);
  std::ofstream(secret_dir + "/config.json") << "{\"auths\":{}}";
  REQUIRE(::chmod(secret_dir.c_str(), 0500) == 0);  // read-only: removal must not stop there
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t owner = ::fork();
  REQUIRE(owner >= 0);
  if (owner == 0) {
    ::close(ready[0]);
    auto watchdog = OrphanWatchdog::Start({secret_dir});
    if (!watchdog.ok()) ::_exit(1);
    ProcessOptions spec = Shell("echo $$ > " + dir + "/pgid; sleep 600 & sleep 600; wait");
    spec.watchdog = &*watchdog;
    spec.timeout = std::chrono::seconds(600);
    std::thread([&] {
      PollUntil([&] { return !ReadAll(dir + "/pgid").empty(); }, std::chrono::seconds(10));
      (void)!::write(ready[1], "x", 1);
    }).detach();
    (void)RunProcess(spec);
    ::_exit(0);
  }
  ::close(ready[1]);
  char c;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  const pid_t pgid = std::atoi(ReadAll(dir + "/pgid").c_str());
  REQUIRE(pgid > 0);
  REQUIRE(GroupAlive(pgid));
  ::kill(owner, SIGKILL);
  int status;
  ::waitpid(owner, &status, 0);
  CHECK(PollUntil([&] { return !GroupAlive(pgid); }, std::chrono::seconds(5)));
  CHECK(PollUntil([&] { return !Exists(secret_dir); }, std::chrono::seconds(5)));
}
