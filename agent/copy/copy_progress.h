// CopyProgress: counters a copy updates as it goes and a reporter reads at any time (the CLI
// prints them periodically on stderr; the agent streams them). Lock-free; shared by pointer.
#pragma once

#include <atomic>
#include <cstdint>

namespace promote::copy {

struct CopyProgress {
  std::atomic<int64_t> blobs_total{0};
  std::atomic<int64_t> blobs_done{0};
  std::atomic<int64_t> bytes_total{0};
  std::atomic<int64_t> bytes_done{0};      // copied + mounted + skipped so far
  std::atomic<int64_t> bytes_streamed{0};  // bytes that actually crossed the wire
  std::atomic<int64_t> manifests_done{0};
  std::atomic<int64_t> images_done{0};
  std::atomic<int64_t> images_total{0};
  // What the operation is doing: "resolve", "gates", "copy", "sign", "record", "tag", "scan"…
  // Always a string literal (static storage), so readers may keep the pointer.
  std::atomic<const char*> phase{"start"};
};

}  // namespace promote::copy
