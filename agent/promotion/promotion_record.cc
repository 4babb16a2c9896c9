#include "promotion/promotion_record.h"

#include <absl/time/time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>

#include "sign/attestation_store.h"
#include "sign/bundle_image_verifier.h"
#include "sign/bundle_store.h"
#include "sigstore/attestation_verify.h"
#include "sigstore/dsse.h"
#include "sigstore/in_toto.h"
#include "util/json_fields.h"

namespace promote::promotion {
namespace {

// A release set's "set": {"image", "members": [{name, digest, from, to, tags}]}.
void ReadSetMembers(const nlohmann::json& set, PromotionRecord* r) {
  r->image = StringMember(set, "image");
  auto list = set.find("members");
  if (list == set.end() || !list->is_array()) return;
  for (const auto& m : *list) {
    if (!m.is_object()) continue;
    SetMemberRecord member{StringMember(m, "name"), StringMember(m, "digest"), "", "", {}};
    if (auto f = m.find("from"); f != m.end() && f->is_object())
      member.from_reference = StringMember(*f, "reference");
    if (auto t = m.find("to"); t != m.end() && t->is_object())
      member.to_reference = StringMember(*t, "reference");
    if (auto tags = m.find("tags"); tags != m.end() && tags->is_array()) {
      for (const auto& t : *tags) {
        if (t.is_string()) member.tags.push_back(t.get<std::string>());
      }
    }
    r->members.push_back(std::move(member));
  }
}

}  // namespace

std::string NowRfc3339() { return FormatRfc3339(std::chrono::system_clock::now()); }

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& text) {
  absl::Time t;
  std::string err;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return std::nullopt;
  return absl::ToChronoTime(t);
}

std::string FormatRfc3339(std::chrono::system_clock::time_point now) {
  // Milliseconds: history orders promotions by this, and several can happen in one second.
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

nlohmann::json PromotionRecord::ToPredicate() const {
  nlohmann::json p = {{"kind", kind},
                      {"from", {{"env", from_env}, {"reference", from_reference}}},
                      {"to", {{"env", to_env}, {"reference", to_reference}}},
                      {"digest", digest},
                      {"git", {{"sha", git_sha}, {"branch", branch}}},
                      {"tags", tags},
                      {"ci", ci.ToJson()},
                      {"gates", gates},
                      {"time", time},
                      {"promote_version", promote_version}};
  if (!caller.empty()) p["caller"] = caller;
  if (!break_glass.empty()) p["break_glass"] = {{"reason", break_glass}};
  if (!approved_by.empty()) p["approvals"] = approved_by;
  if (!subset_of.empty()) p["subset_of"] = {{"digest", subset_of}, {"platforms", platforms}};
  if (!members.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& m : members) {
      list.push_back({{"name", m.name},
                      {"digest", m.digest},
                      {"from", {{"reference", m.from_reference}}},
                      {"to", {{"reference", m.to_reference}}},
                      {"tags", m.tags}});
    }
    p["set"] = {{"image", image}, {"members", list}};
  }
  return p;
}

Result<PromotionRecord> PromotionRecord::FromPredicate(const nlohmann::json& p) {
  if (!p.is_object() || !p.contains("to") || !p["to"].is_object() || !p.contains("digest")) {
    return InvalidArgument("promotion record: predicate lacks to/digest");
  }
  PromotionRecord r;
  r.kind = StringMember(p, "kind");
  if (p.contains("from") && p["from"].is_object()) {
    r.from_env = StringMember(p["from"], "env");
    r.from_reference = StringMember(p["from"], "reference");
  }
  r.to_env = StringMember(p["to"], "env");
  r.to_reference = StringMember(p["to"], "reference");
  r.digest = StringMember(p, "digest");
  if (p.contains("git") && p["git"].is_object()) {
    r.git_sha = StringMember(p["git"], "sha");
    r.branch = StringMember(p["git"], "branch");
  }
  if (p.contains("tags") && p["tags"].is_array()) {
    for (const auto& t : p["tags"]) {
      if (t.is_string()) r.tags.push_back(t.get<std::string>());
    }
  }
  if (p.contains("ci") && p["ci"].is_object()) {
    r.ci.system = StringMember(p["ci"], "system");
    r.ci.run_id = StringMember(p["ci"], "run_id");
    r.ci.run_url = StringMember(p["ci"], "run_url");
    r.ci.actor = StringMember(p["ci"], "actor");
  }
  if (p.contains("gates")) r.gates = p["gates"];
  r.time = StringMember(p, "time");
  r.caller = StringMember(p, "caller");
  if (auto bg = p.find("break_glass"); bg != p.end() && bg->is_object())
    r.break_glass = StringMember(*bg, "reason");
  if (auto ap = p.find("approvals"); ap != p.end() && ap->is_array()) {
    for (const auto& a : *ap) {
      if (a.is_string()) r.approved_by.push_back(a.get<std::string>());
    }
  }
  if (auto sub = p.find("subset_of"); sub != p.end() && sub->is_object()) {
    r.subset_of = StringMember(*sub, "digest");
    if (auto pl = sub->find("platforms"); pl != sub->end() && pl->is_array()) {
      for (const auto& x : *pl) {
        if (x.is_string()) r.platforms.push_back(x.get<std::string>());
      }
    }
  }
  if (auto set = p.find("set"); set != p.end() && set->is_object()) ReadSetMembers(*set, &r);
  r.promote_version = StringMember(p, "promote_version");
  if (r.to_env.empty() || r.digest.empty()) return InvalidArgument("promotion record: empty to.env or digest");
  return r;
}

Result<std::string> WriteRecord(registry::RegistryClient& client, const std::string& repo,
                                const oci::Descriptor& subject, const PromotionRecord& record,
                                const sigstore::PrivateKey& key, sigstore::SignatureFormat format,
                                const registry::Scopes& scopes, const CancelToken* cancel) {
  if (format == sigstore::SignatureFormat::kBundle) {
    PROMOTE_ASSIGN_OR_RETURN(sign::BundleAttachOutcome attached,
                             sign::AttachStatementBundle(client, repo, subject, client.host() + "/" + repo,
                                                         kPromotionPredicateType, record.ToPredicate(), key,
                                                         record.time, scopes, cancel));
    return client.host() + "/" + repo + "@" + attached.referrer.str();
  }
  PROMOTE_ASSIGN_OR_RETURN(std::string statement,
                           sigstore::BuildInTotoStatement(kPromotionPredicateType, client.host() + "/" + repo,
                                                          subject.digest.str(), record.ToPredicate()));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::DsseEnvelope envelope,
                           sigstore::SignDsse("application/vnd.in-toto+json", statement, key));
  PROMOTE_ASSIGN_OR_RETURN(sign::AttachOutcome outcome,
                           sign::AttachAttestation(client, repo, subject, envelope, kPromotionPredicateType, scopes, cancel));
  return outcome.attestation_reference;
}

namespace {

// A verified statement's record, checked against `digest`.
CheckedRecord RecordFromStatement(const sigstore::InTotoStatement& statement, const oci::Digest& digest) {
  CheckedRecord checked;
  if (statement.predicate_type != kPromotionPredicateType) {
    checked.problem = "statement predicate type " + statement.predicate_type + " is not a promotion record";
    return checked;
  }
  auto rec = PromotionRecord::FromPredicate(statement.predicate);
  if (!rec.ok()) {
    checked.problem = rec.status().message();
  } else if (rec->digest != digest.str()) {
    checked.record = *rec;
    checked.problem = "record names digest " + rec->digest + ", not " + digest.str();
  } else {
    checked.record = *rec;
    checked.valid = true;
  }
  return checked;
}

// The records in the digest's .att manifest.
Result<std::vector<CheckedRecord>> ReadAttRecords(registry::RegistryClient& client, const std::string& repo,
                                                  const oci::Digest& digest, const sigstore::PublicKey& key,
                                                  const registry::Scopes& scopes, const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(auto stored, sign::ListAttestations(client, repo, digest, scopes, cancel));
  std::vector<CheckedRecord> out;
  const std::string reference = client.host() + "/" + repo + ":" + digest.TagForm() + ".att";
  for (const auto& att : stored) {
    if (att.predicate_type != kPromotionPredicateType) continue;
    auto statement = sigstore::VerifyAttestationEnvelope(att.envelope, key, digest.str());
    if (statement.ok()) {
      out.push_back(RecordFromStatement(*statement, digest));
      out.back().reference = reference;
      out.back().envelope_digest = att.envelope_digest;
      continue;
    }
    CheckedRecord checked;
    checked.reference = reference;
    checked.envelope_digest = att.envelope_digest;
    checked.problem = statement.status().message();
    // Still show what the record claims, so a forged record can be reported as such.
    auto env = sigstore::ParseDsseEnvelope(att.envelope);
    if (env.ok()) {
      auto parsed = sigstore::ParseInTotoStatement(env->payload);
      if (parsed.ok()) {
        auto rec = PromotionRecord::FromPredicate(parsed->predicate);
        if (rec.ok()) checked.record = *rec;
      }
    }
    out.push_back(std::move(checked));
  }
  return out;
}

// The records attached as bundle referrers (signing.format: bundle).
Result<std::vector<CheckedRecord>> ReadBundleRecords(registry::RegistryClient& client,
                                                     const std::string& repo, const oci::Digest& digest,
                                                     const sigstore::PublicKey& key,
                                                     const registry::Scopes& scopes,
                                                     const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(
      sign::BundleReport report,
      sign::VerifyImageBundles(client, repo, digest, sigstore::VerificationKey::FromPublicKey(key), nullptr,
                               kPromotionPredicateType, scopes, cancel));
  std::vector<CheckedRecord> out;
  for (const auto& b : report.bundles) {
    if (b.verified && b.statement) {
      out.push_back(RecordFromStatement(*b.statement, digest));
    } else if (b.annotated_predicate_type == kPromotionPredicateType) {
      CheckedRecord checked;
      checked.problem = "bundle " + b.referrer.str() + ": " + b.reason;
      out.push_back(std::move(checked));
    } else {
      continue;
    }
    out.back().reference = client.host() + "/" + repo + "@" + b.referrer.str();
    out.back().envelope_digest = b.referrer;
  }
  return out;
}

}  // namespace

Result<std::vector<CheckedRecord>> ReadRecords(registry::RegistryClient& client, const std::string& repo,
                                               const oci::Digest& digest, const sigstore::PublicKey& key,
                                               const registry::Scopes& scopes, const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(auto out, ReadAttRecords(client, repo, digest, key, scopes, cancel));
  PROMOTE_ASSIGN_OR_RETURN(auto bundled, ReadBundleRecords(client, repo, digest, key, scopes, cancel));
  for (auto& r : bundled) out.push_back(std::move(r));
  return out;
}

Status MarkIncompleteRecords(registry::RegistryClient& client, const std::string& repo, const oci::Digest& digest,
                             const std::string& env_name, const std::vector<std::string>& mutable_tags,
                             const registry::Scopes& scopes, std::vector<CheckedRecord>* records) {
  std::map<std::string, std::optional<oci::Digest>> named;  // tag -> what it names now
  for (auto& r : *records) {
    if (!r.valid || r.record.to_env != env_name) continue;
    for (const auto& tag : r.record.tags) {
      if (std::find(mutable_tags.begin(), mutable_tags.end(), tag) != mutable_tags.end()) continue;
      auto it = named.find(tag);
      if (it == named.end()) {
        PROMOTE_ASSIGN_OR_RETURN(auto head, client.HeadManifest(repo, tag, scopes));
        it = named.emplace(tag, head ? std::optional<oci::Digest>(head->digest) : std::nullopt).first;
      }
      if (it->second && *it->second == digest) continue;
      r.valid = false;
      r.problem = "the promotion into '" + env_name + "' did not complete: tag '" + tag + "' at " + client.host() +
                  "/" + repo + (it->second ? " names " + it->second->str() + ", not " + digest.str() : " is missing");
      break;
    }
  }
  return OkStatus();
}

}  // namespace promote::promotion
