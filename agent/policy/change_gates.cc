#include "policy/change_gates.h"

#include <absl/time/time.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cctype>
#include <cstdio>

#include "policy/yaml_reader.h"
#include "scan/allowlist.h"

namespace promote::policy {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
// Longer than any change process needs, short enough that no sum of units overflows.
constexpr int64_t kMaxDurationSeconds = int64_t{10} * 366 * 24 * 3600;

std::optional<int> DayIndex(std::string_view name) {
  for (size_t i = 0; i < kDays.size(); ++i) {
    if (name.size() == 3 && std::tolower(static_cast<unsigned char>(name[0])) == std::tolower(kDays[i][0]) &&
        std::tolower(static_cast<unsigned char>(name[1])) == kDays[i][1] &&
        std::tolower(static_cast<unsigned char>(name[2])) == kDays[i][2]) {
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == sep) {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// "Mon-Thu", "Mon,Wed,Fri", "Fri-Mon" (wraps over the weekend).
std::optional<std::set<int>> ParseDays(std::string_view text) {
  std::set<int> days;
  for (std::string_view item : Split(text, ',')) {
    auto range = Split(item, '-');
    if (range.size() > 2) return std::nullopt;
    auto first = DayIndex(range.front());
    auto last = DayIndex(range.back());
    if (!first || !last) return std::nullopt;
    for (int d = *first;; d = (d + 1) % 7) {
      days.insert(d);
      if (d == *last) break;
    }
  }
  return days;
}

// "09:00" → 540; "24:00" only when `end`.
std::optional<int> ParseClock(std::string_view text, bool end) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  int h = (text[0] - '0') * 10 + (text[1] - '0');
  int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end))) return std::nullopt;
  return h * 60 + m;
}

Result<CivilDate> ParseDate(const Reader& r, const YAML::Node& n, const std::string& what) {
  PROMOTE_ASSIGN_OR_RETURN(std::string text, r.String(n, what));
  auto date = scan::ParseIsoDate(text);
  if (!date) return r.Error(n, what + " must be a date YYYY-MM-DD, not '" + text + "'");
  return CivilDate{static_cast<int>(date->year()), static_cast<int>(static_cast<unsigned>(date->month())),
                   static_cast<int>(static_cast<unsigned>(date->day()))};
}

bool Blank(const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; }

// An approver's identity: what CI systems report as a user (no spaces or control characters).
bool IsIdentity(const std::string& s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

Result<std::chrono::seconds> ParseDuration(std::string_view text, const std::string& what) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument(what + ": '" + std::string(text) + "' " + why +
                           " (a duration like 24h, 90m, 1h30m or 3d)");
  };
  if (text.empty()) return bad("is empty");
  int64_t total = 0;
  std::string seen;
  size_t i = 0;
  while (i < text.size()) {
    size_t digits = i;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == i || digits - i > 9 || digits == text.size()) return bad("is not a duration");
    int64_t n = std::stoll(std::string(text.substr(i, digits - i)));
    char unit = text[digits];
    int64_t scale = unit == 'd' ? 86400 : unit == 'h' ? 3600 : unit == 'm' ? 60 : unit == 's' ? 1 : 0;
    if (scale == 0) return bad("has an unknown unit '" + std::string(1, unit) + "'");
    if (seen.find(unit) != std::string::npos) return bad("repeats the unit '" + std::string(1, unit) + "'");
    seen += unit;
    total += n * scale;
    if (total > kMaxDurationSeconds) return bad("is longer than ten years");
    i = digits + 1;
  }
  if (total == 0) return bad("is zero");
  return std::chrono::seconds(total);
}

std::string FormatDuration(std::chrono::seconds d) {
  int64_t s = d.count();
  std::string out;
  for (auto [unit, scale] : {std::pair{'d', int64_t{86400}}, {'h', 3600}, {'m', 60}, {'s', 1}}) {
    if (s >= scale) {
      out += std::to_string(s / scale) + unit;
      s %= scale;
    }
  }
  return out.empty() ? "0s" : out;
}

bool IsKnownTimeZone(const std::string& zone) {
  // A name as tzdata spells them, never a path: the zone is a file under the zoneinfo directory.
  if (zone.empty() || zone.size() > 64 || zone.front() == '/' || zone.find("..") != std::string::npos) return false;
  for (char c : zone) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+') return false;
  }
  absl::TimeZone tz;
  return absl::LoadTimeZone(zone, &tz);
}

std::string CivilDate::str() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

Result<WeeklyWindow> ParseWeeklyWindow(std::string_view text) {
  const std::string quoted = "window '" + std::string(text) + "'";
  std::vector<std::string_view> words;
  for (std::string_view w : Split(text, ' ')) {
    if (!w.empty()) words.push_back(w);
  }
  if (words.size() != 3) {
    return InvalidArgument(quoted + ": expected days, hours and a time zone, e.g. \"Mon-Thu 09:00-16:00 Europe/Berlin\"");
  }
  WeeklyWindow w;
  w.text = std::string(text);
  auto days = ParseDays(words[0]);
  if (!days) return InvalidArgument(quoted + ": '" + std::string(words[0]) + "' is not a day range (Mon-Fri, Sat,Sun)");
  w.weekdays = std::move(*days);
  auto hours = Split(words[1], '-');
  std::optional<int> start = hours.size() == 2 ? ParseClock(hours[0], false) : std::nullopt;
  std::optional<int> end = hours.size() == 2 ? ParseClock(hours[1], true) : std::nullopt;
  if (!start || !end) {
    return InvalidArgument(quoted + ": '" + std::string(words[1]) + "' is not a time range HH:MM-HH:MM");
  }
  if (*end <= *start) {
    return InvalidArgument(quoted + ": the window ends before it starts; a window across midnight is two entries "
                                    "(e.g. \"Mon 22:00-24:00 …\" and \"Tue 00:00-02:00 …\")");
  }
  w.start_minute = *start;
  w.end_minute = *end;
  w.zone = std::string(words[2]);
  if (!IsKnownTimeZone(w.zone)) {
    return InvalidArgument(quoted + ": unknown time zone '" + w.zone + "' (a tzdata name such as Europe/Berlin or UTC)");
  }
  return w;
}

const Approver* FindApprover(const std::vector<Approver>& approvers, const std::string& identity) {
  for (const auto& a : approvers) {
    if (a.identity == identity) return &a;
  }
  return nullptr;
}

const Approver* ApprovalGateConfig::Find(const std::string& identity) const {
  return FindApprover(approvers, identity);
}

Result<WindowGateConfig> ParseWindowGate(const Reader& r, const YAML::Node& n, const std::string& where) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(n, where, {"allow", "freeze", "time-zone", "break-glass"}));
  WindowGateConfig gate;
  if (!n["allow"] && !n["freeze"]) return r.Error(n, where + ": needs allow (weekly windows) or freeze (dates), or both");
  if (n["allow"]) {
    PROMOTE_ASSIGN_OR_RETURN(auto texts, r.StringList(n["allow"], where + " allow"));
    if (texts.empty()) return r.Error(n["allow"], where + ": allow must list at least one window");
    for (const auto& t : texts) {
      auto w = ParseWeeklyWindow(t);
      if (!w.ok()) return r.Error(n["allow"], where + " allow: " + w.status().message());
      gate.allow.push_back(std::move(*w));
    }
  }
  if (n["time-zone"]) {
    PROMOTE_ASSIGN_OR_RETURN(gate.time_zone, r.String(n["time-zone"], where + " time-zone"));
    if (!IsKnownTimeZone(gate.time_zone)) {
      return r.Error(n["time-zone"], where + ": unknown time zone '" + gate.time_zone + "' (a tzdata name such as Europe/Berlin)");
    }
  }
  if (n["freeze"]) {
    if (!n["freeze"].IsSequence()) return r.Error(n["freeze"], where + " freeze must be a list of {from, to, reason}");
    for (const auto& f : n["freeze"]) {
      PROMOTE_RETURN_IF_ERROR(r.Keys(f, where + " freeze entry", {"from", "to", "reason"}));
      if (!f["from"] || !f["to"] || !f["reason"]) return r.Error(f, where + ": a freeze needs from, to and reason");
      Freeze freeze;
      PROMOTE_ASSIGN_OR_RETURN(freeze.from, ParseDate(r, f["from"], where + " freeze from"));
      PROMOTE_ASSIGN_OR_RETURN(freeze.to, ParseDate(r, f["to"], where + " freeze to"));
      PROMOTE_ASSIGN_OR_RETURN(freeze.reason, r.String(f["reason"], where + " freeze reason"));
      if (freeze.to < freeze.from) {
        return r.Error(f["to"], where + ": freeze ends (" + freeze.to.str() + ") before it starts (" + freeze.from.str() + ")");
      }
      if (Blank(freeze.reason)) return r.Error(f["reason"], where + ": a freeze needs a reason people can read");
      gate.freeze.push_back(std::move(freeze));
    }
  }
  if (n["break-glass"]) {
    PROMOTE_ASSIGN_OR_RETURN(gate.break_glass, r.Bool(n["break-glass"], where + " break-glass"));
  }
  return gate;
}

Result<std::chrono::seconds> ParseSoakGate(const Reader& r, const YAML::Node& n, const std::string& where) {
  PROMOTE_ASSIGN_OR_RETURN(std::string text, r.String(n, where));
  auto d = ParseDuration(text, where);
  if (!d.ok()) return r.Error(n, d.status().message());
  return *d;
}

Result<std::vector<Approver>> ParseApprovers(const Reader& r, const YAML::Node& n, const std::string& where) {
  if (!n["approvers"] || !n["approvers"].IsSequence() || n["approvers"].size() == 0) {
    return r.Error(n["approvers"] ? n["approvers"] : n, where + ": approvers must list who may approve");
  }
  std::vector<Approver> out;
  for (const auto& a : n["approvers"]) {
    Approver approver;
    if (a.IsMap()) {
      PROMOTE_RETURN_IF_ERROR(r.Keys(a, where + " approver", {"identity", "key"}));
      if (!a["identity"] || !a["key"]) return r.Error(a, where + ": an approver with a key needs identity and key");
      PROMOTE_ASSIGN_OR_RETURN(approver.identity, r.String(a["identity"], where + " approver identity"));
      PROMOTE_ASSIGN_OR_RETURN(approver.key, r.String(a["key"], where + " approver key"));
      if (Blank(approver.key)) return r.Error(a["key"], where + ": approver key must name a public key file");
    } else {
      PROMOTE_ASSIGN_OR_RETURN(approver.identity, r.String(a, where + " approver"));
    }
    if (!IsIdentity(approver.identity)) {
      return r.Error(a, where + ": approver '" + approver.identity + "' is not an identity (no spaces, at most 256 characters)");
    }
    if (FindApprover(out, approver.identity) != nullptr) {
      return r.Error(a, where + ": approver '" + approver.identity + "' is listed twice");
    }
    out.push_back(std::move(approver));
  }
  return out;
}

Result<ApprovalGateConfig> ParseApprovalGate(const Reader& r, const YAML::Node& n, const std::string& where) {
  PROMOTE_RETURN_IF_ERROR(r.Keys(n, where, {"required", "approvers", "expires-after", "no-self-approval"}));
  ApprovalGateConfig gate;
  PROMOTE_ASSIGN_OR_RETURN(gate.approvers, ParseApprovers(r, n, where));
  const int listed = static_cast<int>(gate.approvers.size());
  if (n["required"]) {
    PROMOTE_ASSIGN_OR_RETURN(gate.required, r.Int(n["required"], where + " required", 1, 1000));
  }
  if (gate.required > listed) {
    return r.Error(n["required"] ? n["required"] : n, where + ": required " + std::to_string(gate.required) +
                                                        " approvals, but only " + std::to_string(listed) +
                                                        " approver(s) are listed");
  }
  if (n["expires-after"]) {
    PROMOTE_ASSIGN_OR_RETURN(std::string text, r.String(n["expires-after"], where + " expires-after"));
    auto d = ParseDuration(text, where + " expires-after");
    if (!d.ok()) return r.Error(n["expires-after"], d.status().message());
    gate.expires_after = *d;
  }
  if (n["no-self-approval"]) {
    PROMOTE_ASSIGN_OR_RETURN(gate.no_self_approval, r.Bool(n["no-self-approval"], where + " no-self-approval"));
  }
  return gate;
}

}  // namespace promote::policy
