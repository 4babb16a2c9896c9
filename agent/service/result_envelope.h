// The envelope of every JSON result the CLI prints and the agent returns (docs/result-json.md):
// {"schema":1,"command":…,"ok":…,"error":{code, category, exit_code, message} or null} plus the
// command's own fields. The engines below the service (copy, promotion) render only those fields,
// the body; the service's operations, and the CLI for its local-only commands, wrap it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace promote::service {

// The envelope for `command` ending with `status`, plus `body`'s fields (a non-object adds none).
nlohmann::json ResultEnvelope(const std::string& command, const Status& status, nlohmann::json body);

}  // namespace promote::service
