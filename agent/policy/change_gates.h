// Change control in promote.yaml, per environment: when promotions may happen (`window:` weekly
// windows and dated freezes, in a tzdata time zone, with an optional break-glass), how long the
// image must have been in the previous environment (`soak:`), and who must approve it first
// (`approval:`). These are the parsed settings; the gates that judge them live in promotion/.
//
//   gates:
//     window:
//       allow: ["Mon-Thu 09:00-16:00 Europe/Berlin"]
//       freeze: [{from: 2026-12-20, to: 2027-01-04, reason: year-end}]
//       time-zone: Europe/Berlin          # of the freeze dates (default UTC)
//       break-glass: true                 # --break-glass REASON may override it
//     soak: 24h
//     approval:
//       required: 2
//       approvers: [alice, bob, {identity: dave, key: approvers/dave.pub}]
//       expires-after: 72h
//       no-self-approval: true
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace YAML {
class Node;
}

namespace promote::policy {

class Reader;

// "24h", "90m", "1h30m", "3d", "45s": whole numbers with units d, h, m, s, at least one second.
// kInvalidArgument naming `what` and the text otherwise.
Result<std::chrono::seconds> ParseDuration(std::string_view text, const std::string& what);
// The shortest spelling ParseDuration reads back: "1d", "24h" stays "1d", "1h30m".
std::string FormatDuration(std::chrono::seconds d);

// One weekly window: "Mon-Thu 09:00-16:00 Europe/Berlin" — days (a range, a list, or both:
// "Mon,Wed,Fri", "Sat-Sun", "Fri-Mon" wraps), a time range in that zone's local time (end
// after start; "24:00" is the end of the day) and a tzdata zone name.
struct WeeklyWindow {
  std::string text;             // as written, for messages
  std::set<int> weekdays;       // 0 = Monday … 6 = Sunday
  int start_minute = 0;         // minutes after local midnight
  int end_minute = 0;           // exclusive; up to 24 * 60
  std::string zone;             // "Europe/Berlin", "UTC"
};

// Parses one `allow:` entry; kInvalidArgument naming the entry and what is wrong.
Result<WeeklyWindow> ParseWeeklyWindow(std::string_view text);

// Whether `zone` names a time zone in the system's tzdata (a name, never a path).
bool IsKnownTimeZone(const std::string& zone);

struct CivilDate {
  int year = 0, month = 0, day = 0;
  auto operator<=>(const CivilDate&) const = default;
  std::string str() const;  // "2026-12-20"
};

// A dated freeze: no promotion from `from` 00:00 to the end of `to`, both local days in the
// window gate's time zone.
struct Freeze {
  CivilDate from, to;
  std::string reason;
};

struct WindowGateConfig {
  std::vector<WeeklyWindow> allow;  // empty: any time outside the freezes
  std::vector<Freeze> freeze;
  std::string time_zone = "UTC";    // of the freeze dates
  bool break_glass = false;         // whether --break-glass may override the gate here
};

// One approver: an identity whose approvals the signing key (promote's, or the agent's on the
// approver's behalf) vouches for, or — with `key` — whose approvals must verify with that
// cosign public key (a file promote.yaml names, sent with the request like signature keys).
struct Approver {
  std::string identity;
  std::string key;
};

// The entry for `identity` in `approvers`, or nullptr.
const Approver* FindApprover(const std::vector<Approver>& approvers, const std::string& identity);

struct ApprovalGateConfig {
  int required = 1;
  std::vector<Approver> approvers;
  std::chrono::seconds expires_after = std::chrono::hours(72);
  bool no_self_approval = true;

  const Approver* Find(const std::string& identity) const;
};

// The `window:`, `soak:` and `approval:` entries of an environment's gates (origin:line errors).
Result<WindowGateConfig> ParseWindowGate(const Reader& r, const YAML::Node& n, const std::string& where);
Result<std::chrono::seconds> ParseSoakGate(const Reader& r, const YAML::Node& n, const std::string& where);
Result<ApprovalGateConfig> ParseApprovalGate(const Reader& r, const YAML::Node& n, const std::string& where);
// The `approvers:` list of the mapping `n` (promote.yaml's approval gate, agent.yaml's approval
// floor): identities, or {identity, key} with a public key file; at least one, none twice.
Result<std::vector<Approver>> ParseApprovers(const Reader& r, const YAML::Node& n, const std::string& where);

}  // namespace promote::policy
