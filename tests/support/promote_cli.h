// Running the real `promote` binary from tests, with a controlled environment, and reading its
// JSON result.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace promote::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
  // stdout parsed as JSON (throws std::runtime_error with out/err when it is not).
  nlohmann::json Json() const;
};

// The promote binary of this build.
std::string PromoteBinary();

// Runs promote with `args`. The environment is HOME (a fresh temp dir, so no user docker config
// leaks in), PATH, and `env`. Throws if the binary cannot be started.
CliRun RunPromote(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                  int timeout_seconds = 300);

// Runs both at once (released together from a latch, each on its own thread) and returns their
// results: the two sides of a race.
std::pair<CliRun, CliRun> RunTogether(const std::function<CliRun()>& a, const std::function<CliRun()>& b);

}  // namespace promote::testing
