#include "server/descriptor_limit.h"

#include <dirent.h>
#include <sys/resource.h>

#include <string>

namespace promote::server {

DescriptorLimit RaiseDescriptorLimit() {
  // Beyond this the kernel refuses (fs.nr_open) unless an operator raised that too.
  constexpr rlim_t kCeiling = 1 << 20;
  DescriptorLimit out;
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return out;
  out.before = out.after = lim.rlim_cur;
  out.hard = lim.rlim_max;
  rlim_t want = lim.rlim_max == RLIM_INFINITY ? kCeiling : lim.rlim_max;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < want) {
    lim.rlim_cur = want;
    if (::setrlimit(RLIMIT_NOFILE, &lim) == 0) out.after = want;
  }
  return out;
}

Status CheckDescriptorsFree(int reserve) {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return OkStatus();
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return OkStatus();  // no /proc: nothing to go by, the call may still work
  uint64_t open = 0;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++open;
  }
  ::closedir(dir);
  if (open + static_cast<uint64_t>(reserve) <= lim.rlim_cur) return OkStatus();
  return Unavailable("the agent is short of file descriptors (" + std::to_string(open) + " of " +
                     std::to_string(lim.rlim_cur) + " open, an operation needs up to " + std::to_string(reserve) +
                     "): too many connections; retry later, or raise the agent's hard RLIMIT_NOFILE");
}

}  // namespace promote::server
