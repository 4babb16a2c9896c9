#include "promotion/window_gate.h"

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <cstdio>

#include "policy/promote_config.h"

namespace promote::promotion {
namespace {

const char* const kDayNames[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone tz;  // UTC when the name does not load; names were checked when promote.yaml was read
  (void)absl::LoadTimeZone(name, &tz);
  return tz;
}

int DayIndex(absl::CivilDay day) { return static_cast<int>(absl::GetWeekday(day)); }  // Monday = 0

// "Tue 2026-03-31 10:12 Europe/Berlin"
std::string LocalText(absl::CivilSecond cs, const std::string& zone) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s %04d-%02d-%02d %02d:%02d", kDayNames[DayIndex(absl::CivilDay(cs))],
                static_cast<int>(cs.year()), cs.month(), cs.day(), cs.hour(), cs.minute());
  return std::string(buf) + " " + zone;
}

bool Inside(const policy::WeeklyWindow& w, absl::Time now) {
  absl::CivilSecond local = Zone(w.zone).At(now).cs;
  int minute = local.hour() * 60 + local.minute();
  return w.weekdays.count(DayIndex(absl::CivilDay(local))) != 0 && minute >= w.start_minute &&
         minute < w.end_minute;
}

const policy::Freeze* FrozenBy(const policy::WindowGateConfig& gate, absl::Time now) {
  absl::CivilDay today(Zone(gate.time_zone).At(now).cs);
  policy::CivilDate d{static_cast<int>(today.year()), today.month(), today.day()};
  for (const auto& f : gate.freeze) {
    if (f.from <= d && d <= f.to) return &f;
  }
  return nullptr;
}

}  // namespace

GateResult JudgeWindow(const policy::WindowGateConfig& gate, std::chrono::system_clock::time_point now,
                       const std::string& break_glass) {
  const absl::Time t = absl::FromChrono(now);
  GateResult g{"window", Verdict::kPassed, ""};
  g.data = nlohmann::json::object();
  std::string refusal;
  if (const policy::Freeze* f = FrozenBy(gate, t)) {
    refusal = "frozen from " + f->from.str() + " to " + f->to.str() + " (" + gate.time_zone + "): " + f->reason;
    g.data["freeze"] = {{"from", f->from.str()}, {"to", f->to.str()}, {"reason", f->reason}};
  } else if (!gate.allow.empty()) {
    const policy::WeeklyWindow* open = nullptr;
    for (const auto& w : gate.allow) {
      if (Inside(w, t)) {
        open = &w;
        break;
      }
    }
    const policy::WeeklyWindow& first = gate.allow.front();
    const std::string local = LocalText(Zone(first.zone).At(t).cs, first.zone);
    if (open != nullptr) {
      g.detail = "inside the window " + open->text + " (" + LocalText(Zone(open->zone).At(t).cs, open->zone) + ")";
    } else {
      std::string windows;
      for (const auto& w : gate.allow) windows += (windows.empty() ? "" : "; ") + w.text;
      refusal = "outside every window (" + windows + ") at " + local;
    }
  } else {
    g.detail = "no freeze today (" + gate.time_zone + ")";
  }
  if (refusal.empty()) return g;
  if (!break_glass.empty() && gate.break_glass) {
    g.verdict = Verdict::kOverridden;
    g.detail = "BREAK-GLASS: " + refusal + "; overridden: " + break_glass;
    g.data["break_glass"] = break_glass;
    return g;
  }
  g.verdict = Verdict::kRefused;
  g.detail = refusal + (gate.break_glass ? " (--break-glass REASON overrides it)" : "");
  return g;
}

Status CheckBreakGlassAllowed(const policy::Environment& env, const std::string& origin, const std::string& reason) {
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidArgument("--break-glass needs a reason people can read (it is kept in the promotion record)");
  }
  if (reason.size() > 1024) return InvalidArgument("--break-glass: the reason is longer than 1024 characters");
  if (!env.window || !env.window->break_glass) {
    return InvalidArgument("--break-glass is not allowed for environment '" + env.name + "' (" + origin + ":" +
                           std::to_string(env.line) + "): only a window gate with break-glass: true may be " +
                           "overridden");
  }
  return OkStatus();
}

}  // namespace promote::promotion
