#include "sigstore/verification_key.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

#include "sigstore/evp_md_ctx.h"
#include "sigstore/size_limits.h"
#include "util/read_file.h"
#include "util/unsigned_bytes.h"

namespace promote::sigstore {
namespace {

struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

std::string GroupName(EVP_PKEY* key) {
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1) return "";
  return std::string(group, len);
}

// The algorithm of a parsed key, or an error naming what it is.
Result<KeyAlgorithm> AlgorithmOf(EVP_PKEY* key, std::string_view source) {
  if (EVP_PKEY_is_a(key, "ED25519")) return KeyAlgorithm::kEd25519;
  std::string found = EVP_PKEY_get0_type_name(key) != nullptr ? EVP_PKEY_get0_type_name(key) : "unknown";
  if (EVP_PKEY_is_a(key, "EC")) {
    const std::string group = GroupName(key);
    if (group == "prime256v1" || group == "P-256") return KeyAlgorithm::kEcdsaP256Sha256;
    if (group == "secp384r1" || group == "P-384") return KeyAlgorithm::kEcdsaP384Sha384;
    if (group == "secp521r1" || group == "P-521") return KeyAlgorithm::kEcdsaP521Sha512;
    found += " (" + group + ")";
  }
  return InvalidArgument(std::string(source) + ": public key is " + found +
                         "; Sigstore bundles are verified with ECDSA P-256, P-384, P-521 or Ed25519 keys");
}

const char* HashOf(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::kEcdsaP256Sha256: return "SHA256";
    case KeyAlgorithm::kEcdsaP384Sha384: return "SHA384";
    case KeyAlgorithm::kEcdsaP521Sha512: return "SHA512";
    case KeyAlgorithm::kEd25519: return nullptr;  // pure Ed25519 hashes internally
  }
  return nullptr;
}

size_t DigestLengthOf(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::kEcdsaP256Sha256: return 32;
    case KeyAlgorithm::kEcdsaP384Sha384: return 48;
    case KeyAlgorithm::kEcdsaP521Sha512: return 64;
    case KeyAlgorithm::kEd25519: return 0;
  }
  return 0;
}

Status DoesNotVerify() { return GateRefused("signature does not verify with the given public key"); }

}  // namespace

Result<VerificationKey> VerificationKey::FromSpkiDer(std::string_view der, std::string_view source) {
  const auto* p = UnsignedBytes(der);
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!key) return InvalidArgument(std::string(source) + ": not a valid PKIX (SubjectPublicKeyInfo) public key");
  if (p != UnsignedBytes(der) + der.size()) {
    return InvalidArgument(std::string(source) + ": unexpected bytes after the public key");
  }
  PROMOTE_ASSIGN_OR_RETURN(KeyAlgorithm algorithm, AlgorithmOf(key.get(), source));
  return VerificationKey(std::move(key), algorithm);
}

Result<VerificationKey> VerificationKey::FromPem(std::string_view pem, std::string_view source) {
  PROMOTE_ASSIGN_OR_RETURN(std::string der, PublicKeyPemDer(pem, source));
  return FromSpkiDer(der, source);
}

VerificationKey VerificationKey::FromPublicKey(const PublicKey& key) {
  const std::string der = key.SpkiDer();
  const auto* p = UnsignedBytes(der);
  return VerificationKey(EvpPkeyPtr(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()))),
                         KeyAlgorithm::kEcdsaP256Sha256);
}

std::string VerificationKey::Describe() const {
  switch (algorithm_) {
    case KeyAlgorithm::kEcdsaP256Sha256: return "ECDSA P-256";
    case KeyAlgorithm::kEcdsaP384Sha384: return "ECDSA P-384";
    case KeyAlgorithm::kEcdsaP521Sha512: return "ECDSA P-521";
    case KeyAlgorithm::kEd25519: return "Ed25519";
  }
  return "unknown";
}

std::string VerificationKey::SpkiDer() const { return SpkiDerOf(key_.get()); }

Status VerificationKey::Verify(std::string_view message, std::string_view signature) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, HashOf(algorithm_), nullptr, nullptr, key_.get(),
                                      nullptr) != 1) {
    ERR_clear_error();
    return Internal("signature verification could not start (OpenSSL error)");
  }
  const int rc = EVP_DigestVerify(ctx.get(), UnsignedBytes(signature), signature.size(), UnsignedBytes(message),
                                  message.size());
  ERR_clear_error();
  return rc == 1 ? OkStatus() : DoesNotVerify();
}

Status VerificationKey::VerifyDigest(std::string_view digest, std::string_view signature) const {
  if (algorithm_ == KeyAlgorithm::kEd25519) {
    return GateRefused("an Ed25519 key verifies signatures over whole messages, not over a digest");
  }
  if (digest.size() != DigestLengthOf(algorithm_)) {
    return GateRefused("the message digest is " + std::to_string(digest.size()) + " bytes, not the " +
                       std::to_string(DigestLengthOf(algorithm_)) + " an " + Describe() + " key signs");
  }
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) {
    ERR_clear_error();
    return Internal("signature verification could not start (OpenSSL error)");
  }
  const int rc = EVP_PKEY_verify(ctx.get(), UnsignedBytes(signature), signature.size(), UnsignedBytes(digest),
                                 digest.size());
  ERR_clear_error();
  return rc == 1 ? OkStatus() : DoesNotVerify();
}

Result<VerificationKey> ReadVerificationKeyFile(const std::string& path) {
  auto pem = ReadSmallFile(path, "public key", kMaxKeyFileBytes);
  if (!pem.ok()) return pem.status();
  return VerificationKey::FromPem(*pem, "public key " + path);
}

}  // namespace promote::sigstore
