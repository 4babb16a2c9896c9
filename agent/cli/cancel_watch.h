// CancelWatch: while a command runs, turns the first SIGINT/SIGTERM (Ctrl-C, a CI job being
// aborted) or the end of --timeout into a call of `cancel`, so the operation stops cleanly and
// writes no tag. A second signal ends the process at once, as usual.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace promote::cli {

class CancelWatch {
 public:
  // timeout_s <= 0: no timeout.
  CancelWatch(int timeout_s, std::function<void()> cancel);
  ~CancelWatch();
  CancelWatch(const CancelWatch&) = delete;
  CancelWatch& operator=(const CancelWatch&) = delete;

  // Why cancel was called: "", "interrupted" or "timed out". Safe to read while it runs.
  const char* reason() const;

 private:
  void Run();
  std::function<void()> cancel_;
  std::chrono::steady_clock::time_point deadline_;
  bool has_deadline_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<const char*> reason_{""};
  std::thread thread_;
};

}  // namespace promote::cli
