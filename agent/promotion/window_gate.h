// The window gate: whether a promotion into an environment may happen at a given instant — inside
// one of its weekly windows (each in its own tzdata zone, so daylight-saving changes move them with
// local time) and outside every dated freeze. A break-glass reason overrides a refusal where the
// environment allows it, and the verdict then says so loudly ("overridden").
#pragma once

#include <chrono>
#include <string>

#include "policy/promote_config.h"
#include "promotion/gate_result.h"
#include "util/status.h"

namespace promote::promotion {

// The gate at `now`. `break_glass` is the reason given with --break-glass ("" when none). Pure:
// the clock is the caller's. Verdicts: passed, refused, or overridden (refused but for the
// break-glass, whose reason is in data.break_glass).
GateResult JudgeWindow(const policy::WindowGateConfig& gate, std::chrono::system_clock::time_point now,
                       const std::string& break_glass);

// Whether --break-glass may be used for `env` (kInvalidArgument naming the environment and
// promote.yaml's line otherwise): only where its window gate says break-glass: true. `origin` is
// promote.yaml's name for messages. An empty or blank reason is refused too.
Status CheckBreakGlassAllowed(const policy::Environment& env, const std::string& origin, const std::string& reason);

}  // namespace promote::promotion
