#include "promotion/approval_gate.h"

#include <doctest/doctest.h>

#include "promotion/promotion_record.h"

using namespace promote;
using namespace promote::promotion;

namespace {

const std::string kSha = "2b2e927abcdef0123456789abcdef01234567890";
const std::string kDigest = "sha256:" + std::string(64, 'a');
const std::string kOther = "sha256:" + std::string(64, 'b');

policy::ApprovalGateConfig Gate() {
  policy::ApprovalGateConfig g;
  g.required = 2;
  g.approvers = {{"alice", ""}, {"bob", ""}, {"carol", ""}, {"dave", "approvers/dave.pub"}};
  g.expires_after = std::chrono::hours(72);
  g.no_self_approval = true;
  return g;
}

ApprovalSubject Subject() {
  return {"prod", kSha, kDigest, "carol", *ParseRfc3339("2026-06-10T12:00:00Z")};
}

// An approval as ReadApprovals returns it: signed by the agent's key ("") unless said otherwise.
ApprovalEvidence By(const std::string& who, std::set<std::string> verified_by = {kSigningKeyName}) {
  ApprovalEvidence e;
  e.approval.approver = who;
  e.approval.env = "prod";
  e.approval.git_sha = kSha;
  e.approval.digests = {kDigest};
  e.approval.time = "2026-06-10T09:00:00.000Z";
  e.verified_by = std::move(verified_by);
  return e;
}

ApprovalEvidence With(ApprovalEvidence e, void (*change)(ApprovalEvidence&)) {
  change(e);
  return e;
}

}  // namespace

TEST_CASE("approval: the table of verdicts") {
  struct Case {
    const char* name;
    std::vector<ApprovalEvidence> approvals;
    const char* verdict;
    int counted;
    const char* reason;  // in the first not-counted entry, when there is one
  };
  const std::vector<Case> cases = {
      {"no approval", {}, "refused", 0, ""},
      {"one of two", {By("alice")}, "refused", 1, ""},
      {"two distinct approvers", {By("alice"), By("bob")}, "passed", 2, ""},
      {"the same approver twice", {By("alice"), By("alice")}, "refused", 1, "approved already"},
      {"the author approving their own commit", {By("alice"), By("carol")}, "refused", 1, "commit's author"},
      {"expired (72h after 2026-06-07T09:00)",
       {By("alice"), With(By("bob"), [](ApprovalEvidence& e) { e.approval.time = "2026-06-07T09:00:00.000Z"; })},
       "refused", 1, "expired at 2026-06-10T09:00:00.000Z"},
      {"an approver with a key, signed by another key",
       {By("alice"), By("dave", {kSigningKeyName})}, "refused", 1, "not signed by the key of 'dave'"},
      {"an approver with a key, signed by it", {By("alice"), By("dave", {"dave"})}, "passed", 2, ""},
      {"an identity vouched for by nobody (unsigned or a stranger's key)",
       {By("alice"), By("bob", {})}, "refused", 1, "not signed by the signing key"},
      {"an approval for another digest",
       {By("alice"), With(By("bob"), [](ApprovalEvidence& e) { e.approval.digests = {kOther}; })},
       "refused", 1, "another image"},
      {"an approval for another environment",
       {By("alice"), With(By("bob"), [](ApprovalEvidence& e) { e.approval.env = "stage"; })},
       "refused", 1, "environment 'stage'"},
      {"an approval for another commit",
       {By("alice"), With(By("bob"), [](ApprovalEvidence& e) { e.approval.git_sha = "9f8e7d6"; })},
       "refused", 1, "commit 9f8e7d6"},
      {"someone not listed", {By("alice"), By("mallory")}, "refused", 1, "not an approver"},
      {"dated in the future",
       {By("alice"), With(By("bob"), [](ApprovalEvidence& e) { e.approval.time = "2026-06-11T00:00:00Z"; })},
       "refused", 1, "in the future"},
      {"unreadable",
       {By("alice"), With(By("bob"), [](ApprovalEvidence& e) { e.problem = "bad envelope"; })},
       "refused", 1, "unreadable"},
      {"a short SHA in the approval names the same commit",
       {By("alice"), With(By("bob"), [](ApprovalEvidence& e) { e.approval.git_sha = "2b2e927"; })},
       "passed", 2, ""},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    GateResult g = JudgeApprovals(Gate(), c.approvals, Subject());
    CHECK(g.name == "approval");
    CHECK(VerdictName(g.verdict) == c.verdict);
    CHECK(g.data["approved_by"].size() == static_cast<size_t>(c.counted));
    if (std::string(c.reason).empty()) {
      CHECK(g.data["not_counted"].empty());
    } else {
      REQUIRE_FALSE(g.data["not_counted"].empty());
      CHECK(g.data["not_counted"][0]["reason"].get<std::string>().find(c.reason) != std::string::npos);
    }
  }
}

TEST_CASE("approval: without no-self-approval the author counts; an unknown author excludes nobody") {
  policy::ApprovalGateConfig gate = Gate();
  gate.no_self_approval = false;
  CHECK(JudgeApprovals(gate, {By("alice"), By("carol")}, Subject()).verdict == Verdict::kPassed);
  ApprovalSubject unknown = Subject();
  unknown.author = "";
  CHECK(JudgeApprovals(Gate(), {By("alice"), By("carol")}, unknown).verdict == Verdict::kPassed);
}

TEST_CASE("approval: a refusal says how many are missing and how to approve") {
  GateResult g = JudgeApprovals(Gate(), {By("alice")}, Subject());
  CHECK(g.detail.find("1 of 2") != std::string::npos);
  CHECK(g.detail.find("promote approve --env prod --sha " + kSha) != std::string::npos);
  CHECK(g.data["author"] == "carol");
  CHECK(g.data["required"] == 2);
}
