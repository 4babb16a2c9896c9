// Runs one external program (a scanner) to completion under limits: argv without a shell, an
// explicit environment, a working directory, a timeout and a bound on captured output.
// The child runs in its own process group so a timeout stops everything it started.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "util/status.h"

namespace promote::scan {

struct ProcessSpec {
  // argv[0] is a path, or a bare name looked up in the PATH entry of `env` (else the system
  // default path). Arguments are passed as they are: no shell, no expansion.
  std::vector<std::string> argv;
  // The complete environment, "NAME=value" each; nothing is inherited.
  std::vector<std::string> env;
  std::string workdir;  // empty: the caller's working directory
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  // After the timeout (or the output bound) the process group gets SIGTERM, then SIGKILL after
  // this grace period.
  std::chrono::milliseconds kill_grace{std::chrono::seconds(3)};
  // Bound on each of stdout and stderr; more stops the process (Ending::kOutputTooLarge).
  size_t max_output_bytes = 64u << 20;
};

struct ProcessOutcome {
  enum class Ending {
    kExited,          // exit_code is valid
    kSignalled,       // killed by `signal` (a crash, or someone else's kill)
    kTimedOut,        // we stopped it after ProcessSpec::timeout
    kOutputTooLarge,  // we stopped it after it printed more than max_output_bytes
  };
  Ending ending = Ending::kExited;
  int exit_code = -1;
  int signal = 0;
  std::string stdout_bytes;  // at most max_output_bytes (+ one read) each
  std::string stderr_bytes;
  std::chrono::milliseconds elapsed{0};
};

// Starts argv, waits for it within the limits, and reports how it ended. Stdin is /dev/null.
// Errors only when the program could not be started: NotFound when the executable does not exist
// or is not executable, InvalidArgument for an empty argv, Internal for a failing fork/pipe/chdir.
// Thread-safe: it touches no global state except spawning a child.
Result<ProcessOutcome> RunProcess(const ProcessSpec& spec);

}  // namespace promote::scan
