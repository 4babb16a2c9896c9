#include "sign/bundle_store.h"

#include "oci/media_types.h"
#include "sign/bundle_image_verifier.h"
#include "sigstore/dsse.h"
#include "sigstore/in_toto.h"
#include "sigstore/sigstore_bundle.h"

namespace promote::sign {

Result<BundleAttachOutcome> AttachBundle(registry::RegistryClient& client, const std::string& repo,
                                         const oci::Descriptor& subject, std::string_view bundle_json,
                                         std::string_view content, std::string_view predicate_type,
                                         std::string_view created, const registry::Scopes& scopes,
                                         const CancelToken* cancel) {
  const std::string empty_config = "{}";
  const std::string bundle(bundle_json);
  PROMOTE_RETURN_IF_ERROR(client.PushBlobBytes(repo, empty_config, scopes, cancel));
  PROMOTE_RETURN_IF_ERROR(client.PushBlobBytes(repo, bundle, scopes, cancel));
  nlohmann::ordered_json annotations = {{"dev.sigstore.bundle.content", content}};
  if (!predicate_type.empty()) annotations["dev.sigstore.bundle.predicateType"] = predicate_type;
  if (!created.empty()) annotations["org.opencontainers.image.created"] = created;
  nlohmann::ordered_json doc = {
      {"schemaVersion", 2},
      {"mediaType", oci::media_type::kOciManifest},
      {"artifactType", sigstore::kBundleMediaTypeV03},
      {"config",
       {{"mediaType", oci::media_type::kOciEmpty},
        {"digest", oci::Digest::Of(empty_config).str()},
        {"size", 2}}},
      {"layers",
       {{{"mediaType", sigstore::kBundleMediaTypeV03},
         {"digest", oci::Digest::Of(bundle).str()},
         {"size", bundle.size()}}}},
      {"subject",
       {{"mediaType", subject.media_type}, {"digest", subject.digest.str()}, {"size", subject.size}}},
      {"annotations", annotations}};
  PROMOTE_ASSIGN_OR_RETURN(oci::Manifest manifest, oci::ParseManifest(doc.dump(), oci::media_type::kOciManifest));
  PROMOTE_ASSIGN_OR_RETURN(registry::PushedReferrer pushed, registry::PushReferrer(client, repo, manifest, scopes, cancel));
  return BundleAttachOutcome{manifest.digest, oci::Digest::Of(bundle), pushed};
}

Result<BundleAttachOutcome> AttachStatementBundle(registry::RegistryClient& client, const std::string& repo,
                                                  const oci::Descriptor& subject,
                                                  std::string_view subject_name,
                                                  std::string_view predicate_type,
                                                  const nlohmann::json& predicate,
                                                  const sigstore::PrivateKey& key, std::string_view created,
                                                  const registry::Scopes& scopes, const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(std::string statement,
                           sigstore::BuildInTotoStatement(predicate_type, subject_name, subject.digest.str(),
                                                          predicate, sigstore::kInTotoStatementV1));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::DsseEnvelope envelope,
                           sigstore::SignDsse(sigstore::kInTotoPayloadType, statement, key));
  const std::string bundle =
      sigstore::EncodeDsseBundle(envelope, sigstore::PublicKeyHint(key.public_key().SpkiDer()));
  return AttachBundle(client, repo, subject, bundle, "dsse-envelope", predicate_type, created, scopes,
                      cancel);
}

Result<BundleSignOutcome> SignImageBundle(registry::RegistryClient& client, const std::string& repo,
                                          const oci::Descriptor& subject, std::string_view identity,
                                          const sigstore::PrivateKey& key, std::string_view created,
                                          const registry::Scopes& scopes, const CancelToken* cancel) {
  const std::string where = client.host() + "/" + repo + "@";
  PROMOTE_ASSIGN_OR_RETURN(BundleReport existing,
                           VerifyImageBundles(client, repo, subject.digest,
                                              sigstore::VerificationKey::FromPublicKey(key.public_key()),
                                              nullptr, kCosignSignPredicateType, scopes, cancel));
  for (const auto& b : existing.bundles) {
    if (b.verified) return BundleSignOutcome{where + b.referrer.str(), b.referrer, false};
  }
  PROMOTE_ASSIGN_OR_RETURN(BundleAttachOutcome attached,
                           AttachStatementBundle(client, repo, subject, identity, kCosignSignPredicateType,
                                                 nlohmann::json::object(), key, created, scopes, cancel));
  return BundleSignOutcome{where + attached.referrer.str(), attached.referrer, true};
}

}  // namespace promote::sign
