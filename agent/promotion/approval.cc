#include "promotion/approval.h"

#include "sign/attestation_store.h"
#include "sigstore/attestation_verify.h"
#include "sigstore/dsse.h"
#include "sigstore/in_toto.h"
#include "util/json_fields.h"

namespace promote::promotion {
namespace {

// What an envelope claims, before (or without) any signature check.
Result<Approval> Claimed(const std::string& envelope_json) {
  PROMOTE_ASSIGN_OR_RETURN(sigstore::DsseEnvelope envelope, sigstore::ParseDsseEnvelope(envelope_json));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::InTotoStatement statement,
                           sigstore::ParseInTotoStatement(envelope.payload));
  if (statement.predicate_type != kApprovalPredicateType) {
    return InvalidArgument("statement predicate type " + statement.predicate_type + " is not an approval");
  }
  return Approval::FromPredicate(statement.predicate);
}

}  // namespace

nlohmann::json Approval::ToPredicate() const {
  nlohmann::json p = {{"approver", approver},
                      {"env", env},
                      {"git", {{"sha", git_sha}}},
                      {"digests", digests},
                      {"time", time},
                      {"ci", ci.ToJson()},
                      {"promote_version", promote_version}};
  if (!comment.empty()) p["comment"] = comment;
  if (!caller.empty()) p["caller"] = caller;
  return p;
}

Result<Approval> Approval::FromPredicate(const nlohmann::json& p) {
  if (!p.is_object()) return InvalidArgument("approval: the predicate is not an object");
  Approval a;
  a.approver = StringMember(p, "approver");
  a.env = StringMember(p, "env");
  if (auto git = p.find("git"); git != p.end() && git->is_object()) a.git_sha = StringMember(*git, "sha");
  if (auto d = p.find("digests"); d != p.end() && d->is_array()) {
    for (const auto& x : *d) {
      if (x.is_string()) a.digests.push_back(x.get<std::string>());
    }
  }
  a.time = StringMember(p, "time");
  a.comment = StringMember(p, "comment");
  a.caller = StringMember(p, "caller");
  if (auto ci = p.find("ci"); ci != p.end() && ci->is_object()) {
    a.ci.system = StringMember(*ci, "system");
    a.ci.run_id = StringMember(*ci, "run_id");
    a.ci.run_url = StringMember(*ci, "run_url");
    a.ci.actor = StringMember(*ci, "actor");
  }
  a.promote_version = StringMember(p, "promote_version");
  if (a.approver.empty() || a.env.empty() || a.git_sha.empty() || a.time.empty()) {
    return InvalidArgument("approval: the predicate lacks approver, env, git.sha or time");
  }
  return a;
}

Result<std::string> WriteApproval(registry::RegistryClient& client, const std::string& repo,
                                  const oci::Descriptor& subject, const Approval& approval,
                                  const sigstore::PrivateKey& key, const registry::Scopes& scopes,
                                  const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(std::string statement,
                           sigstore::BuildInTotoStatement(kApprovalPredicateType, client.host() + "/" + repo,
                                                          subject.digest.str(), approval.ToPredicate()));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::DsseEnvelope envelope,
                           sigstore::SignDsse("application/vnd.in-toto+json", statement, key));
  PROMOTE_ASSIGN_OR_RETURN(sign::AttachOutcome outcome,
                           sign::AttachAttestation(client, repo, subject, envelope, kApprovalPredicateType, scopes, cancel));
  return outcome.attestation_reference;
}

Result<std::vector<ApprovalEvidence>> ReadApprovals(
    registry::RegistryClient& client, const std::string& repo, const oci::Digest& digest,
    const std::map<std::string, const sigstore::PublicKey*>& keys, const registry::Scopes& scopes,
    const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(auto stored, sign::ListAttestations(client, repo, digest, scopes, cancel));
  std::vector<ApprovalEvidence> out;
  for (const auto& att : stored) {
    if (att.predicate_type != kApprovalPredicateType) continue;
    ApprovalEvidence e;
    auto claimed = Claimed(att.envelope);
    if (!claimed.ok()) {
      e.problem = claimed.status().message();
      out.push_back(std::move(e));
      continue;
    }
    e.approval = std::move(*claimed);
    for (const auto& [name, key] : keys) {
      if (key != nullptr && sigstore::VerifyAttestationEnvelope(att.envelope, *key, digest.str()).ok()) {
        e.verified_by.insert(name);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace promote::promotion
