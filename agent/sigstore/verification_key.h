// Public keys a Sigstore bundle may be verified with, offline: ECDSA P-256, P-384 and P-521
// (hashed with SHA-256, SHA-384 and SHA-512, the pairing sigstore clients use) and Ed25519.
// cosign's own .sig/.att formats stay on PublicKey (P-256 only); this type serves bundles,
// transparency-log keys and checkpoints. Movable, not copyable; const methods are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "sigstore/ec_key.h"
#include "util/status.h"

namespace promote::sigstore {

enum class KeyAlgorithm { kEcdsaP256Sha256, kEcdsaP384Sha384, kEcdsaP521Sha512, kEd25519 };

class VerificationKey {
 public:
  // Parses PKIX SubjectPublicKeyInfo DER. Other key types (RSA, other curves) and trailing
  // bytes are kInvalidArgument naming `source` and the key type found.
  static Result<VerificationKey> FromSpkiDer(std::string_view der, std::string_view source);
  // One PEM block of type "PUBLIC KEY" holding SPKI DER (a cosign.pub, a sigstore key.pub).
  static Result<VerificationKey> FromPem(std::string_view pem, std::string_view source);
  // The same key as a cosign P-256 PublicKey.
  static VerificationKey FromPublicKey(const PublicKey& key);

  VerificationKey(VerificationKey&&) noexcept = default;
  VerificationKey& operator=(VerificationKey&&) noexcept = default;

  KeyAlgorithm algorithm() const { return algorithm_; }
  // "ECDSA P-256", "Ed25519", ...
  std::string Describe() const;
  std::string SpkiDer() const;

  // Checks `signature` over `message`: ECDSA (DER) over the curve's hash of the message, or
  // pure Ed25519. A signature that does not verify is kGateRefused "signature does not verify
  // with the given public key".
  Status Verify(std::string_view message, std::string_view signature) const;
  // ECDSA only: checks `signature` over an already computed digest of the message, whose length
  // must be that of the curve's hash. Ed25519 signs messages, never digests: kGateRefused.
  Status VerifyDigest(std::string_view digest, std::string_view signature) const;

 private:
  VerificationKey(EvpPkeyPtr key, KeyAlgorithm algorithm) : key_(std::move(key)), algorithm_(algorithm) {}
  EvpPkeyPtr key_;
  KeyAlgorithm algorithm_;
};

// Reads a public key file (at most kMaxKeyFileBytes) with VerificationKey::FromPem.
Result<VerificationKey> ReadVerificationKeyFile(const std::string& path);

}  // namespace promote::sigstore
