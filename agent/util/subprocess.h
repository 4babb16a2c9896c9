// Running a helper program (credential helpers, scanners, tests' own children) without a shell:
// argv in, exit status and bounded stdout/stderr out. The one place promote starts processes:
// each child runs in a process group of its own that a timeout, a cancel or the output bound
// stops as a whole, and it dies with the thread that started it (PR_SET_PDEATHSIG), so a
// promote killed with SIGKILL leaves no helper running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/cancel.h"
#include "util/status.h"

namespace promote {

class OrphanWatchdog;

struct ProcessOptions {
  // argv[0] is a path, or a bare name looked up in the PATH of `env` (/usr/local/bin:/usr/bin:/bin
  // when `env` is unset or has none: this process's own PATH is not consulted).
  // Arguments are passed as they are: no shell, no expansion.
  std::vector<std::string> argv;
  std::string stdin_data;  // empty: stdin is /dev/null
  // When set, the child's whole environment (nothing is inherited); otherwise it inherits ours.
  // Children that must not see promote's secrets get one from util/child_env.h.
  std::optional<std::map<std::string, std::string>> env;
  std::string workdir;  // empty: inherit
  std::chrono::milliseconds timeout{30'000};
  // After a timeout, a cancel or the output bound the process group gets SIGTERM, then SIGKILL
  // after this grace period (after at most 500 ms when cancelled: a cancel must be quick).
  std::chrono::milliseconds kill_grace{3'000};
  size_t max_output_bytes = 1024 * 1024;  // per stream; more stops the program
  // Checked while the child runs; once cancelled the group is stopped and `cancelled` reported.
  const CancelToken* cancel = nullptr;
  // Told the child's process group while it may be alive, so the group is killed even if this
  // process is killed first. Must outlive the call.
  OrphanWatchdog* watchdog = nullptr;
};

struct ProcessResult {
  int exit_code = -1;  // valid when the program exited (signal == 0 and not stopped by us)
  int signal = 0;      // the signal that ended it (ours after a timeout/cancel/bound), 0 if it exited
  bool timed_out = false;
  bool cancelled = false;
  bool output_truncated = false;  // it printed more than max_output_bytes and was stopped
  std::string stdout_data;        // at most max_output_bytes (+ one read) each
  std::string stderr_data;
  std::chrono::milliseconds elapsed{0};
  // Whether it ended on its own (not stopped by a timeout, a cancel or the output bound).
  bool finished() const { return !timed_out && !cancelled && !output_truncated; }
};

// Starts the program and waits for it. Errors only when it could not be started: NotFound when
// the executable does not exist or is not executable, InvalidArgument for an empty argv, Internal
// for a failing fork/pipe/chdir/exec. Timeouts, cancels and oversize output are reported in the
// result, so callers can word them for their context. When it returns, nothing of the child's
// process group is left running. Thread-safe: only async-signal-safe calls run between fork and
// exec, so it may be called from any thread of a multithreaded process.
Result<ProcessResult> RunProcess(const ProcessOptions& options);

// Guards against this process being killed (SIGKILL, a crash) while a child runs or temporary
// secret files exist: a small watchdog process (/bin/sh) that holds the read end of a pipe only
// this process can write to. When this process dies without disarming it, the pipe reaches EOF
// and the watchdog kills the watched process group and removes `paths`. The watchdog runs in a
// process group of its own and ignores SIGINT/SIGTERM/SIGHUP, so Ctrl-C on the terminal does
// not stop it before it has cleaned up. Destruction disarms it (the owner cleans up itself) and
// reaps it. Not thread-safe; one per scanner run.
class OrphanWatchdog {
 public:
  // Starts the watchdog for `paths` (directories or files, removed recursively).
  static Result<OrphanWatchdog> Start(const std::vector<std::string>& paths);
  OrphanWatchdog(OrphanWatchdog&& other) noexcept;
  OrphanWatchdog& operator=(OrphanWatchdog&&) = delete;
  OrphanWatchdog(const OrphanWatchdog&) = delete;
  OrphanWatchdog& operator=(const OrphanWatchdog&) = delete;
  ~OrphanWatchdog();

  // The process group to kill if this process dies; ForgetGroup once it is gone.
  void WatchGroup(pid_t pgid);
  void ForgetGroup();
  pid_t pid() const { return pid_; }

 private:
  OrphanWatchdog(pid_t pid, int write_fd) : pid_(pid), write_fd_(write_fd) {}
  void Send(const std::string& line);
  pid_t pid_ = -1;
  int write_fd_ = -1;
};

}  // namespace promote
