// CancelToken: a flag a caller sets to stop long work (a copy, a scan) at the next check.
// Thread-safe; shared by pointer between the caller and the workers it starts.
#pragma once

#include <atomic>
#include <chrono>

namespace promote {

class CancelToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

// Sleeps for `duration`, returning early once `cancel` (may be null) is cancelled: waits between
// retries must not hold up a cancelled operation.
void SleepUnlessCancelled(std::chrono::milliseconds duration, const CancelToken* cancel);

}  // namespace promote
