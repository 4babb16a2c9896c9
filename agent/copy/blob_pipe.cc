#include "copy/blob_pipe.h"

#include <algorithm>
#include <cstring>

#include "registry/http_client.h"

namespace promote::copy {

BlobPipe::BlobPipe(int64_t expected_size, size_t capacity_bytes)
    : expected_size_(expected_size), capacity_(std::max<size_t>(capacity_bytes, 1)) {}

bool BlobPipe::Write(const char* data, size_t len) {
  std::unique_lock lock(mu_);
  if (written_ + static_cast<int64_t>(len) > expected_size_) {
    failed_ = true;
    cv_.notify_all();
    return false;
  }
  cv_.wait(lock, [&] { return reader_aborted_ || buffered_ < capacity_; });
  if (reader_aborted_) return false;
  chunks_.emplace_back(data, len);
  buffered_ += len;
  written_ += static_cast<int64_t>(len);
  cv_.notify_all();
  return true;
}

void BlobPipe::Finish(Status status) {
  std::lock_guard lock(mu_);
  finished_ = true;
  if (!status.ok() || written_ != expected_size_) failed_ = true;
  cv_.notify_all();
}

size_t BlobPipe::Read(char* buf, size_t len) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (failed_ || reader_aborted_) return registry::kAbortUpload;
    // Until the producer has verified the content, the final byte stays here.
    int64_t limit = finished_ ? expected_size_ : expected_size_ - 1;
    int64_t allowed = std::min<int64_t>(static_cast<int64_t>(buffered_), limit - delivered_);
    if (allowed > 0) {
      size_t n = std::min<size_t>(len, static_cast<size_t>(allowed));
      size_t copied = 0;
      while (copied < n) {
        std::string& front = chunks_.front();
        size_t take = std::min(n - copied, front.size() - front_offset_);
        std::memcpy(buf + copied, front.data() + front_offset_, take);
        copied += take;
        front_offset_ += take;
        if (front_offset_ == front.size()) {
          chunks_.pop_front();
          front_offset_ = 0;
        }
      }
      buffered_ -= n;
      delivered_ += static_cast<int64_t>(n);
      cv_.notify_all();
      return n;
    }
    if (finished_ && delivered_ == expected_size_) return 0;
    cv_.wait(lock);
  }
}

void BlobPipe::AbortReader() {
  std::lock_guard lock(mu_);
  reader_aborted_ = true;
  cv_.notify_all();
}

}  // namespace promote::copy
