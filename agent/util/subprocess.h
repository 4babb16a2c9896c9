// Running a helper program (credential helpers, scanners) without a shell: argv in, exit
// status and bounded stdout/stderr out, with a timeout that kills the whole process group.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace promote {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::string stdin_data;
  // When set, the child's whole environment (nothing is inherited); otherwise it inherits ours.
  std::optional<std::map<std::string, std::string>> env;
  std::string workdir;  // empty: inherit
  std::chrono::milliseconds timeout{30'000};
  size_t max_output_bytes = 1024 * 1024;  // per stream; more is an error
};

struct ProcessResult {
  int exit_code = -1;     // valid when !signaled
  int signal = 0;         // the signal that killed it, 0 if it exited
  bool timed_out = false;
  bool output_truncated = false;
  std::string stdout_data;
  std::string stderr_data;
};

// Starts the program and waits for it. Failing to start it (missing program) is kNotFound;
// timeouts and oversize output are reported in the result, not as errors, so callers can
// word them for their context.
Result<ProcessResult> RunProcess(const ProcessOptions& options);

}  // namespace promote
