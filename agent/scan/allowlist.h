// An accepted vulnerability: a finding id the gate ignores, with the reason someone accepted it
// and an optional expiry after which the acceptance lapses and the gate fails again.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace promote::scan {

struct AllowEntry {
  std::string id;      // matched exactly against Finding::id
  std::string reason;  // shown beside every finding it hides
  // The entry stops applying at 00:00 UTC on this date (as Trivy's exp:/expired_at do): on the
  // expiry date itself it no longer applies.
  std::optional<std::chrono::year_month_day> expires;
};

// True while the entry applies on `today` (a UTC date).
inline bool IsActive(const AllowEntry& entry, std::chrono::year_month_day today) {
  return !entry.expires || today < *entry.expires;
}

// Today's date in UTC, for callers that gate "now".
std::chrono::year_month_day TodayUtc();

// Parses "YYYY-MM-DD" (exactly that shape, a real calendar date); nullopt otherwise.
std::optional<std::chrono::year_month_day> ParseIsoDate(std::string_view text);

// "YYYY-MM-DD".
std::string FormatIsoDate(std::chrono::year_month_day date);

}  // namespace promote::scan
