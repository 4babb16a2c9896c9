#include "policy/change_gates.h"

#include <doctest/doctest.h>

#include "policy/promote_config.h"

using namespace promote;
using namespace promote::policy;

namespace {

std::string Config(const std::string& prod_gates) {
  return "version: 1\nimage: payment-svc\nenvironments:\n"
         "  - {name: stage, registry: r.io, repository: stage/app}\n"
         "  - name: prod\n    registry: r.io\n    repository: prod/app\n    gates:\n" +
         prod_gates;
}

}  // namespace

TEST_CASE("durations: units d, h, m, s, combined; anything else is named in the error") {
  struct Case {
    const char* text;
    long long seconds;  // -1: refused
  } cases[] = {
      {"24h", 86400}, {"90m", 5400}, {"1h30m", 5400}, {"3d", 259200}, {"45s", 45}, {"1d2h3m4s", 93784},
      {"", -1},       {"24", -1},    {"h", -1},       {"1w", -1},     {"0h", -1},  {"1h1h", -1},
      {"-1h", -1},    {"1.5h", -1},  {"9999999999h", -1}, {"3700d", -1},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto d = ParseDuration(c.text, "soak");
    if (c.seconds < 0) {
      REQUIRE_FALSE(d.ok());
      CHECK(d.status().code() == Code::kInvalidArgument);
      CHECK(d.status().message().find("'" + std::string(c.text) + "'") != std::string::npos);
    } else {
      REQUIRE(d.ok());
      CHECK(d->count() == c.seconds);
      CHECK(ParseDuration(FormatDuration(*d), "x")->count() == c.seconds);
    }
  }
  CHECK(FormatDuration(std::chrono::hours(72)) == "3d");
  CHECK(FormatDuration(std::chrono::minutes(90)) == "1h30m");
}

TEST_CASE("weekly windows: days, hours and a tzdata zone") {
  auto w = ParseWeeklyWindow("Mon-Thu 09:00-16:00 Europe/Berlin");
  REQUIRE(w.ok());
  CHECK(w->weekdays == std::set<int>{0, 1, 2, 3});
  CHECK(w->start_minute == 9 * 60);
  CHECK(w->end_minute == 16 * 60);
  CHECK(w->zone == "Europe/Berlin");
  CHECK(ParseWeeklyWindow("Fri-Mon 00:00-24:00 UTC")->weekdays == std::set<int>{4, 5, 6, 0});
  CHECK(ParseWeeklyWindow("mon,wed,Fri 08:00-08:30 America/New_York")->weekdays == std::set<int>{0, 2, 4});
  CHECK(ParseWeeklyWindow("Sun  02:00-03:00   Europe/Berlin").ok());
}

TEST_CASE("weekly windows: a bad spec is refused naming the entry and the part that is wrong") {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"Mon-Thu 09:00-16:00", "expected days, hours and a time zone"},
      {"Mon-Xyz 09:00-16:00 UTC", "'Mon-Xyz' is not a day range"},
      {"Mon-Tue-Wed 09:00-16:00 UTC", "is not a day range"},
      {"Mon 9:00-16:00 UTC", "is not a time range"},
      {"Mon 09:00-25:00 UTC", "is not a time range"},
      {"Mon 09:60-10:00 UTC", "is not a time range"},
      {"Mon 24:00-24:00 UTC", "is not a time range"},
      {"Mon 16:00-09:00 UTC", "ends before it starts"},
      {"Mon 09:00-09:00 UTC", "ends before it starts"},
      {"Mon 09:00-16:00 Europe/Atlantis", "unknown time zone 'Europe/Atlantis'"},
      {"Mon 09:00-16:00 ../../etc/passwd", "unknown time zone"},
      {"Mon 09:00-16:00 /etc/localtime", "unknown time zone"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto w = ParseWeeklyWindow(c.text);
    REQUIRE_FALSE(w.ok());
    CHECK(w.status().code() == Code::kInvalidArgument);
    CHECK(w.status().message().find("window '" + std::string(c.text) + "'") != std::string::npos);
    CHECK(w.status().message().find(c.says) != std::string::npos);
  }
}

TEST_CASE("promote.yaml: window, soak and approval gates parse") {
  auto c = ParsePromoteConfig(Config("      window:\n"
                                     "        allow: [\"Mon-Thu 09:00-16:00 Europe/Berlin\"]\n"
                                     "        freeze: [{from: 2026-12-20, to: 2027-01-04, reason: year-end}]\n"
                                     "        time-zone: Europe/Berlin\n"
                                     "        break-glass: true\n"
                                     "      soak: 24h\n"
                                     "      approval:\n"
                                     "        required: 2\n"
                                     "        approvers: [alice, bob, {identity: dave, key: keys/dave.pub}]\n"
                                     "        expires-after: 48h\n"
                                     "        no-self-approval: false\n"),
                              "promote.yaml");
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  const Environment& prod = c->environments[1];
  REQUIRE(prod.window.has_value());
  CHECK(prod.window->allow.size() == 1);
  REQUIRE(prod.window->freeze.size() == 1);
  CHECK(prod.window->freeze[0].from.str() == "2026-12-20");
  CHECK(prod.window->freeze[0].to.str() == "2027-01-04");
  CHECK(prod.window->freeze[0].reason == "year-end");
  CHECK(prod.window->break_glass);
  REQUIRE(prod.soak.has_value());
  CHECK(*prod.soak == std::chrono::hours(24));
  REQUIRE(prod.approval.has_value());
  CHECK(prod.approval->required == 2);
  CHECK(prod.approval->approvers.size() == 3);
  CHECK(prod.approval->Find("dave")->key == "keys/dave.pub");
  CHECK(prod.approval->expires_after == std::chrono::hours(48));
  CHECK_FALSE(prod.approval->no_self_approval);
  // Defaults: 72h, no self-approval, one approval, no break-glass.
  auto d = ParsePromoteConfig(Config("      approval: {approvers: [alice]}\n      window: {allow: [\"Mon 09:00-10:00 UTC\"]}\n"),
                              "promote.yaml");
  REQUIRE_MESSAGE(d.ok(), d.status().ToString());
  CHECK(d->environments[1].approval->required == 1);
  CHECK(d->environments[1].approval->expires_after == std::chrono::hours(72));
  CHECK(d->environments[1].approval->no_self_approval);
  CHECK_FALSE(d->environments[1].window->break_glass);
}

TEST_CASE("promote.yaml: bad change-control gates are refused with the line and the entry") {
  struct Case {
    std::string gates;
    const char* says;
  } cases[] = {
      {"      window: {allow: [\"Mon-Thu 09:00-16:00 Mars/Olympus\"]}\n", "promote.yaml:9:"},
      {"      window: {allow: [\"Mon-Thu 09:00-16:00 Mars/Olympus\"]}\n", "unknown time zone 'Mars/Olympus'"},
      {"      window: {allow: [\"Mon-Thu 17:00-09:00 UTC\"]}\n", "window 'Mon-Thu 17:00-09:00 UTC'"},
      {"      window: {}\n", "needs allow"},
      {"      window: {allow: []}\n", "at least one window"},
      {"      window: {freeze: [{from: 2027-01-04, to: 2026-12-20, reason: x}]}\n", "before it starts"},
      {"      window: {freeze: [{from: 2026-12-20, to: 2027-01-04}]}\n", "needs from, to and reason"},
      {"      window: {freeze: [{from: 2026-12-20, to: 2027-01-04, reason: \" \"}]}\n", "needs a reason"},
      {"      window: {freeze: [{from: 2026-13-20, to: 2027-01-04, reason: x}]}\n", "'2026-13-20'"},
      {"      window: {allow: [\"Mon 09:00-10:00 UTC\"], break-glass: maybe}\n", "break-glass must be true or false"},
      {"      window: {allow: [\"Mon 09:00-10:00 UTC\"], time-zone: Nowhere}\n", "unknown time zone 'Nowhere'"},
      {"      window: {allow: [\"Mon 09:00-10:00 UTC\"], open: always}\n", "unknown key 'open'"},
      {"      soak: 24\n", "'24'"},
      {"      soak: 1w\n", "unknown unit 'w'"},
      {"      approval: {required: 2}\n", "approvers must list"},
      {"      approval: {required: 3, approvers: [alice, bob]}\n", "only 2 approver(s)"},
      {"      approval: {required: 0, approvers: [alice]}\n", "between 1 and"},
      {"      approval: {approvers: [alice, alice]}\n", "'alice' is listed twice"},
      {"      approval: {approvers: [\"alice smith\"]}\n", "is not an identity"},
      {"      approval: {approvers: [{identity: dave}]}\n", "needs identity and key"},
      {"      approval: {approvers: [alice], expires-after: soon}\n", "'soon'"},
      {"      approval: {approvers: [alice], quorum: 1}\n", "unknown key 'quorum'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.gates);
    auto parsed = ParsePromoteConfig(Config(c.gates), "promote.yaml");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(parsed.status().message().find(c.says) != std::string::npos, parsed.status().message());
  }
}

TEST_CASE("promote.yaml: soak on the first environment has nothing to soak in") {
  auto c = ParsePromoteConfig("version: 1\nenvironments:\n"
                              "  - {name: dev, registry: r.io, repository: dev/app, gates: {soak: 1h}}\n",
                              "promote.yaml");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().find("no previous environment to soak in") != std::string::npos);
}
