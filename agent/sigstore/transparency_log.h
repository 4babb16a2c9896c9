// Checking a bundle's Rekor entries offline against a trusted root: the entry's log is trusted
// and was valid at the entry's time; its signed entry timestamp (inclusion promise) verifies with
// the log's key; its RFC 6962 inclusion proof leads to the root hash of a checkpoint the log
// signed; and its body records this very signature (so an entry for another signature, as in
// CVE-2022-36056, cannot vouch for this one).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sigstore/sigstore_bundle.h"
#include "sigstore/trusted_root.h"
#include "util/status.h"

namespace promote::sigstore {

// What an entry's body must record, computed from the bundle being verified.
struct EntryBinding {
  std::vector<std::string> signatures;  // raw signature bytes; the body must name one of them
  // hashedrekord: the signed digest (message digest, or SHA-256 of the DSSE PAE), raw bytes.
  std::string signed_digest;
  // dsse / intoto: SHA-256 of the DSSE payload, raw bytes (empty for message signatures).
  std::string payload_sha256;
};

// The binding of a parsed bundle (its signature, digest and payload).
EntryBinding BindingOf(const SigstoreBundle& bundle);

// Checks one entry. `require_promise` (bundle v0.1) demands a signed entry timestamp;
// `require_proof` (v0.2 and later) an inclusion proof with a checkpoint. OK when every check
// holds; otherwise kGateRefused saying which failed.
Status VerifyTlogEntry(const TlogEntry& entry, const TrustedRoot& root, const EntryBinding& binding,
                       bool require_promise, bool require_proof);

// The root an RFC 6962 audit path leads to from `leaf_hash` at `index` in a tree of `size`
// leaves; kGateRefused when the path has the wrong length for that position.
Result<std::string> RootFromInclusionProof(int64_t index, int64_t size, const std::string& leaf_hash,
                                           const std::vector<std::string>& path);

}  // namespace promote::sigstore
