// One bundle, in memory: no registry I/O (sign/bundle_image_verifier.h reads an image's).
// Verifying one Sigstore bundle offline with a public key: the signature (message signature
// over the artifact, or DSSE envelope over its payload), what it is about (the artifact digest,
// or an in-toto statement whose subject names it) and, when a trusted root is configured, its
// transparency-log entries and its RFC 3161 timestamps (each over the signature, from one of the
// root's timestamp authorities). Without a trusted root the verdict says it was key-only: nothing
// then shows when the signature was made or that it was ever logged, and the timestamps the
// bundle carries are counted, not checked. Bundles signed with a
// certificate (keyless) are refused: promote trusts keys, not certificate identities.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sigstore/in_toto.h"
#include "sigstore/signed_timestamp.h"
#include "sigstore/sigstore_bundle.h"
#include "sigstore/trusted_root.h"
#include "sigstore/verification_key.h"
#include "util/status.h"

namespace promote::sigstore {

struct BundleExpectation {
  // Message signatures: the signed artifact's bytes. When absent, an ECDSA signature is checked
  // over the bundle's message digest instead (Ed25519 needs the bytes).
  std::optional<std::string_view> artifact;
  // "sha256:<hex>" of the artifact (an image manifest): a message digest must equal it, and an
  // in-toto statement must name it as a subject. Empty: the artifact bytes decide, or nothing.
  std::string artifact_digest;
  // Check the log entries against this root; null: key-only verification.
  const TrustedRoot* trusted_root = nullptr;
};

struct VerifiedBundle {
  BundleContent content = BundleContent::kMessageSignature;
  std::string payload_type;  // DSSE only
  std::string payload;       // DSSE only: the verified payload bytes
  std::optional<InTotoStatement> statement;  // when the payload is an in-toto statement
  bool key_only = true;             // no trusted root: log entries and times were not checked
  size_t tlog_entries_verified = 0;
  int64_t integrated_time = 0;      // earliest verified log time (Unix seconds); 0 when none
  // With a trusted root: every RFC 3161 timestamp the bundle carries, verified, in bundle order.
  std::vector<VerifiedTimestamp> timestamps;
  // Key-only: how many RFC 3161 timestamps the bundle carries that were not checked.
  size_t timestamps_unchecked = 0;
};

// Verifies `bundle` with `key`. Every refusal (certificate signer, signature, digest, subject,
// statement type, log entry) is kGateRefused with the reason; an unusable expectation is
// kInvalidArgument. With a trusted root, at least one log entry must verify, and every RFC
// 3161 timestamp must be over the bundle's signature (a DSSE signature that verified with `key`)
// and verify against one of the root's timestamp authorities.
Result<VerifiedBundle> VerifySigstoreBundle(const SigstoreBundle& bundle, const VerificationKey& key,
                                            const BundleExpectation& expected);

// Short name of the content for results: "message-signature" or "dsse-envelope".
const char* BundleContentName(BundleContent content);

}  // namespace promote::sigstore
