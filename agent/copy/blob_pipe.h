// BlobPipe: a bounded in-memory pipe from a blob download to its upload, so a blob streams
// registry-to-registry without ever being held whole (memory stays at `capacity` bytes).
// The last byte is held back until the producer has verified the digest: an upload can never
// complete with content that failed verification. One producer thread, one consumer thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "util/status.h"

namespace promote::copy {

class BlobPipe {
 public:
  BlobPipe(int64_t expected_size, size_t capacity_bytes);

  // Producer: appends bytes, blocking while the pipe is full. False when the consumer gave up
  // or more bytes arrive than expected.
  bool Write(const char* data, size_t len);
  // Producer: ends the stream. OK releases the held-back bytes; an error makes Read abort.
  void Finish(Status status);

  // Consumer: copies up to len bytes into buf, blocking until some are allowed. Returns 0 at
  // the end of a verified stream and kAbortUpload (from http_client.h) on failure.
  size_t Read(char* buf, size_t len);
  // Consumer: gives up (the upload failed); unblocks and fails the producer.
  void AbortReader();

 private:
  const int64_t expected_size_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  size_t front_offset_ = 0;   // bytes of chunks_.front() already read
  size_t buffered_ = 0;       // unread bytes in chunks_
  int64_t written_ = 0;
  int64_t delivered_ = 0;
  bool finished_ = false;
  bool failed_ = false;
  bool reader_aborted_ = false;
};

}  // namespace promote::copy
