// CopyProgress: counters a copy updates as it goes and a reporter reads at any time (the CLI
// prints them periodically on stderr; the agent streams them). The counters are lock-free; the
// list of blobs in flight takes a lock, once per blob. Shared by pointer.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

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

  // The digests of the blobs being transferred now, so a copy that hangs says on what.
  void BlobStarted(const std::string& digest) {
    std::lock_guard lock(in_flight_mu_);
    in_flight_.insert(digest);
  }
  void BlobEnded(const std::string& digest) {
    std::lock_guard lock(in_flight_mu_);
    in_flight_.erase(digest);
  }
  // Replaces the whole list (a client mirroring the agent's progress events).
  void SetBlobsInFlight(const std::vector<std::string>& digests) {
    std::lock_guard lock(in_flight_mu_);
    in_flight_ = std::set<std::string>(digests.begin(), digests.end());
  }
  std::vector<std::string> BlobsInFlight() const {
    std::lock_guard lock(in_flight_mu_);
    return {in_flight_.begin(), in_flight_.end()};
  }

 private:
  mutable std::mutex in_flight_mu_;
  std::set<std::string> in_flight_;
};

}  // namespace promote::copy
