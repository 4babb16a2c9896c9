#include "sign/bundle_image_verifier.h"

#include <nlohmann/json.hpp>

#include "registry/referrers.h"
#include "sigstore/sigstore_bundle.h"

namespace promote::sign {
namespace {

BundleOutcome CheckOne(registry::RegistryClient& client, const std::string& repo,
                       const registry::Referrer& referrer, const oci::Digest& digest,
                       const sigstore::VerificationKey& key, const sigstore::TrustedRoot* root,
                       std::string_view predicate_type, const registry::Scopes& scopes,
                       const CancelToken* cancel, Status* registry_failure) {
  BundleOutcome out;
  out.referrer = referrer.digest;
  out.artifact_type = referrer.artifact_type;
  if (auto it = referrer.annotations.find("dev.sigstore.bundle.predicateType"); it != referrer.annotations.end()) {
    out.annotated_predicate_type = it->second;
  }
  auto bytes = FetchBundle(client, repo, referrer, digest, scopes, cancel);
  if (!bytes.ok()) {
    if (bytes.status().code() != Code::kGateRefused) *registry_failure = bytes.status();
    out.reason = bytes.status().message();
    return out;
  }
  auto bundle = sigstore::ParseSigstoreBundle(*bytes);
  if (!bundle.ok()) {
    out.reason = bundle.status().message();
    return out;
  }
  out.content = sigstore::BundleContentName(bundle->content);
  sigstore::BundleExpectation expected;
  expected.artifact_digest = digest.str();
  expected.trusted_root = root;
  auto verified = sigstore::VerifySigstoreBundle(*bundle, key, expected);
  if (!verified.ok()) {
    out.reason = verified.status().message();
    return out;
  }
  if (verified->statement) out.predicate_type = verified->statement->predicate_type;
  if (bundle->content == sigstore::BundleContent::kDsseEnvelope && !predicate_type.empty() &&
      out.predicate_type != predicate_type) {
    out.reason = "its statement's predicate type is '" + out.predicate_type + "', not " + std::string(predicate_type);
    return out;
  }
  out.verified = true;
  out.statement = std::move(verified->statement);
  out.key_only = verified->key_only;
  out.tlog_entries_verified = verified->tlog_entries_verified;
  out.timestamps = std::move(verified->timestamps);
  out.timestamps_unchecked = verified->timestamps_unchecked;
  return out;
}

}  // namespace

Result<std::string> FetchBundle(registry::RegistryClient& client, const std::string& repo,
                                const registry::Referrer& referrer, const oci::Digest& digest,
                                const registry::Scopes& scopes, const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(oci::Manifest m, client.GetManifest(repo, referrer.digest.str(), scopes, cancel));
  if (!m.subject || m.subject->digest != digest) {
    return GateRefused("its manifest's subject is " + (m.subject ? m.subject->digest.str() : std::string("missing")) +
                       ", not " + digest.str());
  }
  auto doc = nlohmann::json::parse(m.bytes, nullptr, false);
  const std::string artifact_type =
      doc.is_object() && doc.contains("artifactType") && doc["artifactType"].is_string()
          ? doc["artifactType"].get<std::string>()
          : "";
  if (!sigstore::IsSigstoreBundleMediaType(artifact_type)) {
    return GateRefused("its manifest's artifactType '" + artifact_type + "' is not a Sigstore bundle media type");
  }
  for (const auto& layer : m.layers) {
    if (!sigstore::IsSigstoreBundleMediaType(layer.media_type)) continue;
    if (layer.size > static_cast<int64_t>(sigstore::kMaxBundleBytes)) {
      return GateRefused("its bundle is " + std::to_string(layer.size) + " bytes, over the limit");
    }
    auto bytes = client.GetBlobBytes(repo, layer.digest, sigstore::kMaxBundleBytes, scopes, cancel);
    if (!bytes.ok()) return bytes.status();
    return std::move(*bytes);
  }
  return GateRefused("its manifest has no layer of a Sigstore bundle media type");
}

size_t BundleReport::verified_count() const {
  size_t n = 0;
  for (const auto& b : bundles) n += b.verified ? 1 : 0;
  return n;
}

Status BundleReport::ToStatus() const {
  if (verified_count() > 0) return OkStatus();
  if (bundles.empty()) return GateRefused("no Sigstore bundle is attached as a referrer");
  std::string reasons;
  for (const auto& b : bundles) {
    reasons += (reasons.empty() ? "" : "; ") + b.referrer.str() + ": " + b.reason;
  }
  return GateRefused("no Sigstore bundle verifies (" + reasons + ")");
}

Result<BundleReport> VerifyImageBundles(registry::RegistryClient& client, const std::string& repo,
                                        const oci::Digest& digest, const sigstore::VerificationKey& key,
                                        const sigstore::TrustedRoot* trusted_root,
                                        std::string_view predicate_type, const registry::Scopes& scopes,
                                        const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(registry::ReferrerList list, registry::ListReferrers(client, repo, digest, "", scopes, cancel));
  BundleReport report;
  report.from_api = list.from_api;
  for (const auto& referrer : list.referrers) {
    if (!sigstore::IsSigstoreBundleMediaType(referrer.artifact_type)) continue;
    Status failure;
    report.bundles.push_back(
        CheckOne(client, repo, referrer, digest, key, trusted_root, predicate_type, scopes, cancel, &failure));
    if (!failure.ok()) return failure;
  }
  return report;
}

}  // namespace promote::sign
