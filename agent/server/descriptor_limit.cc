#include "server/descriptor_limit.h"

#include <sys/resource.h>

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

}  // namespace promote::server
