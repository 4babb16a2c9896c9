#include "registry/host_limits.h"

#include <algorithm>

namespace promote::registry {

HostLimits::HostLimits(int max_concurrent_requests) : slots_(std::clamp(max_concurrent_requests, 1, 1024)) {}

void HostLimits::PauseFor(std::chrono::milliseconds wait) {
  std::lock_guard lock(mu_);
  paused_until_ = std::max(paused_until_, std::chrono::steady_clock::now() + wait);
}

void HostLimits::WaitForPause(const CancelToken* cancel) {
  std::chrono::steady_clock::time_point until;
  {
    std::lock_guard lock(mu_);
    until = paused_until_;
  }
  auto now = std::chrono::steady_clock::now();
  if (until > now) SleepUnlessCancelled(std::chrono::duration_cast<std::chrono::milliseconds>(until - now), cancel);
}

}  // namespace promote::registry
