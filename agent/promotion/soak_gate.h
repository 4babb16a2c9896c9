// The soak gate: an image enters an environment only after it has spent a minimum time in the
// previous one (its promotion record there is at least that old), and never when it was rolled
// back out of the previous environment (a "rolled-back" record, which rollback leaves on the
// digest it moved away from).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "promotion/gate_result.h"
#include "promotion/promotion_record.h"

namespace promote::promotion {

// What the previous environment's records say about the image.
struct SoakEvidence {
  std::string env;                                 // the previous environment
  std::optional<std::string> promoted_at;          // time of its earliest valid promotion record for the commit
  std::optional<std::string> rolled_back_at;       // time of a valid "rolled-back" record, if any
  std::string rolled_back_by;                      // who rolled it back (CI actor or caller)
};

// Reads the evidence from the records attached to the image in the previous environment `env`
// (ReadRecords, already checked): only valid records about `env` and, for promotions, `sha`.
SoakEvidence SoakEvidenceFrom(const std::vector<CheckedRecord>& records, const std::string& env,
                              const std::string& sha);

// The gate at `now` for a minimum of `soak`. Pure: the clock is the caller's.
GateResult JudgeSoak(std::chrono::seconds soak, const SoakEvidence& evidence,
                     std::chrono::system_clock::time_point now);

}  // namespace promote::promotion
