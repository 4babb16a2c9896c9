#include "server/admission.h"

#include <chrono>

namespace promote::server {

Status Admission::Enter(const std::function<bool()>& abandoned) {
  std::unique_lock lock(mu_);
  if (running_ < max_running_) {
    ++running_;
    return OkStatus();
  }
  if (queued_ >= max_queued_) {
    return Unavailable("the agent is busy: " + std::to_string(running_) + " operations running and " +
                       std::to_string(queued_) + " queued (limits.operations, limits.queue)");
  }
  ++queued_;
  // The caller's cancellation is not signalled to this condition variable, so it is re-checked
  // at a short interval.
  while (running_ >= max_running_) {
    if (abandoned()) {
      --queued_;
      return Status(Code::kCancelled, "cancelled while queued");
    }
    cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
  --queued_;
  ++running_;
  return OkStatus();
}

void Admission::Leave() {
  {
    std::lock_guard lock(mu_);
    --running_;
  }
  cv_.notify_one();
}

int Admission::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

int Admission::queued() const {
  std::lock_guard lock(mu_);
  return queued_;
}

}  // namespace promote::server
