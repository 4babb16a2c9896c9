// How commands speak: one JSON object on stdout with --output json, human text otherwise;
// progress on stderr (a live line on a terminal, periodic plain lines in CI logs).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "copy/copy_progress.h"
#include "util/status.h"

namespace promote::cli {

enum class OutputFormat { kText, kJson };

void PrintJson(const nlohmann::json& j);

// Reports a command that failed before producing its result: the JSON envelope on stdout (with
// `body`'s fields) in JSON mode, the message on stderr always. Returns the exit code.
int ReportFailure(OutputFormat format, const std::string& command, const Status& status,
                  nlohmann::json body = nlohmann::json::object());

// Prints copy progress to stderr until destroyed. Interval: `interval` on a non-TTY, 200 ms on
// a TTY. Prints nothing when `enabled` is false.
class ProgressPrinter {
 public:
  ProgressPrinter(const copy::CopyProgress* progress, bool enabled, std::chrono::milliseconds interval);
  ~ProgressPrinter();
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

 private:
  void Run();
  void PrintLine(bool final_line);
  const copy::CopyProgress* progress_;
  bool tty_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool printed_ = false;
  std::thread thread_;
};

}  // namespace promote::cli
