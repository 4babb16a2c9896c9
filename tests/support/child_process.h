// Running helper programs from tests without a shell: one-shot commands whose output is captured
// (openssl, htpasswd, skopeo) and long-running servers (docker-registry, the token server) that
// are owned by an RAII object, logged to a file, and killed with their process group.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace promote::testing {

struct CommandResult {
  int exit_code = -1;   // -1 when the command was killed by a signal
  int term_signal = 0;  // the signal, when killed
  std::string out{};
  std::string err{};
  bool ok() const { return exit_code == 0; }
  // "`openssl req ...` exited with 1; stderr: ..." for error messages.
  std::string Describe(const std::vector<std::string>& argv) const;
};

// Runs argv (argv[0] is looked up in PATH) to completion with `stdin_data` on its standard
// input and returns its exit status and output. Throws only when the command cannot be started.
// Environment: ours, plus `extra_env` entries ("NAME=value") which override.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_data = "",
                         const std::vector<std::string>& extra_env = {});

// As RunCommand, but throws std::runtime_error with the command's output when it does not exit 0.
CommandResult RunCommandOrThrow(const std::vector<std::string>& argv, const std::string& stdin_data = "",
                                const std::vector<std::string>& extra_env = {});

// A server process started from argv with stdout and stderr appended to `log_path`, in a process
// group of its own. The destructor kills the group with SIGKILL and reaps the child. The child also
// gets SIGKILL when the thread that started it dies, so a crashed test leaves no server behind.
// Variables named REGISTRY_* are removed from the child's environment: distribution reads them
// as configuration overrides, and a stray one on a CI machine must not change the test setup.
// Not thread-safe.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True while the process has not exited (reaps it if it has).
  bool Running();
  // "exited with 2" / "killed by signal 9" once it has exited, "" while running.
  std::string DescribeExit();
  // SIGKILL to the process group, then waits for the child. Idempotent.
  void Kill();

 private:
  pid_t pid_ = -1;
  std::optional<int> wait_status_;
};

// A TCP port on 127.0.0.1 that was free a moment ago: bound to port 0, read back, closed. Another
// process may take it before the caller binds it, so callers retry on "address already in use".
int PickFreeLoopbackPort();

// Whether any process of process group `pgid` is still running (zombies, which the machine's init
// may reap only after a while, do not count): how tests see that a child's group was stopped.
bool ProcessGroupRunning(pid_t pgid);

// Absolute path of `program` found in PATH (or `program` itself when it contains a '/');
// throws std::runtime_error naming the program when it is not installed.
std::string FindExecutable(const std::string& program);

}  // namespace promote::testing
