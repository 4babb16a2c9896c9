#include "promotion/soak_gate.h"

#include <doctest/doctest.h>

using namespace promote::promotion;

namespace {

const std::string kSha = "2b2e927abcdef0123456789abcdef01234567890";

CheckedRecord Record(const std::string& kind, const std::string& env, const std::string& time, bool valid = true,
                     const std::string& sha = kSha) {
  CheckedRecord r;
  r.valid = valid;
  r.record.kind = kind;
  r.record.to_env = env;
  r.record.git_sha = sha;
  r.record.time = time;
  r.record.ci.actor = "carol";
  return r;
}

std::chrono::system_clock::time_point At(const std::string& t) { return *ParseRfc3339(t); }

}  // namespace

TEST_CASE("soak: the previous environment's record must be old enough") {
  const auto day = std::chrono::hours(24);
  const std::vector<CheckedRecord> records = {Record("promotion", "stage", "2026-06-01T10:00:00.000Z")};
  SoakEvidence e = SoakEvidenceFrom(records, "stage", kSha);
  REQUIRE(e.promoted_at.has_value());
  struct Case {
    const char* now;
    const char* verdict;
  } cases[] = {
      {"2026-06-01T10:00:00Z", "refused"},  // just promoted
      {"2026-06-02T09:59:59Z", "refused"},  // a second short
      {"2026-06-02T10:00:00Z", "passed"},   // exactly 24h
      {"2026-06-09T10:00:00Z", "passed"},
  };
  for (const auto& c : cases) {
    INFO(c.now);
    GateResult g = JudgeSoak(day, e, At(c.now));
    CHECK(g.name == "soak");
    CHECK(VerdictName(g.verdict) == c.verdict);
  }
  GateResult young = JudgeSoak(day, e, At("2026-06-01T16:00:00Z"));
  CHECK(young.detail.find("6h") != std::string::npos);
  CHECK(young.detail.find("2026-06-02T10:00:00.000Z") != std::string::npos);  // when it may go on
}

TEST_CASE("soak: the earliest valid record of this commit in the previous environment counts") {
  const std::vector<CheckedRecord> records = {
      Record("promotion", "stage", "2026-06-03T10:00:00.000Z"),
      Record("promotion", "stage", "2026-06-01T10:00:00.000Z", /*valid=*/false),  // forged: not counted
      Record("promotion", "dev", "2026-05-01T10:00:00.000Z"),                     // another environment
      Record("promotion", "stage", "2026-05-01T10:00:00.000Z", true, "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"),
      Record("promotion", "stage", "2026-06-02T10:00:00.000Z"),
  };
  SoakEvidence e = SoakEvidenceFrom(records, "stage", kSha);
  REQUIRE(e.promoted_at.has_value());
  CHECK(*e.promoted_at == "2026-06-02T10:00:00.000Z");
  CHECK(JudgeSoak(std::chrono::hours(24), SoakEvidence{"stage", {}, {}, ""}, At("2026-07-01T00:00:00Z")).verdict ==
        Verdict::kRefused);
}

TEST_CASE("soak: an image rolled back out of the previous environment is refused however old") {
  std::vector<CheckedRecord> records = {Record("promotion", "stage", "2026-06-01T10:00:00.000Z"),
                                        Record("rolled-back", "stage", "2026-06-01T12:00:00.000Z")};
  SoakEvidence e = SoakEvidenceFrom(records, "stage", kSha);
  GateResult g = JudgeSoak(std::chrono::hours(1), e, At("2026-07-01T00:00:00Z"));
  CHECK(g.verdict == Verdict::kRefused);
  CHECK(g.detail.find("rolled back out of 'stage'") != std::string::npos);
  CHECK(g.detail.find("carol") != std::string::npos);
  // A forged rolled-back record (not valid) does not block it.
  records[1].valid = false;
  CHECK(JudgeSoak(std::chrono::hours(1), SoakEvidenceFrom(records, "stage", kSha), At("2026-07-01T00:00:00Z"))
            .verdict == Verdict::kPassed);
}
