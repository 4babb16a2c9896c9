#include "promotion/scan_evidence.h"

#include "sign/attestation_store.h"
#include "sign/bundle_store.h"
#include "sigstore/dsse.h"
#include "sigstore/in_toto.h"
#include "sigstore/sigstore_bundle.h"
#include "sigstore/size_limits.h"

namespace promote::promotion {
namespace {

std::string ScannerUri(const scan::ScanReport& report) {
  std::string version = report.scanner_version.empty() ? "unknown" : report.scanner_version;
  if (report.scanner == "trivy") return "pkg:github/aquasecurity/trivy@" + version;
  if (report.scanner == "grype") return "pkg:github/anchore/grype@" + version;
  return report.scanner;
}

// What the report says about its vulnerability database, where the scanner writes it.
nlohmann::json ScannerDb(const scan::ScanReport& report, const nlohmann::json& result) {
  nlohmann::json db = {{"uri", ""}, {"version", ""}};
  if (report.scanner != "grype" || !result.is_object()) return db;
  auto descriptor = result.find("descriptor");
  if (descriptor == result.end() || !descriptor->is_object()) return db;
  auto d = descriptor->find("db");
  if (d == descriptor->end() || !d->is_object()) return db;
  // Grype ≥ 0.80 nests the status; older versions put the fields at the top.
  const nlohmann::json& status = d->contains("status") && (*d)["status"].is_object() ? (*d)["status"] : *d;
  for (const char* key : {"schemaVersion", "built"}) {
    auto v = status.find(key);
    if (v != status.end() && (v->is_string() || v->is_number())) {
      db["version"] = v->is_string() ? v->get<std::string>() : v->dump();
      break;
    }
  }
  for (const char* key : {"from", "location"}) {
    auto v = status.find(key);
    if (v != status.end() && v->is_string()) {
      db["uri"] = v->get<std::string>();
      break;
    }
  }
  return db;
}

}  // namespace

Result<nlohmann::json> VulnPredicate(const scan::ScanReport& report, const CiContext& ci) {
  nlohmann::json result = nlohmann::json::parse(report.raw, nullptr, false);
  if (result.is_discarded()) {
    return InvalidArgument("the " + report.scanner + " report for '" + report.artifact + "' is not JSON");
  }
  nlohmann::json db = ScannerDb(report, result);
  return nlohmann::json{
      {"invocation",
       {{"parameters", {{"platform", report.platform}, {"artifact", report.artifact}}},
        {"uri", ci.run_url},
        {"event_id", ci.run_id},
        {"builder.id", std::string("promote@") + PROMOTE_VERSION}}},
      {"scanner",
       {{"uri", ScannerUri(report)},
        {"version", report.scanner_version},
        {"db", std::move(db)},
        {"result", std::move(result)}}},
      {"metadata", {{"scanStartedOn", report.started_on}, {"scanFinishedOn", report.finished_on}}},
  };
}

nlohmann::json ScanAttestation::ToJson() const {
  return {{"reference", reference},
          {"predicate_type", std::string(kVulnPredicateType)},
          {"envelope_digest", envelope_digest},
          {"scanner", scanner},
          {"platform", platform},
          {"added", added}};
}

namespace {

// One report's statement, signed as a DSSE envelope, refused when readers would not accept it.
Result<sigstore::DsseEnvelope> SignedEvidence(const scan::ScanReport& report, const nlohmann::json& predicate,
                                              const std::string& subject_name, const oci::Descriptor& subject,
                                              const sigstore::PrivateKey& key) {
  PROMOTE_ASSIGN_OR_RETURN(
      std::string statement,
      sigstore::BuildInTotoStatement(kVulnPredicateType, subject_name, subject.digest.str(), predicate));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::DsseEnvelope envelope,
                           sigstore::SignDsse(sigstore::kInTotoPayloadType, statement, key));
  if (sigstore::EncodeDsseEnvelope(envelope).size() > sigstore::kMaxEnvelopeBytes) {
    return InvalidArgument(
        "the " + report.scanner + " report" + (report.platform.empty() ? "" : " for " + report.platform) +
        " is " + std::to_string(report.raw.size()) + " bytes, too large to attach as an attestation (" +
        std::to_string(sigstore::kMaxEnvelopeBytes) +
        " bytes once signed); keep package lists out of it (trivy --list-all-pkgs=false)");
  }
  return envelope;
}

}  // namespace

Result<std::vector<ScanAttestation>> AttachScanEvidence(
    registry::RegistryClient& client, const std::string& repo, const oci::Descriptor& subject,
    const std::vector<scan::ScanReport>& reports, const sigstore::PrivateKey& key,
    sigstore::SignatureFormat format, const CiContext& ci, const registry::Scopes& scopes,
    const CancelToken* cancel) {
  std::vector<ScanAttestation> out;
  const std::string name = client.host() + "/" + repo;
  for (const auto& report : reports) {
    PROMOTE_ASSIGN_OR_RETURN(nlohmann::json predicate, VulnPredicate(report, ci));
    PROMOTE_ASSIGN_OR_RETURN(sigstore::DsseEnvelope envelope,
                             SignedEvidence(report, predicate, name, subject, key));
    ScanAttestation a;
    a.scanner = report.scanner;
    a.platform = report.platform;
    if (format == sigstore::SignatureFormat::kBundle) {
      const std::string bundle =
          sigstore::EncodeDsseBundle(envelope, sigstore::PublicKeyHint(key.public_key().SpkiDer()));
      PROMOTE_ASSIGN_OR_RETURN(sign::BundleAttachOutcome attached,
                               sign::AttachBundle(client, repo, subject, bundle, "dsse-envelope", kVulnPredicateType,
                                                  report.finished_on, scopes, cancel));
      a.reference = name + "@" + attached.referrer.str();
      a.envelope_digest = attached.bundle.str();
      a.added = true;
    } else {
      PROMOTE_ASSIGN_OR_RETURN(
          sign::AttachOutcome attached,
          sign::AttachAttestation(client, repo, subject, sigstore::EncodeDsseEnvelope(envelope),
                                  kVulnPredicateType, scopes, cancel));
      a.reference = attached.attestation_reference;
      a.envelope_digest = attached.envelope_digest.str();
      a.added = attached.added;
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace promote::promotion
