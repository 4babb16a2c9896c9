#include "promotion/window_gate.h"

#include <doctest/doctest.h>

#include "promotion/promotion_record.h"

using namespace promote;
using namespace promote::promotion;

namespace {

std::chrono::system_clock::time_point At(const std::string& rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  REQUIRE_MESSAGE(t.has_value(), rfc3339);
  return *t;
}

policy::WindowGateConfig Gate(std::vector<std::string> allow, std::vector<policy::Freeze> freeze = {},
                              bool break_glass = false) {
  policy::WindowGateConfig g;
  for (const auto& a : allow) {
    auto w = policy::ParseWeeklyWindow(a);
    REQUIRE_MESSAGE(w.ok(), w.status().ToString());
    g.allow.push_back(*w);
  }
  g.freeze = std::move(freeze);
  g.time_zone = "Europe/Berlin";
  g.break_glass = break_glass;
  return g;
}

}  // namespace

TEST_CASE("window: inside and outside a weekly window, in the window's own time zone") {
  const auto gate = Gate({"Mon-Thu 09:00-16:00 Europe/Berlin"});
  struct Case {
    const char* now;  // UTC
    const char* verdict;
    const char* why;
  } cases[] = {
      // 2026-06-02 is a Tuesday; Berlin is UTC+2 in summer.
      {"2026-06-02T07:00:00Z", "passed", "09:00 Berlin: the window opens"},
      {"2026-06-02T06:59:59Z", "refused", "08:59 Berlin: before it"},
      {"2026-06-02T13:59:00Z", "passed", "15:59 Berlin"},
      {"2026-06-02T14:00:00Z", "refused", "16:00 Berlin: the end is exclusive"},
      {"2026-06-05T10:00:00Z", "refused", "a Friday"},
      {"2026-06-07T10:00:00Z", "refused", "a Sunday"},
      // In winter Berlin is UTC+1: 08:30 UTC is 09:30 there, inside; 15:30 UTC is 16:30, outside.
      {"2026-01-13T08:30:00Z", "passed", "winter, inside"},
      {"2026-01-13T15:30:00Z", "refused", "winter, after"},
      // Monday 00:30 Berlin is Sunday 22:30 UTC: the local day decides.
      {"2026-06-07T22:30:00Z", "refused", "Monday 00:30 Berlin, before 09:00"},
      {"2026-06-08T07:30:00Z", "passed", "Monday 09:30 Berlin"},
  };
  for (const auto& c : cases) {
    INFO(c.now);
    INFO(c.why);
    GateResult g = JudgeWindow(gate, At(c.now), "");
    CHECK(VerdictName(g.verdict) == c.verdict);
    CHECK(g.name == "window");
  }
}

TEST_CASE("window: daylight-saving edges follow local time (tzdata)") {
  // Berlin springs forward on 2026-03-29 (a Sunday) at 02:00 -> 03:00, and falls back on
  // 2026-10-25 at 03:00 -> 02:00.
  const auto night = Gate({"Sun 02:00-03:00 Europe/Berlin"});
  struct Case {
    const char* now;
    const char* verdict;
    const char* why;
  } cases[] = {
      {"2026-03-29T00:59:59Z", "refused", "01:59:59 CET, the last second before the jump"},
      {"2026-03-29T01:00:00Z", "refused", "03:00 CEST: 02:00-03:00 never happens that night"},
      {"2026-10-25T00:00:00Z", "passed", "02:00 CEST, the first 02:00"},
      {"2026-10-25T00:59:59Z", "passed", "02:59:59 CEST"},
      {"2026-10-25T01:00:00Z", "passed", "02:00 CET, the second 02:00"},
      {"2026-10-25T02:00:00Z", "refused", "03:00 CET"},
  };
  for (const auto& c : cases) {
    INFO(c.now);
    INFO(c.why);
    CHECK(VerdictName(JudgeWindow(night, At(c.now), "").verdict) == c.verdict);
  }
  // A morning window keeps its local hours across the change: 08:00 UTC is 09:00 before, 10:00 after.
  const auto morning = Gate({"Mon-Fri 09:00-09:30 Europe/Berlin"});
  CHECK(JudgeWindow(morning, At("2026-03-27T08:10:00Z"), "").verdict == Verdict::kPassed);   // Fri 09:10 CET
  CHECK(JudgeWindow(morning, At("2026-03-30T08:10:00Z"), "").verdict == Verdict::kRefused);  // Mon 10:10 CEST
  CHECK(JudgeWindow(morning, At("2026-03-30T07:10:00Z"), "").verdict == Verdict::kPassed);   // Mon 09:10 CEST
}

TEST_CASE("window: windows in several zones, and a day range that wraps over the weekend") {
  const auto gate = Gate({"Mon 09:00-10:00 America/New_York", "Fri-Mon 22:00-24:00 Asia/Tokyo"});
  CHECK(JudgeWindow(gate, At("2026-06-01T13:30:00Z"), "").verdict == Verdict::kPassed);   // Mon 09:30 New York (EDT)
  CHECK(JudgeWindow(gate, At("2026-06-01T12:30:00Z"), "").verdict == Verdict::kRefused);  // Mon 08:30 New York
  CHECK(JudgeWindow(gate, At("2026-06-06T13:30:00Z"), "").verdict == Verdict::kPassed);   // Sat 22:30 Tokyo
  CHECK(JudgeWindow(gate, At("2026-06-03T13:30:00Z"), "").verdict == Verdict::kRefused);  // Wed 22:30 Tokyo
}

TEST_CASE("window: a freeze refuses even inside a window; dates are local days in the gate's zone") {
  const auto gate = Gate({"Mon-Sun 00:00-24:00 Europe/Berlin"},
                         {{{2026, 12, 20}, {2027, 1, 4}, "year-end freeze"}});
  struct Case {
    const char* now;
    const char* verdict;
  } cases[] = {
      {"2026-12-19T22:59:59Z", "passed"},   // 23:59:59 on the 19th in Berlin
      {"2026-12-19T23:00:00Z", "refused"},  // 00:00 on the 20th in Berlin
      {"2027-01-04T22:59:59Z", "refused"},  // the last second of the 4th
      {"2027-01-04T23:00:00Z", "passed"},   // the 5th
  };
  for (const auto& c : cases) {
    INFO(c.now);
    GateResult g = JudgeWindow(gate, At(c.now), "");
    CHECK(VerdictName(g.verdict) == c.verdict);
    if (g.refused()) {
      CHECK(g.detail.find("year-end freeze") != std::string::npos);
      CHECK(g.data["freeze"]["from"] == "2026-12-20");
    }
  }
}

TEST_CASE("window: break-glass overrides a refusal only where the gate allows it, and says so") {
  const policy::Freeze freeze{{2026, 12, 20}, {2027, 1, 4}, "year-end"};
  const auto allowed = Gate({"Mon-Fri 09:00-16:00 Europe/Berlin"}, {freeze}, true);
  const auto not_allowed = Gate({"Mon-Fri 09:00-16:00 Europe/Berlin"}, {freeze}, false);
  const auto frozen = At("2026-12-22T10:00:00Z");
  const auto outside = At("2026-06-06T10:00:00Z");  // a Saturday
  const auto inside = At("2026-06-02T10:00:00Z");

  GateResult g = JudgeWindow(allowed, frozen, "INC-42 payment outage");
  CHECK(g.verdict == Verdict::kOverridden);
  CHECK_FALSE(g.refused());
  CHECK(g.detail.find("BREAK-GLASS") != std::string::npos);
  CHECK(g.detail.find("INC-42 payment outage") != std::string::npos);
  CHECK(g.data["break_glass"] == "INC-42 payment outage");
  CHECK(JudgeWindow(allowed, outside, "INC-42").verdict == Verdict::kOverridden);
  CHECK(JudgeWindow(allowed, inside, "INC-42").verdict == Verdict::kPassed);  // nothing to override
  CHECK_FALSE(JudgeWindow(allowed, inside, "INC-42").data.contains("break_glass"));
  CHECK(JudgeWindow(allowed, frozen, "").verdict == Verdict::kRefused);
  CHECK(JudgeWindow(not_allowed, frozen, "INC-42").verdict == Verdict::kRefused);
  CHECK(JudgeWindow(not_allowed, outside, "INC-42").verdict == Verdict::kRefused);
}

TEST_CASE("window: --break-glass is bad input where the environment does not allow it") {
  policy::Environment env;
  env.name = "prod";
  env.line = 12;
  CHECK(CheckBreakGlassAllowed(env, "promote.yaml", "INC-1").code() == Code::kInvalidArgument);
  CHECK(CheckBreakGlassAllowed(env, "promote.yaml", "INC-1").message().find("promote.yaml:12") != std::string::npos);
  env.window = Gate({"Mon 09:00-10:00 UTC"});
  CHECK(CheckBreakGlassAllowed(env, "promote.yaml", "INC-1").code() == Code::kInvalidArgument);
  env.window->break_glass = true;
  CHECK(CheckBreakGlassAllowed(env, "promote.yaml", "INC-1").ok());
  CHECK(CheckBreakGlassAllowed(env, "promote.yaml", "   ").code() == Code::kInvalidArgument);
}
