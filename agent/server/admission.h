// Admission: at most `running` operations at once, at most `queued` more waiting for a slot;
// beyond that a call is refused at once (RESOURCE_EXHAUSTED) rather than piling up. A waiting
// call gives up when its caller cancels or the agent shuts down.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

#include "util/status.h"

namespace promote::server {

class Admission {
 public:
  Admission(int running, int queued) : max_running_(running), max_queued_(queued) {}

  // Waits for a slot. `abandoned` is polled while waiting (caller gone, shutdown).
  Status Enter(const std::function<bool()>& abandoned);
  void Leave();

  int running() const;
  int queued() const;

 private:
  const int max_running_;
  const int max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
  int queued_ = 0;
};

}  // namespace promote::server
