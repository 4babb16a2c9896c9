// The agent's file-descriptor budget. Every TCP connection, even one that never sends a byte,
// holds a descriptor; a service started with the common default soft limit (1024) is locked out
// by a thousand idle peers although the hard limit allows far more. The agent raises its soft
// limit to the hard one at start.
#pragma once

#include <cstdint>

namespace promote::server {

struct DescriptorLimit {
  uint64_t before = 0;  // the soft limit the agent was started with
  uint64_t after = 0;   // the soft limit now
  uint64_t hard = 0;
  bool raised() const { return after > before; }
};

// Sets RLIMIT_NOFILE's soft limit to its hard limit (at most 1,048,576 when the hard limit is
// unlimited, the kernel's default fs.nr_open). Never lowers it. Returns the figures either way.
DescriptorLimit RaiseDescriptorLimit();

}  // namespace promote::server
