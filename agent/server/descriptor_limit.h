// The agent's file-descriptor budget. Every TCP connection, even one that never sends a byte,
// holds a descriptor; a service started with the common default soft limit (1024) is locked out
// by a thousand idle peers although the hard limit allows far more. The agent raises its soft
// limit to the hard one at start.
#pragma once

#include <cstdint>

#include "util/status.h"

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

// Descriptors an operation may need (registry connections for its transfers, temporary files,
// a scanner's pipes). Fewer free than this, and a new operation is refused up front rather than
// failing half-way with an error about a socket or a file.
inline constexpr int kDescriptorsPerOperation = 64;

// OK, or kUnavailable saying how many descriptors are open of how many, when fewer than
// `reserve` are free (idle or hostile connections hold them; they are closed after the
// handshake and idle timeouts).
Status CheckDescriptorsFree(int reserve);

}  // namespace promote::server
