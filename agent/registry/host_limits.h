// What every client of one registry host shares, whichever credentials it uses: the limit on
// concurrent requests to the host and the pause a 429 with Retry-After asked for. A registry
// throttles by host, not by account, so two robots pushing to one Harbor count together.
#pragma once

#include <chrono>
#include <mutex>
#include <semaphore>

#include "util/cancel.h"

namespace promote::registry {

class HostLimits {
 public:
  explicit HostLimits(int max_concurrent_requests);
  HostLimits(const HostLimits&) = delete;
  HostLimits& operator=(const HostLimits&) = delete;

  // Holds one request slot for its lifetime.
  class Slot {
   public:
    explicit Slot(HostLimits& limits) : limits_(limits) { limits_.slots_.acquire(); }
    ~Slot() { limits_.slots_.release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    HostLimits& limits_;
  };

  // No request to the host before `wait` from now (a longer pause already asked for stands).
  void PauseFor(std::chrono::milliseconds wait);
  // Waits out the pause, if any, unless cancelled first.
  void WaitForPause(const CancelToken* cancel);

 private:
  std::counting_semaphore<1024> slots_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point paused_until_{};
};

}  // namespace promote::registry
