#include "promotion/provenance_gate.h"

#include <iterator>

#include "registry/referrers.h"
#include "sign/attestation_store.h"
#include "sign/bundle_image_verifier.h"
#include "sigstore/dsse.h"
#include "sigstore/sigstore_bundle.h"

namespace promote::promotion {
namespace {

// The annotation cosign v3 (and promote) put on a bundle referrer: its statement's predicate type.
constexpr std::string_view kBundlePredicateTypeAnnotation = "dev.sigstore.bundle.predicateType";

struct EnvelopeVerdict {
  std::string check;  // "" when it passed
  std::string reason;
  ProvenanceFacts facts;
  std::string predicate_type;
};

EnvelopeVerdict JudgeProvenance(const ProvenanceEnvelope& candidate, const sigstore::PublicKey& key,
                                const std::string& subject_digest, const ProvenanceExpectation& expect) {
  if (!candidate.problem.empty()) return {"envelope", candidate.problem, {}, {}};
  auto envelope = sigstore::ParseDsseEnvelope(candidate.envelope);
  if (!envelope.ok()) return {"envelope", envelope.status().message(), {}, {}};
  if (envelope->payload_type != sigstore::kInTotoPayloadType) {
    return {
        "envelope",
        "payloadType is '" + envelope->payload_type + "', not " + std::string(sigstore::kInTotoPayloadType),
        {},
        {}};
  }
  if (!sigstore::VerifyDsse(*envelope, key).ok()) {
    return {"signature", "no signature of the envelope verifies with the provenance gate's key", {}, {}};
  }
  auto statement = sigstore::ParseInTotoStatement(envelope->payload);
  if (!statement.ok()) return {"predicate", statement.status().message(), {}, {}};
  if (Status subject = sigstore::CheckSubjectDigest(*statement, subject_digest); !subject.ok()) {
    return {"subject", "the provenance is about another image: no subject names " + subject_digest, {}, {}};
  }
  ProvenanceJudgement j = JudgeProvenance(*statement, expect);
  return {j.check, j.reason, std::move(j.facts), statement->predicate_type};
}

}  // namespace

Result<std::vector<ProvenanceEnvelope>> FindCosignProvenance(registry::RegistryClient& client,
                                                             const std::string& repo,
                                                             const oci::Digest& digest,
                                                             const registry::Scopes& scopes,
                                                             const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(auto stored, sign::ListAttestations(client, repo, digest, scopes, cancel));
  const std::string reference = client.host() + "/" + repo + ":" + digest.TagForm() + ".att";
  std::vector<ProvenanceEnvelope> out;
  for (auto& s : stored) {
    if (!IsSlsaProvenance(s.predicate_type)) continue;
    out.push_back({reference, s.layer, s.envelope_digest, std::move(s.envelope), ""});
  }
  return out;
}

Result<std::vector<ProvenanceEnvelope>> FindBundleProvenance(registry::RegistryClient& client,
                                                             const std::string& repo, const oci::Digest& digest,
                                                             const registry::Scopes& scopes,
                                                             const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(registry::ReferrerList list,
                           registry::ListReferrers(client, repo, digest, "", scopes, cancel));
  std::vector<ProvenanceEnvelope> out;
  for (const auto& referrer : list.referrers) {
    auto type = referrer.annotations.find(std::string(kBundlePredicateTypeAnnotation));
    if (!sigstore::IsSigstoreBundleMediaType(referrer.artifact_type) || type == referrer.annotations.end() ||
        !IsSlsaProvenance(type->second)) {
      continue;
    }
    ProvenanceEnvelope found{client.host() + "/" + repo + "@" + referrer.digest.str(), 0, referrer.digest, "", ""};
    auto bytes = sign::FetchBundle(client, repo, referrer, digest, scopes, cancel);
    if (!bytes.ok() && bytes.status().code() != Code::kGateRefused) return bytes.status();
    auto bundle =
        bytes.ok() ? sigstore::ParseSigstoreBundle(*bytes) : Result<sigstore::SigstoreBundle>(bytes.status());
    if (!bundle.ok()) {
      found.problem = bundle.status().message();
    } else if (bundle->content != sigstore::BundleContent::kDsseEnvelope) {
      found.problem = "the bundle holds a message signature, not a DSSE envelope";
    } else {
      found.envelope_digest = oci::Digest::Of(*bytes);
      found.envelope = sigstore::EncodeDsseEnvelope(bundle->envelope);
    }
    out.push_back(std::move(found));
  }
  return out;
}

ProvenanceGateOutcome JudgeProvenanceEnvelopes(const std::vector<ProvenanceEnvelope>& envelopes,
                                               const sigstore::PublicKey& key,
                                               const std::string& subject_digest,
                                               const ProvenanceExpectation& expect, int build_level,
                                               const std::string& where) {
  ProvenanceGateOutcome out;
  out.gate = {"provenance", Verdict::kRefused, "", nlohmann::json::object()};
  nlohmann::json refusals = nlohmann::json::array();
  std::string reasons;
  for (const auto& candidate : envelopes) {
    EnvelopeVerdict v = JudgeProvenance(candidate, key, subject_digest, expect);
    if (v.check.empty()) {
      out.gate.verdict = Verdict::kPassed;
      out.gate.detail = "SLSA provenance (" + v.predicate_type +
                        ") signed with the gate's key shows commit " + expect.commit + " built by " +
                        v.facts.builder_id;
      out.gate.data = {
          {"predicate_type", v.predicate_type},
          {"builder_id", v.facts.builder_id},
          {"commit", expect.commit},
          {"build_level", build_level},
          {"attestation",
           {{"reference", candidate.reference}, {"envelope_digest", candidate.envelope_digest.str()}}}};
      out.inputs.push_back({candidate.reference, candidate.envelope_digest.hex()});
      out.build_level = build_level;
      return out;
    }
    refusals.push_back({{"reference", candidate.reference},
                        {"layer", candidate.layer},
                        {"envelope_digest", candidate.envelope_digest.str()},
                        {"check", v.check},
                        {"reason", v.reason}});
    reasons += (reasons.empty() ? "" : "; ") +
               ("[" + std::to_string(candidate.layer) + "] " + v.check + " check failed: " + v.reason);
  }
  if (envelopes.empty()) {
    out.gate.detail = "missing: " + where + " holds no SLSA provenance attestation (" +
                      std::string(kSlsaProvenanceV02) + " or " + std::string(kSlsaProvenanceV1) + ")";
    refusals.push_back({{"check", "missing"}, {"reason", out.gate.detail}});
  } else if (envelopes.size() == 1) {
    out.gate.detail = refusals[0]["check"].get<std::string>() +
                      " check failed: " + refusals[0]["reason"].get<std::string>() + " (" + where + ")";
  } else {
    out.gate.detail = "none of the " + std::to_string(envelopes.size()) +
                      " SLSA provenance attestations at " + where + " is accepted: " + reasons;
  }
  out.gate.data = {{"refusals", std::move(refusals)}};
  return out;
}

Result<ProvenanceGateOutcome> RunProvenanceGate(registry::RegistryClient& client, const std::string& repo,
                                                const oci::Digest& digest,
                                                const policy::ProvenanceGateConfig& gate,
                                                const std::string& key_pem, const std::string& commit,
                                                const registry::Scopes& scopes, const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(sigstore::PublicKey key,
                           sigstore::PublicKey::FromPem(key_pem, "provenance gate key " + gate.public_key));
  PROMOTE_ASSIGN_OR_RETURN(auto envelopes, FindCosignProvenance(client, repo, digest, scopes, cancel));
  PROMOTE_ASSIGN_OR_RETURN(auto bundles, FindBundleProvenance(client, repo, digest, scopes, cancel));
  envelopes.insert(envelopes.end(), std::make_move_iterator(bundles.begin()), std::make_move_iterator(bundles.end()));
  const std::string where = client.host() + "/" + repo + ":" + digest.TagForm() + ".att and " + digest.str() +
                            "'s Sigstore bundle referrers";
  return JudgeProvenanceEnvelopes(envelopes, key, digest.str(), {commit, gate.builder_id}, gate.build_level,
                                  where);
}

}  // namespace promote::promotion
