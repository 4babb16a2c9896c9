// One signature, in memory: no registry I/O (sign/image_verifier.h reads an image's).
// Verification of one cosign .sig layer: the signature over the payload bytes first, then the
// payload's claims (manifest digest, and the signed identity under a policy like containers/image's
// signedIdentity). A caller tries each simplesigning layer; one accepted layer is enough.
#pragma once

#include <string>
#include <string_view>

#include "sigstore/ec_key.h"
#include "sigstore/simple_signing.h"
#include "util/status.h"

namespace promote::sigstore {

// How the payload's docker-reference must relate to the expected identity.
enum class IdentityPolicy {
  kMatchRepository,  // same repository; tags and digests ignored (right for cosign-made signatures)
  kExact,            // same repository, tag and digest (after Docker Hub normalisation)
  kIgnore,           // no identity check (what `cosign verify` does)
};

struct SignatureExpectation {
  std::string manifest_digest;  // "sha256:<hex>" the payload must name
  IdentityPolicy identity_policy = IdentityPolicy::kMatchRepository;
  std::string identity;  // expected reference; unused for kIgnore
};

// Checks the layer: base64-decodes `signature_base64` (the dev.cosignproject.cosign/signature
// annotation), verifies it over the raw `payload` bytes with `key`, parses the payload strictly,
// then checks the digest and identity claims. Returns the claims when all hold.
// A bad signature, unparseable payload or failed claim is kGateRefused with the reason; an
// unusable expectation (bad digest or identity) is kInvalidArgument.
Result<SimpleSigningClaims> VerifySimpleSigningLayer(std::string_view payload,
                                                     std::string_view signature_base64, const PublicKey& key,
                                                     const SignatureExpectation& expected);

}  // namespace promote::sigstore
