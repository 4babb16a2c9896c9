#include "sign/image_signer.h"

#include <optional>

#include "registry/tag_lock.h"

#include "sign/cosign_attachment.h"
#include "sigstore/ecdsa.h"
#include "sigstore/simple_signing.h"
#include "util/base64.h"

namespace promote::sign {
namespace {

// cosign's duplicate rule: same payload (hence same claims and annotations) and a signature
// that verifies with the signer's key. ECDSA signatures are randomised, so comparing the
// signature annotation itself would never find a duplicate.
bool AlreadySigned(const AttachmentManifest& sig, const oci::Digest& payload_digest, std::string_view payload,
                   const sigstore::PublicKey& key) {
  for (const auto& layer : sig.layers) {
    if (layer.media_type != sigstore::kSimpleSigningMediaType || layer.digest != payload_digest) continue;
    auto annotation = layer.annotations.find(std::string(sigstore::kSignatureAnnotation));
    if (annotation == layer.annotations.end()) continue;
    auto der = Base64Decode(annotation->second);
    if (der && sigstore::VerifyEcdsaSha256(key, payload, *der).ok()) return true;
  }
  return false;
}

}  // namespace

std::string DefaultSigningIdentity(const oci::Reference& reference) { return reference.Name(); }

Result<SignOutcome> SignImage(registry::RegistryClient& client, const std::string& repo,
                              const oci::Descriptor& manifest, const sigstore::PrivateKey& key,
                              const SignOptions& options, const registry::Scopes& scopes,
                              const CancelToken* cancel) {
  if (options.identity.empty())
    return InvalidArgument("signing " + manifest.digest.str() + ": identity is empty");
  PROMOTE_ASSIGN_OR_RETURN(
      std::string payload,
      sigstore::BuildSimpleSigningPayload(options.identity, manifest.digest.str(), options.annotations));
  const oci::Digest payload_digest = oci::Digest::Of(payload);
  const std::string tag = AttachmentTag(manifest.digest, kSignatureTagSuffix);

  SignOutcome outcome;
  outcome.signature_reference = client.host() + "/" + repo + ":" + tag;
  outcome.payload_digest = payload_digest;
  // Writers on this host take turns at the tag; one elsewhere may still replace the manifest
  // with one built from an older read, so it is read back and the append made again if needed.
  PROMOTE_ASSIGN_OR_RETURN(registry::TagLock lock, registry::TagLock::Acquire(client.host(), repo, {tag}, cancel));
  std::optional<NewAttachmentLayer> layer;
  for (int attempt = 0;; ++attempt) {
    PROMOTE_ASSIGN_OR_RETURN(AttachmentManifest current, ReadAttachmentManifest(client, repo, tag, scopes, cancel));
    if (AlreadySigned(current, payload_digest, payload, key.public_key())) {
      outcome.signature_manifest = current.stored->digest;
      outcome.signatures = current.layers.size();
      return outcome;
    }
    if (attempt == kMaxAppendAttempts) {
      return Status(Code::kUnavailable, outcome.signature_reference + ": other writers replaced it " +
                                            std::to_string(kMaxAppendAttempts) + " times while the signature of " +
                                            manifest.digest.str() + " was appended; try again");
    }
    if (!layer) {
      PROMOTE_ASSIGN_OR_RETURN(std::string der, sigstore::SignEcdsaSha256(key, payload));
      layer.emplace();
      layer->media_type = std::string(sigstore::kSimpleSigningMediaType);
      layer->blob = payload;
      layer->annotations[std::string(sigstore::kSignatureAnnotation)] = Base64Encode(der);
    }
    PROMOTE_RETURN_IF_ERROR(AppendAttachmentLayer(client, repo, current, *layer, scopes, cancel).status());
    outcome.added = true;
  }
}

}  // namespace promote::sign
