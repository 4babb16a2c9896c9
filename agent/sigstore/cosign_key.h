// cosign private key files: PEM "ENCRYPTED SIGSTORE PRIVATE KEY" (cosign >= 2.0.1) or
// "ENCRYPTED COSIGN PRIVATE KEY" (older cosign, skopeo 1.9), whose body is JSON describing
// scrypt + NaCl secretbox around a PKCS#8 EC P-256 key. See docs/cosign-format.md §4.
#pragma once

#include <string>
#include <string_view>

#include "sigstore/ec_key.h"
#include "util/secret.h"
#include "util/status.h"

namespace promote::sigstore {

inline constexpr std::string_view kSigstoreKeyPemLabel = "ENCRYPTED SIGSTORE PRIVATE KEY";
inline constexpr std::string_view kCosignKeyPemLabel = "ENCRYPTED COSIGN PRIVATE KEY";

enum class CosignKeyFormat {
  // Label ENCRYPTED SIGSTORE PRIVATE KEY, scrypt N=65536: what cosign >= 2.2 writes.
  kCurrent,
  // Label ENCRYPTED COSIGN PRIVATE KEY, scrypt N=32768: the only form skopeo 1.9.x
  // (containers/image <= 5.23) can read.
  kLegacy,
};

// Decrypts an encrypted cosign key file and returns the plaintext (PKCS#8 DER, not yet checked).
// Only scrypt with N in {32768, 65536, 131072}, r=8, p=1 is accepted, which bounds the memory
// and time an untrusted file can demand. Every problem is kInvalidArgument with a message that
// starts with `source`; a wrong passphrase reads "wrong passphrase or corrupted key".
Result<Secret> DecryptCosignKeyPlaintext(std::string_view pem, const Secret& passphrase,
                                         std::string_view source);

// Loads a signing key from a key file's text: an encrypted cosign key (either label, decrypted
// with `passphrase`) or an unencrypted PKCS#8 "PRIVATE KEY" PEM (passphrase ignored). The key
// must be EC P-256. Errors as for DecryptCosignKeyPlaintext.
Result<PrivateKey> ParseCosignPrivateKey(std::string_view pem, const Secret& passphrase,
                                         std::string_view source);

// Reads `path` (at most kMaxKeyFileBytes) and parses it with ParseCosignPrivateKey; errors name
// the path as "cosign key <path>: ...".
Result<PrivateKey> ReadCosignPrivateKeyFile(const std::string& path, const Secret& passphrase);

// Encrypts `key` into a cosign key file (PEM text, 64-column lines, trailing newline) with a
// random 32-byte salt and 24-byte nonce. The JSON inside is compact and in the field order Go
// writes, so cosign and skopeo read it back. kInternal only on crypto library failure.
Result<std::string> EncryptCosignPrivateKey(const PrivateKey& key, const Secret& passphrase,
                                            CosignKeyFormat format = CosignKeyFormat::kCurrent);

// The two files `cosign generate-key-pair` writes, as text.
struct CosignKeyPairFiles {
  std::string private_key_pem;  // cosign.key: encrypted, safe to store
  std::string public_key_pem;   // cosign.pub
};

// Generates a fresh P-256 key and returns both files (EncryptCosignPrivateKey and
// PublicKey::ToPem). kInternal only on crypto library failure.
Result<CosignKeyPairFiles> GenerateCosignKeyPair(const Secret& passphrase,
                                                 CosignKeyFormat format = CosignKeyFormat::kCurrent);

}  // namespace promote::sigstore
