#include "copy/blob_pipe.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "registry/http_client.h"

using promote::copy::BlobPipe;
using promote::registry::kAbortUpload;

namespace {

// Reads everything the pipe releases; returns the bytes, or "ABORT" when the reader was failed.
std::string Drain(BlobPipe& pipe) {
  std::string out;
  char buf[7];
  for (;;) {
    size_t n = pipe.Read(buf, sizeof buf);
    if (n == kAbortUpload) return "ABORT";
    if (n == 0) return out;
    out.append(buf, n);
  }
}

}  // namespace

TEST_CASE("a verified stream passes through a pipe smaller than the blob") {
  const std::string blob(10'000, 'x');
  BlobPipe pipe(static_cast<int64_t>(blob.size()), 64);
  std::string got;
  std::thread reader([&] { got = Drain(pipe); });
  for (size_t i = 0; i < blob.size(); i += 100) REQUIRE(pipe.Write(blob.data() + i, 100));
  pipe.Finish(promote::OkStatus());
  reader.join();
  CHECK(got == blob);
}

TEST_CASE("the last byte is held back until the producer has verified the stream") {
  BlobPipe pipe(4, 1024);
  REQUIRE(pipe.Write("abcd", 4));
  char buf[16];
  CHECK(pipe.Read(buf, sizeof buf) == 3);  // "abc" now; "d" only after Finish
  std::string rest;
  std::thread reader([&] { rest = Drain(pipe); });
  pipe.Finish(promote::DataLoss("digest mismatch"));
  reader.join();
  CHECK(rest == "ABORT");
}

TEST_CASE("more bytes than the descriptor's size fail the stream") {
  BlobPipe pipe(3, 1024);
  CHECK_FALSE(pipe.Write("abcd", 4));
  char buf[4];
  CHECK(pipe.Read(buf, sizeof buf) == kAbortUpload);
}

TEST_CASE("a reader that gives up unblocks a producer waiting on a full pipe") {
  BlobPipe pipe(1'000, 10);
  REQUIRE(pipe.Write("0123456789", 10));
  bool second = true;
  std::thread writer([&] { second = pipe.Write("0123456789", 10); });
  pipe.AbortReader();
  writer.join();
  CHECK_FALSE(second);
}
