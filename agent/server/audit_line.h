// The agent's audit line: who did what. One `audit` event per call, built from the caller's
// identity and the operation's result — application, environments, commit, references, digest,
// verdict, tags written and moved. It holds names and outcomes only: the result JSON it reads
// from carries no secret, and nothing of the request's credentials is passed in.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "service/operation.h"

namespace promote::server {

// "promoted", "unchanged", "planned", "refused", "failed" for promotions; "ok", "refused"
// (exit code 3) or "failed" for the other operations.
std::string Verdict(const service::Outcome& outcome);

// The fields of the audit line an outcome provides (absent ones are left out).
nlohmann::json AuditFields(const service::Outcome& outcome);

}  // namespace promote::server
