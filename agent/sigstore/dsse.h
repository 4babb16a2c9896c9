// DSSE (Dead Simple Signing Envelope) as cosign uses it for attestations: the envelope JSON,
// the pre-authentication encoding (PAE) that is actually signed, and ECDSA P-256 sign/verify.
// See docs/cosign-format.md §6.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sigstore/ec_key.h"
#include "util/status.h"

namespace promote::sigstore {

inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kDsseEnvelopeMediaType = "application/vnd.dsse.envelope.v1+json";

struct DsseSignature {
  std::string keyid;      // cosign writes "" for key-based signing
  std::string signature;  // raw DER bytes (base64 only in the JSON)
};

struct DsseEnvelope {
  std::string payload_type;
  std::string payload;  // raw bytes (base64 only in the JSON)
  std::vector<DsseSignature> signatures;
};

// "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths as decimal byte counts.
std::string PreAuthEncoding(std::string_view payload_type, std::string_view payload);

// Compact JSON as go-securesystemslib writes it:
// {"payloadType":T,"payload":"<b64>","signatures":[{"keyid":K,"sig":"<b64>"}]}
// with std base64 (padded) and keyid always present.
std::string EncodeDsseEnvelope(const DsseEnvelope& envelope);

// Parses an envelope (at most kMaxEnvelopeBytes). payload and sig are decoded as std base64
// first, then URL-safe, as go-securesystemslib does. Missing or mistyped fields, an empty
// signature list and duplicate keys are kInvalidArgument starting "DSSE envelope: ".
Result<DsseEnvelope> ParseDsseEnvelope(std::string_view json_text);

// Signs PAE(payload_type, payload) and returns an envelope with one signature (keyid "").
Result<DsseEnvelope> SignDsse(std::string_view payload_type, std::string_view payload, const PrivateKey& key);

// OK when at least one signature verifies over the envelope's PAE with `key`; otherwise
// kGateRefused "DSSE envelope: no signature verifies with the given public key".
Status VerifyDsse(const DsseEnvelope& envelope, const PublicKey& key);

}  // namespace promote::sigstore
