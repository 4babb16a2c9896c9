// TransferPool: a fixed set of worker threads running blob and manifest transfers. It is the
// one place where copy work runs concurrently; the bound is the number of workers.
#pragma once

#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "util/log_context.h"

namespace promote::copy {

class TransferPool {
 public:
  explicit TransferPool(int workers);
  ~TransferPool();  // finishes queued work, then joins
  TransferPool(const TransferPool&) = delete;
  TransferPool& operator=(const TransferPool&) = delete;

  template <typename F>
  auto Submit(F fn) -> std::future<decltype(fn())> {
    using R = decltype(fn());
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
    auto future = task->get_future();
    {
      std::lock_guard lock(mu_);
      // The worker runs the task for the submitter's request (log lines name it).
      queue_.push([task, request_id = CurrentRequestId()] {
        ScopedRequestId scope(request_id);
        (*task)();
      });
    }
    cv_.notify_one();
    return future;
  }

  int workers() const { return static_cast<int>(threads_.size()); }

 private:
  void Work();
  std::mutex mu_;
  std::condition_variable cv_;
  std::queue<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace promote::copy
