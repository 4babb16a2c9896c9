// Scan evidence: each scanner report of a promotion, attached to the promoted digest at the
// target as a signed cosign vulnerability attestation (`cosign attest --type vuln`), so anyone
// with the public key can later check what was scanned, by which scanner, when, and what it found.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "oci/manifest.h"
#include "promotion/ci_context.h"
#include "registry/registry_client.h"
#include "scan/finding.h"
#include "sigstore/ec_key.h"
#include "sigstore/signature_format.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::promotion {

inline constexpr std::string_view kVulnPredicateType = "https://cosign.sigstore.dev/attestation/vuln/v1";

// cosign's vulnerability-scan predicate for one report:
//   {"invocation": {"parameters": {"platform", "artifact"}, "uri": CI run URL, "event_id": CI run id,
//                   "builder.id": "promote@<version>"},
//    "scanner": {"uri": "pkg:github/aquasecurity/trivy@<ver>" (grype: anchore/grype), "version",
//                "db": {"uri", "version"}, "result": <the report JSON as the scanner wrote it>},
//    "metadata": {"scanStartedOn", "scanFinishedOn"}}
// kInvalidArgument when report.raw is not JSON (every parsed report is).
Result<nlohmann::json> VulnPredicate(const scan::ScanReport& report, const CiContext& ci);

// One attached report.
struct ScanAttestation {
  std::string reference;  // "registry/repo:sha256-<hex>.att", or "registry/repo@<referrer digest>" as a bundle
  std::string envelope_digest;  // the DSSE envelope's digest (.att), or the bundle's
  std::string scanner;
  std::string platform;
  bool added = false;  // false: the identical envelope was already there

  nlohmann::json ToJson()
      const;  // {"reference", "predicate_type", "envelope_digest", "scanner", "platform", "added"}
};

// Signs one in-toto statement per report (subject: `subject` in client.host()/repo, predicate
// VulnPredicate) with `key` and appends each to the digest's .att manifest in `repo`, in order
// (kCosign), or attaches each as a DSSE bundle referrer (kBundle).
// Stops at the first failure: a report whose envelope would exceed what readers accept
// (sigstore::kMaxEnvelopeBytes) is kInvalidArgument naming it; registry errors are passed on.
// `scopes` need pull and push on `repo`.
Result<std::vector<ScanAttestation>> AttachScanEvidence(
    registry::RegistryClient& client, const std::string& repo, const oci::Descriptor& subject,
    const std::vector<scan::ScanReport>& reports, const sigstore::PrivateKey& key,
    sigstore::SignatureFormat format, const CiContext& ci, const registry::Scopes& scopes,
    const CancelToken* cancel = nullptr);

}  // namespace promote::promotion
