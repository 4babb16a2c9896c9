// Sockets a service manager passes to the agent it starts on demand: systemd socket activation
// (sd_listen_fds(3)), the protocol also used by other supervisors. Read here in the CLI, so the
// library never consults the environment, and implemented rather than taken from libsystemd so
// the portable binary needs no libsystemd: the protocol is two variables and a descriptor range.
#pragma once

#include <vector>

#include "util/status.h"

namespace promote::cli {

// The descriptors passed to this process (3 … 3+LISTEN_FDS-1 when LISTEN_PID is this process),
// marked close-on-exec so no scanner or credential helper inherits them; empty when none were
// passed. LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from the environment either way,
// so no child takes the sockets for its own. A malformed LISTEN_FDS is an error naming it.
Result<std::vector<int>> TakeActivatedSockets();

}  // namespace promote::cli
