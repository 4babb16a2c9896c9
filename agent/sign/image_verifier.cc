#include "sign/image_verifier.h"

#include "sign/cosign_attachment.h"
#include "sigstore/docker_identity.h"
#include "sigstore/simple_signing.h"
#include "sigstore/size_limits.h"

namespace promote::sign {

bool VerifyReport::verified() const { return verified_count() > 0; }

size_t VerifyReport::verified_count() const {
  size_t n = 0;
  for (const auto& s : signatures) n += s.verified ? 1 : 0;
  return n;
}

Status VerifyReport::ToStatus() const {
  if (verified()) return OkStatus();
  if (signatures.empty()) {
    return Status(Code::kGateRefused,
                  "no signatures: " + signature_reference + " does not exist or is empty");
  }
  std::string msg = "none of the " + std::to_string(signatures.size()) + " signatures at " +
                    signature_reference + " is accepted";
  for (const auto& s : signatures) msg += "; [" + std::to_string(s.layer) + "] " + s.reason;
  return Status(Code::kGateRefused, msg);
}

Result<VerifyReport> VerifyImage(registry::RegistryClient& client, const std::string& repo,
                                 const oci::Digest& digest, const sigstore::PublicKey& key,
                                 const IdentityExpectation& expected, const registry::Scopes& scopes,
                                 const CancelToken* cancel) {
  if (expected.policy != sigstore::IdentityPolicy::kIgnore) {
    auto identity = sigstore::ParseDockerIdentity(expected.identity);
    if (!identity.ok()) return identity.status().WithContext("expected signature identity");
  }
  const std::string tag = AttachmentTag(digest, kSignatureTagSuffix);
  VerifyReport report;
  report.signature_reference = client.host() + "/" + repo + ":" + tag;
  PROMOTE_ASSIGN_OR_RETURN(AttachmentManifest sig, ReadAttachmentManifest(client, repo, tag, scopes, cancel));

  sigstore::SignatureExpectation expectation{digest.str(), expected.policy, expected.identity};
  for (size_t i = 0; i < sig.layers.size(); ++i) {
    const AttachmentLayer& layer = sig.layers[i];
    SignatureOutcome outcome;
    outcome.layer = i;
    outcome.media_type = layer.media_type;
    outcome.payload_digest = layer.digest;
    auto refuse = [&](std::string reason) {
      outcome.reason = std::move(reason);
      report.signatures.push_back(outcome);
    };
    if (layer.media_type != sigstore::kSimpleSigningMediaType) {
      refuse("not a simple-signing layer (media type " + layer.media_type + ")");
      continue;
    }
    auto annotation = layer.annotations.find(std::string(sigstore::kSignatureAnnotation));
    if (annotation == layer.annotations.end()) {
      refuse("no " + std::string(sigstore::kSignatureAnnotation) + " annotation");
      continue;
    }
    if (layer.size > static_cast<int64_t>(sigstore::kMaxSimpleSigningPayloadBytes)) {
      refuse("payload of " + std::to_string(layer.size) +
             " bytes is larger than a simple-signing payload can be");
      continue;
    }
    auto payload =
        client.GetBlobBytes(repo, layer.digest, sigstore::kMaxSimpleSigningPayloadBytes, scopes, cancel);
    if (!payload.ok()) {
      Code c = payload.status().code();
      if (c != Code::kNotFound && c != Code::kDataLoss) return payload.status();
      refuse("payload blob: " + payload.status().message());
      continue;
    }
    auto claims = sigstore::VerifySimpleSigningLayer(*payload, annotation->second, key, expectation);
    if (!claims.ok()) {
      if (claims.status().code() != Code::kGateRefused) return claims.status();
      if (auto parsed = sigstore::ParseSimpleSigningPayload(*payload); parsed.ok())
        outcome.identity = parsed->docker_reference;
      refuse(claims.status().message());
      continue;
    }
    outcome.verified = true;
    outcome.identity = claims->docker_reference;
    report.signatures.push_back(std::move(outcome));
  }
  return report;
}

}  // namespace promote::sign
