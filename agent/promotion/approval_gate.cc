#include "promotion/approval_gate.h"

#include <algorithm>
#include <set>

#include "promotion/image_revision.h"
#include "promotion/promotion_record.h"

namespace promote::promotion {
namespace {

// Clocks of the approver's machine and the agent's may differ this much.
constexpr auto kClockSkew = std::chrono::minutes(5);

}  // namespace

const policy::Environment& ApprovalHome(const policy::PromoteConfig& config, const policy::Environment& env) {
  const policy::Environment* source = config.SourceOf(env);
  return source != nullptr ? *source : env;
}

std::string WhyNotCounted(const policy::ApprovalGateConfig& gate, const ApprovalEvidence& e,
                          const ApprovalSubject& subject) {
  if (!e.problem.empty()) return "unreadable: " + e.problem;
  const Approval& a = e.approval;
  const policy::Approver* listed = gate.Find(a.approver);
  if (listed == nullptr) return "'" + a.approver + "' is not an approver of '" + subject.env + "'";
  const std::string key = listed->key.empty() ? std::string(kSigningKeyName) : listed->identity;
  if (e.verified_by.count(key) == 0) {
    return listed->key.empty() ? "not signed by the signing key that vouches for '" + a.approver + "'"
                               : "not signed by the key of '" + a.approver + "' (" + listed->key + ")";
  }
  if (a.env != subject.env) return "it approves environment '" + a.env + "', not '" + subject.env + "'";
  if (!SameCommit(a.git_sha, subject.sha)) return "it approves commit " + a.git_sha + ", not " + subject.sha;
  if (std::find(a.digests.begin(), a.digests.end(), subject.digest) == a.digests.end()) {
    return "it approves another image, not " + subject.digest;
  }
  auto when = ParseRfc3339(a.time);
  if (!when) return "its time '" + a.time + "' is not an RFC 3339 time";
  if (*when > subject.now + kClockSkew) return "it is dated in the future (" + a.time + ")";
  if (subject.now - *when > gate.expires_after) {
    return "it expired at " + FormatRfc3339(*when + gate.expires_after) + " (expires-after " +
           policy::FormatDuration(gate.expires_after) + ")";
  }
  if (gate.no_self_approval && !subject.author.empty() && a.approver == subject.author) {
    return "'" + a.approver + "' is the commit's author and may not approve it (no-self-approval)";
  }
  return "";
}

GateResult JudgeApprovals(const policy::ApprovalGateConfig& gate, const std::vector<ApprovalEvidence>& approvals,
                          const ApprovalSubject& subject) {
  std::vector<std::string> approved_by;
  nlohmann::json not_counted = nlohmann::json::array();
  for (const auto& e : approvals) {
    std::string why = WhyNotCounted(gate, e, subject);
    if (why.empty() && std::find(approved_by.begin(), approved_by.end(), e.approval.approver) != approved_by.end()) {
      why = "'" + e.approval.approver + "' approved already (approvals count per person)";
    }
    if (why.empty()) {
      approved_by.push_back(e.approval.approver);
    } else {
      not_counted.push_back({{"approver", e.approval.approver}, {"reason", why}});
    }
  }
  const int have = static_cast<int>(approved_by.size());
  GateResult g{"approval", have >= gate.required ? Verdict::kPassed : Verdict::kRefused, ""};
  g.data = {{"required", gate.required},
            {"approved_by", approved_by},
            {"not_counted", not_counted},
            {"author", subject.author.empty() ? nlohmann::json(nullptr) : nlohmann::json(subject.author)}};
  std::string names;
  for (const auto& n : approved_by) names += (names.empty() ? "" : ", ") + n;
  g.detail = std::to_string(have) + " of " + std::to_string(gate.required) + " required approval(s)" +
             (names.empty() ? "" : " (" + names + ")");
  if (have < gate.required) {
    g.detail += "; approve with `promote approve --env " + subject.env + " --sha " + subject.sha + "`";
    if (!not_counted.empty()) {
      g.detail += "; not counted: " + not_counted.front()["approver"].get<std::string>() + ": " +
                  not_counted.front()["reason"].get<std::string>() +
                  (not_counted.size() > 1 ? " (and " + std::to_string(not_counted.size() - 1) + " more)" : "");
    }
  }
  return g;
}

}  // namespace promote::promotion
