#include "sign/attestation_store.h"

#include "registry/tag_lock.h"

#include "sign/cosign_attachment.h"
#include "sigstore/in_toto.h"
#include "sigstore/simple_signing.h"
#include "sigstore/size_limits.h"

namespace promote::sign {

Result<AttachOutcome> AttachAttestation(registry::RegistryClient& client, const std::string& repo,
                                        const oci::Descriptor& subject, std::string_view envelope_json,
                                        std::string_view predicate_type, const registry::Scopes& scopes,
                                        const CancelToken* cancel) {
  const std::string what = "attestation for " + subject.digest.str();
  auto envelope = sigstore::ParseDsseEnvelope(envelope_json);
  if (!envelope.ok()) return InvalidArgument(what + ": " + envelope.status().message());
  if (envelope->payload_type != sigstore::kInTotoPayloadType) {
    return InvalidArgument(what + ": DSSE payloadType is '" + envelope->payload_type + "', expected " +
                           std::string(sigstore::kInTotoPayloadType));
  }
  auto statement = sigstore::ParseInTotoStatement(envelope->payload);
  if (!statement.ok()) return InvalidArgument(what + ": " + statement.status().message());
  if (Status st = sigstore::CheckSubjectDigest(*statement, subject.digest.str()); !st.ok()) {
    return InvalidArgument(what + ": " + st.message());
  }
  if (!predicate_type.empty() && predicate_type != statement->predicate_type) {
    return InvalidArgument(what + ": predicate type '" + std::string(predicate_type) +
                           "' differs from the statement's '" + statement->predicate_type + "'");
  }

  const std::string tag = AttachmentTag(subject.digest, kAttestationTagSuffix);
  AttachOutcome outcome;
  outcome.attestation_reference = client.host() + "/" + repo + ":" + tag;
  outcome.envelope_digest = oci::Digest::Of(envelope_json);
  // Writers on this host take turns at the tag; one elsewhere may still replace the manifest
  // with one built from an older read, so it is read back and the append made again if needed.
  PROMOTE_ASSIGN_OR_RETURN(registry::TagLock lock, registry::TagLock::Acquire(client.host(), repo, {tag}, cancel));
  for (int attempt = 0;; ++attempt) {
    PROMOTE_ASSIGN_OR_RETURN(AttachmentManifest current, ReadAttachmentManifest(client, repo, tag, scopes, cancel));
    for (const auto& layer : current.layers) {
      if (layer.digest == outcome.envelope_digest) {
        outcome.attestation_manifest = current.stored->digest;
        outcome.attestations = current.layers.size();
        return outcome;
      }
    }
    if (attempt == kMaxAppendAttempts) {
      return Status(Code::kUnavailable, outcome.attestation_reference + ": other writers replaced it " +
                                            std::to_string(kMaxAppendAttempts) +
                                            " times while the " + what + " was appended; try again");
    }
    NewAttachmentLayer layer;
    layer.media_type = std::string(sigstore::kDsseEnvelopeMediaType);
    layer.blob = std::string(envelope_json);
    layer.annotations[std::string(kPredicateTypeAnnotation)] = statement->predicate_type;
    layer.annotations[std::string(sigstore::kSignatureAnnotation)] = "";
    PROMOTE_RETURN_IF_ERROR(AppendAttachmentLayer(client, repo, current, layer, scopes, cancel).status());
    outcome.added = true;
  }
}

Result<AttachOutcome> AttachAttestation(registry::RegistryClient& client, const std::string& repo,
                                        const oci::Descriptor& subject,
                                        const sigstore::DsseEnvelope& envelope,
                                        std::string_view predicate_type, const registry::Scopes& scopes,
                                        const CancelToken* cancel) {
  return AttachAttestation(client, repo, subject, sigstore::EncodeDsseEnvelope(envelope), predicate_type,
                           scopes, cancel);
}

Result<std::vector<StoredAttestation>> ListAttestations(registry::RegistryClient& client,
                                                        const std::string& repo, const oci::Digest& subject,
                                                        const registry::Scopes& scopes,
                                                        const CancelToken* cancel) {
  const std::string tag = AttachmentTag(subject, kAttestationTagSuffix);
  PROMOTE_ASSIGN_OR_RETURN(AttachmentManifest att, ReadAttachmentManifest(client, repo, tag, scopes, cancel));
  std::vector<StoredAttestation> out;
  for (size_t i = 0; i < att.layers.size(); ++i) {
    const AttachmentLayer& layer = att.layers[i];
    if (layer.media_type != sigstore::kDsseEnvelopeMediaType) continue;
    const std::string what = client.host() + "/" + repo + ":" + tag + " layer " + std::to_string(i);
    if (layer.size > static_cast<int64_t>(sigstore::kMaxEnvelopeBytes)) {
      return RegistryError(what + ": envelope of " + std::to_string(layer.size) +
                           " bytes exceeds the limit of " + std::to_string(sigstore::kMaxEnvelopeBytes));
    }
    auto bytes = client.GetBlobBytes(repo, layer.digest, sigstore::kMaxEnvelopeBytes, scopes, cancel);
    if (!bytes.ok()) return bytes.status().WithContext(what);
    StoredAttestation stored;
    stored.layer = i;
    auto pt = layer.annotations.find(std::string(kPredicateTypeAnnotation));
    if (pt != layer.annotations.end()) stored.predicate_type = pt->second;
    stored.envelope_digest = layer.digest;
    stored.envelope = std::move(*bytes);
    out.push_back(std::move(stored));
  }
  return out;
}

}  // namespace promote::sign
