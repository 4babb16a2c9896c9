// The kind of failure a Status is, as results state it for wrappers and scripts that branch on
// it or show it (JSON `error.category`, docs/result-json.md). One table, in step with ExitCodeFor.
#pragma once

#include "util/status.h"

namespace promote {

// "bad_input" (exit 2), "gate_refused" (3: a gate, a branch rule or a tag conflict), "auth" and
// "registry" (4: credentials missing or refused; the registry or the network failed),
// "cancelled" and "internal" (5); "ok" for kOk.
const char* CategoryName(Code code);

}  // namespace promote
