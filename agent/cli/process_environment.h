// The CLI's own environment as the library takes it (util/environment_variables.h): the library
// never calls getenv, so each command passes this down (service settings, the agent's start, the
// docker config's location, promote.yaml's env: references in-process).
#pragma once

#include "util/environment_variables.h"

namespace promote::cli {

// A snapshot of this process's environment, taken now: a variable the CLI unsets before the call
// (the agent's LISTEN_* of socket activation) is not in it.
EnvironmentVariables ProcessEnvironment();

}  // namespace promote::cli
