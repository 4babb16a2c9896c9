#include "promotion/soak_gate.h"

#include "policy/change_gates.h"
#include "promotion/image_revision.h"

namespace promote::promotion {

SoakEvidence SoakEvidenceFrom(const std::vector<CheckedRecord>& records, const std::string& env,
                              const std::string& sha) {
  SoakEvidence e;
  e.env = env;
  for (const auto& r : records) {
    if (!r.valid || r.record.to_env != env) continue;
    if (r.record.kind == "rolled-back") {
      if (!e.rolled_back_at || *e.rolled_back_at < r.record.time) {
        e.rolled_back_at = r.record.time;
        e.rolled_back_by = !r.record.ci.actor.empty() ? r.record.ci.actor : r.record.caller;
      }
    } else if (r.record.kind == "promotion" && SameCommit(r.record.git_sha, sha)) {
      if (!e.promoted_at || r.record.time < *e.promoted_at) e.promoted_at = r.record.time;
    }
  }
  return e;
}

GateResult JudgeSoak(std::chrono::seconds soak, const SoakEvidence& evidence,
                     std::chrono::system_clock::time_point now) {
  GateResult g{"soak", Verdict::kRefused, ""};
  g.data = {{"required", policy::FormatDuration(soak)}, {"env", evidence.env}};
  if (evidence.rolled_back_at) {
    g.detail = "the image was rolled back out of '" + evidence.env + "' at " + *evidence.rolled_back_at +
               (evidence.rolled_back_by.empty() ? "" : " by " + evidence.rolled_back_by) +
               "; a rolled-back image goes no further";
    g.data["rolled_back_at"] = *evidence.rolled_back_at;
    return g;
  }
  auto since = evidence.promoted_at ? ParseRfc3339(*evidence.promoted_at) : std::nullopt;
  if (!since) {
    g.detail = "no valid promotion record of this commit in '" + evidence.env + "' to soak from";
    return g;
  }
  auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *since);
  g.data["promoted_at"] = *evidence.promoted_at;
  g.data["age"] = policy::FormatDuration(std::max(age, std::chrono::seconds(0)));
  if (age < soak) {
    g.detail = "in '" + evidence.env + "' since " + *evidence.promoted_at + " (" +
               policy::FormatDuration(std::max(age, std::chrono::seconds(0))) + "), less than the " +
               policy::FormatDuration(soak) + " it must soak there; it may go on after " +
               FormatRfc3339(*since + soak);
    return g;
  }
  g.verdict = Verdict::kPassed;
  g.detail = "in '" + evidence.env + "' since " + *evidence.promoted_at + " (" + policy::FormatDuration(age) +
             ", at least " + policy::FormatDuration(soak) + ")";
  return g;
}

}  // namespace promote::promotion
