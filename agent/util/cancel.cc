#include "util/cancel.h"

#include <algorithm>
#include <thread>

namespace promote {

void SleepUnlessCancelled(std::chrono::milliseconds duration, const CancelToken* cancel) {
  // Polled in short steps: a CancelToken is a flag, not something a sleeper can be woken by.
  const auto until = std::chrono::steady_clock::now() + duration;
  for (auto now = std::chrono::steady_clock::now(); now < until; now = std::chrono::steady_clock::now()) {
    if (cancel != nullptr && cancel->cancelled()) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(50), until - now));
  }
}

}  // namespace promote
