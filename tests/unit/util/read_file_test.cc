#include "util/read_file.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/support/temp_dir.h"

using promote::CheckInputSize;
using promote::Code;
using promote::ReadSmallFile;
using promote::Status;
using promote::testing::TempDir;

TEST_CASE("ReadSmallFile: the whole file up to the limit, refused past it") {
  TempDir dir;
  const std::string path = dir.Write("key.pub", std::string(100, 'k'));
  auto exact = ReadSmallFile(path, "public key", 100);
  REQUIRE(exact.ok());
  CHECK(*exact == std::string(100, 'k'));

  auto over = ReadSmallFile(path, "public key", 99);
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().code() == Code::kInvalidArgument);
  CHECK(over.status().message() == "public key " + path + ": larger than 99 bytes");

  CHECK(ReadSmallFile(dir.Write("empty", ""), "config", 10).value().empty());
}

TEST_CASE("ReadSmallFile: a missing file names what it was for and why") {
  auto missing = ReadSmallFile("/nonexistent/dir/cosign.key", "cosign key", 10);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::kInvalidArgument);
  CHECK(missing.status().message() ==
        "cosign key /nonexistent/dir/cosign.key: cannot be read (No such file or directory)");
}

namespace {

// Writes `content` into the FIFO at `path` from another thread (SIGPIPE blocked there, so a
// reader that stops early only fails the write).
std::thread FeedFifo(const std::string& path, std::string content) {
  return std::thread([path, content = std::move(content)] {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    int fd = open(path.c_str(), O_WRONLY);
    if (fd < 0) return;
    if (write(fd, content.data(), content.size()) < 0) {
      // the reader stopped at its limit
    }
    close(fd);
  });
}

}  // namespace

TEST_CASE("ReadSmallFile: a pipe is read to its end, and bounded like a file") {
  TempDir dir;
  const std::string fifo = dir.path() + "/fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  std::thread small = FeedFifo(fifo, "token-value");
  auto read = ReadSmallFile(fifo, "token", 100);
  small.join();
  REQUIRE(read.ok());
  CHECK(*read == "token-value");

  std::thread large = FeedFifo(fifo, std::string(20000, 'x'));
  auto over = ReadSmallFile(fifo, "token", 10000);
  large.join();
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().message() == "token " + fifo + ": larger than 10000 bytes");
}

TEST_CASE("CheckInputSize: within the limit is OK, past it says by how much") {
  CHECK(CheckInputSize("abc", 3, "payload").ok());
  Status over = CheckInputSize("abcd", 3, "payload");
  CHECK(over.code() == Code::kInvalidArgument);
  CHECK(over.message() ==
        "payload: is 4 bytes, more than the limit of 3 bytes; check that it is the right file");
}
