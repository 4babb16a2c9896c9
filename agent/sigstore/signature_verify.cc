#include "sigstore/signature_verify.h"

#include "oci/digest.h"
#include "sigstore/docker_identity.h"
#include "sigstore/ecdsa.h"
#include "util/base64.h"

namespace promote::sigstore {
namespace {


Status CheckIdentity(const std::string& claimed, const SignatureExpectation& expected) {
  if (expected.identity_policy == IdentityPolicy::kIgnore) return OkStatus();
  auto want = ParseDockerIdentity(expected.identity);
  if (!want.ok()) return want.status().WithContext("expected signature identity");
  auto got = ParseDockerIdentity(claimed);
  if (!got.ok()) return GateRefused("signature identity is not a valid reference: " + got.status().message());
  if (expected.identity_policy == IdentityPolicy::kMatchRepository) {
    if (got->repository != want->repository) {
      return GateRefused("signature for identity " + claimed + " is not accepted: expected repository " +
                     want->repository);
    }
    return OkStatus();
  }
  if (got->ToString() != want->ToString()) {
    return GateRefused("signature for identity " + claimed + " is not accepted: expected exactly " +
                   want->ToString());
  }
  return OkStatus();
}

}  // namespace

Result<SimpleSigningClaims> VerifySimpleSigningLayer(std::string_view payload,
                                                     std::string_view signature_base64, const PublicKey& key,
                                                     const SignatureExpectation& expected) {
  if (!oci::Digest::Parse(expected.manifest_digest).ok()) {
    return InvalidArgument("expected manifest digest '" + expected.manifest_digest +
                           "' is not sha256:<64 lowercase hex>");
  }
  auto signature = Base64Decode(signature_base64);
  if (!signature) {
    return GateRefused("signature annotation " + std::string(kSignatureAnnotation) + " is not valid base64");
  }
  PROMOTE_RETURN_IF_ERROR(VerifyEcdsaSha256(key, payload, *signature));
  auto claims = ParseSimpleSigningPayload(payload);
  if (!claims.ok()) return GateRefused(claims.status().message());
  if (claims->manifest_digest != expected.manifest_digest) {
    return GateRefused("signature is for manifest " + claims->manifest_digest + ", not " +
                   expected.manifest_digest);
  }
  PROMOTE_RETURN_IF_ERROR(CheckIdentity(claims->docker_reference, expected));
  return claims;
}

}  // namespace promote::sigstore
