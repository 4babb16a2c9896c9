#include "cli/socket_activation.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace promote::cli {
namespace {

constexpr int kFirstPassedDescriptor = 3;  // SD_LISTEN_FDS_START
constexpr long kMaxPassedDescriptors = 64;

bool ParseCount(const char* text, long max, long* out) {
  if (text == nullptr || *text == '\0') return false;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 0 || value > max) return false;
  *out = value;
  return true;
}

}  // namespace

Result<std::vector<int>> TakeActivatedSockets() {
  const char* pid_text = std::getenv("LISTEN_PID");
  const char* count_text = std::getenv("LISTEN_FDS");
  std::string pid = pid_text ? pid_text : "";
  std::string count = count_text ? count_text : "";
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  // Variables meant for another process (a parent that was activated and did not clear them).
  if (pid.empty() || pid != std::to_string(::getpid())) return std::vector<int>{};
  long n = 0;
  if (!ParseCount(count.c_str(), kMaxPassedDescriptors, &n)) {
    return InvalidArgument("socket activation: LISTEN_FDS is '" + count + "', not a number of sockets (0-" +
                           std::to_string(kMaxPassedDescriptors) + ")");
  }
  std::vector<int> fds;
  for (int fd = kFirstPassedDescriptor; fd < kFirstPassedDescriptor + n; ++fd) {
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
      return InvalidArgument("socket activation: LISTEN_FDS is " + count + " but descriptor " + std::to_string(fd) +
                             " is not open");
    }
    fds.push_back(fd);
  }
  return fds;
}

}  // namespace promote::cli
