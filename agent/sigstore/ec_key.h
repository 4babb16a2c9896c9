// ECDSA P-256 keys, the key type cosign uses by default and the only one this module signs and
// verifies with. Both classes own an OpenSSL EVP_PKEY; the private one is freed with its scalar
// cleared when the object is destroyed. Movable, not copyable; const methods are thread-safe.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "util/secret.h"
#include "util/status.h"

namespace promote::sigstore {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// SPKI DER of any key OpenSSL holds ("" on failure).
std::string SpkiDerOf(EVP_PKEY* key);
// The SPKI DER inside a "PUBLIC KEY" PEM file's text (at most kMaxKeyFileBytes); other PEM types
// and malformed PEM are kInvalidArgument naming `source`.
Result<std::string> PublicKeyPemDer(std::string_view pem, std::string_view source);

class PublicKey {
 public:
  // Parses PKIX SubjectPublicKeyInfo DER. Anything but an EC P-256 key, or trailing bytes, is
  // kInvalidArgument naming `source`.
  static Result<PublicKey> FromSpkiDer(std::string_view der, std::string_view source);
  // Parses a cosign public key file: one PEM block of type "PUBLIC KEY" holding SPKI DER.
  static Result<PublicKey> FromPem(std::string_view pem, std::string_view source);

  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;

  // SPKI DER with the uncompressed point (91 bytes for P-256).
  std::string SpkiDer() const;
  // "PUBLIC KEY" PEM as cosign writes cosign.pub: 64-column lines and a trailing newline.
  std::string ToPem() const;

  EVP_PKEY* evp() const { return key_.get(); }

 private:
  friend class PrivateKey;  // derives its public half without re-parsing a PEM
  explicit PublicKey(EvpPkeyPtr key) : key_(std::move(key)) {}
  EvpPkeyPtr key_;
};

// Reads a public key file (at most kMaxKeyFileBytes) with PublicKey::FromPem.
Result<PublicKey> ReadPublicKeyFile(const std::string& path);

class PrivateKey {
 public:
  // A fresh random P-256 key.
  static Result<PrivateKey> Generate();
  // Parses PKCS#8 PrivateKeyInfo DER holding an EC P-256 key. Other formats (SEC1
  // "EC PRIVATE KEY", PKCS#1) and other key types are kInvalidArgument naming `source`.
  static Result<PrivateKey> FromPkcs8Der(std::string_view der, std::string_view source);

  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;

  // PKCS#8 DER (138 bytes for P-256, the layout Go's x509.MarshalPKCS8PrivateKey produces),
  // held in a Secret so it is wiped when dropped.
  Result<Secret> Pkcs8Der() const;
  PublicKey public_key() const;

  EVP_PKEY* evp() const { return key_.get(); }

 private:
  explicit PrivateKey(EvpPkeyPtr key) : key_(std::move(key)) {}
  EvpPkeyPtr key_;
};

}  // namespace promote::sigstore
