// The trusted root a Sigstore verifier starts from (trusted_root.json, media type
// application/vnd.dev.sigstore.trustedroot+json;version=0.1, as sigstore clients read it from
// TUF or a file): the transparency logs whose entries a bundle may cite, each with its key, key
// id and validity window, and the timestamp authorities (TSAs) whose RFC 3161 timestamps a
// bundle may carry, each with its certificate chain and validity window. Certificate
// authorities and CT logs are read past, not used: promote verifies bundles with a public key,
// so it trusts no Fulcio certificate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sigstore/verification_key.h"
#include "util/status.h"

namespace promote::sigstore {

inline constexpr size_t kMaxTrustedRootBytes = 4 * 1024 * 1024;

struct TransparencyLogKey {
  std::string base_url;
  std::string log_id;  // raw key id (SHA-256 of the log's public key)
  VerificationKey key;
  int64_t valid_from = 0;                 // Unix seconds
  std::optional<int64_t> valid_until;     // Unix seconds, inclusive; none: still valid
};

// A timestamp authority: its RFC 3161 timestamps count when they chain to the last certificate
// of `cert_chain`, are signed by the first, and fall inside the validity window
// (signed_timestamp.h checks them).
struct TimestampAuthority {
  std::string subject;                  // "O=…, CN=…" from the root's `subject`, for results
  std::string uri;                      // as written; may be empty
  std::vector<std::string> cert_chain;  // DER, leaf first, the trust anchor last; never empty
  int64_t valid_from = 0;               // Unix seconds
  std::optional<int64_t> valid_until;   // Unix seconds, inclusive; none: still valid
};

struct TrustedRoot {
  std::vector<TransparencyLogKey> tlogs;
  std::vector<TimestampAuthority> timestamp_authorities;

  // The log with this key id, or nullptr.
  const TransparencyLogKey* FindLog(std::string_view log_id) const;
};

// Parses trusted_root.json. Every tlog needs a public key promote can verify with (ECDSA or
// Ed25519), a logId.keyId and a validFor.start; every timestamp authority a non-empty
// certChain of DER X.509 certificates and a validFor.start. A malformed root is
// kInvalidArgument starting with `source` (so a bad file named in promote.yaml is a
// configuration error, exit 2).
Result<TrustedRoot> ParseTrustedRoot(std::string_view json_text, std::string_view source);

// "2023-01-02T03:04:05Z" (fraction and numeric offset allowed) as Unix seconds; nullopt when
// the text is not RFC 3339.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// Unix seconds as "2023-01-02T03:04:05Z", for results and messages.
std::string FormatRfc3339(int64_t unix_seconds);

}  // namespace promote::sigstore
