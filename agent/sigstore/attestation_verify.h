// One attestation, in memory: no registry I/O (sign/attestation_verifier.h reads an image's).
// Verification of one cosign attestation layer (.att tag): the DSSE envelope must be an in-toto
// payload signed by the key, and its statement must name the image digest as a subject.
#pragma once

#include <string_view>

#include "sigstore/ec_key.h"
#include "sigstore/in_toto.h"
#include "util/status.h"

namespace promote::sigstore {

// Parses `envelope_json`, requires payloadType application/vnd.in-toto+json, verifies the DSSE
// signatures with `key` (one valid is enough), parses the statement and checks that a subject
// has `manifest_digest`. Returns the statement. A malformed envelope or statement, wrong payload
// type, bad signature or missing subject is kGateRefused with the reason; a malformed
// `manifest_digest` is kInvalidArgument.
Result<InTotoStatement> VerifyAttestationEnvelope(std::string_view envelope_json, const PublicKey& key,
                                                  std::string_view manifest_digest);

}  // namespace promote::sigstore
