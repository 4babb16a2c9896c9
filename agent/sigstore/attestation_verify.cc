#include "sigstore/attestation_verify.h"

#include "oci/digest.h"
#include "sigstore/dsse.h"

namespace promote::sigstore {
namespace {


}  // namespace

Result<InTotoStatement> VerifyAttestationEnvelope(std::string_view envelope_json, const PublicKey& key,
                                                  std::string_view manifest_digest) {
  if (!oci::Digest::Parse(manifest_digest).ok()) {
    return InvalidArgument("expected manifest digest '" + std::string(manifest_digest) +
                           "' is not sha256:<64 lowercase hex>");
  }
  auto envelope = ParseDsseEnvelope(envelope_json);
  if (!envelope.ok()) return GateRefused(envelope.status().message());
  if (envelope->payload_type != kInTotoPayloadType) {
    return GateRefused("DSSE envelope: payloadType is '" + envelope->payload_type + "', expected " +
                   std::string(kInTotoPayloadType));
  }
  PROMOTE_RETURN_IF_ERROR(VerifyDsse(*envelope, key));
  auto statement = ParseInTotoStatement(envelope->payload);
  if (!statement.ok()) return GateRefused(statement.status().message());
  PROMOTE_RETURN_IF_ERROR(CheckSubjectDigest(*statement, manifest_digest));
  return statement;
}

}  // namespace promote::sigstore
