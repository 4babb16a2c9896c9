#include "promotion/change_control.h"

#include <map>

#include "policy/attached_files.h"
#include "promotion/approval_gate.h"
#include "promotion/soak_gate.h"
#include "promotion/window_gate.h"

namespace promote::promotion {
namespace {

using registry::RepositoryScope;

// The records the previous environment holds for the image; empty without a key to check them.
Result<std::vector<CheckedRecord>> PreviousRecords(const policy::Environment& previous, const oci::Digest& digest,
                                                   registry::RegistryPool& registries, const SigningKey& signing,
                                                   const CancelToken* cancel) {
  if (!signing.public_key) return std::vector<CheckedRecord>{};
  PROMOTE_ASSIGN_OR_RETURN(auto client, registries.Get(previous.registry, previous.repository));
  registry::Scopes scopes = {RepositoryScope(previous.repository, "pull")};
  PROMOTE_ASSIGN_OR_RETURN(auto records,
                           ReadRecords(*client, previous.repository, digest, *signing.public_key, scopes, cancel));
  PROMOTE_RETURN_IF_ERROR(MarkIncompleteRecords(*client, previous.repository, digest, previous.name,
                                                previous.mutable_tags, scopes, &records));
  return records;
}

// The commit's author: --author, else the CI actor of the earliest record in the previous environment.
std::string AuthorOf(const RunRequest& request, const std::vector<CheckedRecord>& records, const std::string& env) {
  if (!request.author.empty()) return request.author;
  const CheckedRecord* earliest = nullptr;
  for (const auto& r : records) {
    if (!r.valid || r.record.to_env != env || r.record.kind != "promotion") continue;
    if (earliest == nullptr || r.record.time < earliest->record.time) earliest = &r;
  }
  return earliest != nullptr ? earliest->record.ci.actor : "";
}

// The keys approvals may be signed with: the signing key ("") and each approver's own.
Result<std::map<std::string, std::shared_ptr<sign::PublicKey>>> ApproverKeys(const ChangeControlSubject& s,
                                                                             const RunRequest& request,
                                                                             const SigningKey& signing) {
  std::map<std::string, std::shared_ptr<sign::PublicKey>> keys;
  if (signing.public_key) keys[kSigningKeyName] = signing.public_key;
  const policy::AttachedFiles none;
  const policy::AttachedFiles& files = request.files != nullptr ? *request.files : none;
  for (const auto& a : s.env->approval->approvers) {
    if (a.key.empty()) continue;
    const std::string what = s.config->origin + ":" + std::to_string(s.env->line) + ": environment '" +
                             s.env->name + "' approval gate key of '" + a.identity + "'";
    PROMOTE_ASSIGN_OR_RETURN(std::string pem, files.Get(a.key, what));
    PROMOTE_ASSIGN_OR_RETURN(sign::PublicKey key, sign::PublicKey::FromPem(pem, what));
    keys[a.identity] = std::make_shared<sign::PublicKey>(std::move(key));
  }
  return keys;
}

Result<GateResult> ApprovalGate(const ChangeControlSubject& s, const RunRequest& request,
                                registry::RegistryPool& registries, const SigningKey& signing,
                                const std::string& author) {
  PROMOTE_ASSIGN_OR_RETURN(auto owned, ApproverKeys(s, request, signing));
  std::map<std::string, const sign::PublicKey*> keys;
  for (const auto& [name, key] : owned) keys[name] = key.get();
  const policy::Environment& home = ApprovalHome(*s.config, *s.env);
  PROMOTE_ASSIGN_OR_RETURN(auto client, registries.Get(home.registry, home.repository));
  PROMOTE_ASSIGN_OR_RETURN(auto approvals,
                           ReadApprovals(*client, home.repository, s.source_digest, keys,
                                         {RepositoryScope(home.repository, "pull")}, request.cancel));
  return JudgeApprovals(*s.env->approval, approvals, {s.env->name, s.sha, s.source_digest.str(), author, s.now});
}

}  // namespace

const policy::Environment& ApprovalHome(const policy::PromoteConfig& config, const policy::Environment& env) {
  const policy::Environment* source = config.SourceOf(env);
  return source != nullptr ? *source : env;
}

Result<ChangeControl> RunChangeControl(const ChangeControlSubject& s, const RunRequest& request,
                                       registry::RegistryPool& registries, const SigningKey& signing) {
  ChangeControl out;
  const policy::Environment& env = *s.env;
  if (env.window) {
    GateResult g = JudgeWindow(*env.window, s.now, request.break_glass);
    if (g.verdict == "overridden") out.break_glass = request.break_glass;
    out.gates.push_back(std::move(g));
  }
  const policy::Environment* previous = s.config->SourceOf(env);
  std::vector<CheckedRecord> records;
  if (previous != nullptr && (env.soak || (env.approval && request.author.empty()))) {
    PROMOTE_ASSIGN_OR_RETURN(records, PreviousRecords(*previous, s.source_digest, registries, signing, request.cancel));
  }
  if (env.soak) {
    GateResult g = JudgeSoak(*env.soak, SoakEvidenceFrom(records, previous->name, s.sha), s.now);
    if (!signing.public_key) g.detail = "the soak gate reads promotion records and needs the signing key (signing:)";
    out.gates.push_back(std::move(g));
  }
  if (env.approval) {
    const std::string author = AuthorOf(request, records, previous != nullptr ? previous->name : "");
    PROMOTE_ASSIGN_OR_RETURN(GateResult g, ApprovalGate(s, request, registries, signing, author));
    if (!g.refused()) out.approved_by = g.data["approved_by"].get<std::vector<std::string>>();
    out.gates.push_back(std::move(g));
  }
  return out;
}

}  // namespace promote::promotion
