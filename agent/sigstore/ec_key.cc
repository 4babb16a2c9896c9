#include "sigstore/ec_key.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstring>

#include "sigstore/pem.h"
#include "sigstore/size_limits.h"
#include "util/read_file.h"

namespace promote::sigstore {
namespace {

struct Pkcs8InfoDeleter {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};
using Pkcs8InfoPtr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, Pkcs8InfoDeleter>;

// The most recent OpenSSL error as text, for the rare failures that are not the input's fault.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

// Describes the key's type for error messages, e.g. "EC (secp384r1)" or "RSA".
std::string DescribeKey(EVP_PKEY* key) {
  const char* type = EVP_PKEY_get0_type_name(key);
  std::string out = type != nullptr ? type : "unknown";
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1) {
      out += " (" + std::string(group, len) + ")";
    }
  }
  return out;
}

bool IsP256(EVP_PKEY* key) {
  if (!EVP_PKEY_is_a(key, "EC")) return false;
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1) return false;
  const std::string_view name(group, len);
  return name == "prime256v1" || name == "P-256";
}

}  // namespace

void EvpPkeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

// ---- PublicKey -------------------------------------------------------------------------------

Result<PublicKey> PublicKey::FromSpkiDer(std::string_view der, std::string_view source) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!key) {
    return InvalidArgument(std::string(source) + ": not a valid PKIX (SubjectPublicKeyInfo) public key");
  }
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return InvalidArgument(std::string(source) + ": unexpected bytes after the public key");
  }
  if (!IsP256(key.get())) {
    return InvalidArgument(std::string(source) + ": public key is " + DescribeKey(key.get()) +
                           "; only ECDSA P-256 keys (cosign's default) are supported");
  }
  return PublicKey(std::move(key));
}

std::string SpkiDerOf(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Result<std::string> PublicKeyPemDer(std::string_view pem, std::string_view source) {
  PROMOTE_RETURN_IF_ERROR(CheckInputSize(pem, kMaxKeyFileBytes, source));
  PROMOTE_ASSIGN_OR_RETURN(PemBlock block, DecodePem(pem, source));
  if (block.label != "PUBLIC KEY") {
    return InvalidArgument(std::string(source) + ": unsupported PEM type '" + block.label +
                           "'; expected 'PUBLIC KEY' (a cosign.pub file)");
  }
  return std::string(block.bytes);
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem, std::string_view source) {
  PROMOTE_ASSIGN_OR_RETURN(std::string der, PublicKeyPemDer(pem, source));
  return FromSpkiDer(der, source);
}

std::string PublicKey::SpkiDer() const { return SpkiDerOf(key_.get()); }

std::string PublicKey::ToPem() const { return EncodePem("PUBLIC KEY", SpkiDer()); }

Result<PublicKey> ReadPublicKeyFile(const std::string& path) {
  auto pem = ReadSmallFile(path, "public key", kMaxKeyFileBytes);
  if (!pem.ok()) return pem.status();
  return PublicKey::FromPem(*pem, "public key " + path);
}

// ---- PrivateKey ------------------------------------------------------------------------------

Result<PrivateKey> PrivateKey::Generate() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Internal("generating a P-256 key: " + OpenSslError());
  return PrivateKey(std::move(key));
}

Result<PrivateKey> PrivateKey::FromPkcs8Der(std::string_view der, std::string_view source) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs8InfoPtr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!info) {
    return InvalidArgument(std::string(source) +
                           ": private key is not PKCS#8 (perhaps SEC1 'EC PRIVATE KEY' or PKCS#1); convert "
                           "it with 'openssl pkcs8 -topk8' and import it with 'cosign import-key-pair'");
  }
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return InvalidArgument(std::string(source) + ": unexpected bytes after the PKCS#8 private key");
  }
  EvpPkeyPtr key(EVP_PKCS82PKEY(info.get()));
  ERR_clear_error();
  if (!key) {
    return InvalidArgument(std::string(source) + ": PKCS#8 private key could not be decoded");
  }
  if (!IsP256(key.get())) {
    return InvalidArgument(std::string(source) + ": private key is " + DescribeKey(key.get()) +
                           "; only ECDSA P-256 keys (cosign's default) are supported");
  }
  return PrivateKey(std::move(key));
}

Result<Secret> PrivateKey::Pkcs8Der() const {
  Pkcs8InfoPtr info(EVP_PKEY2PKCS8(key_.get()));
  if (!info) return Internal("encoding the private key as PKCS#8: " + OpenSslError());
  unsigned char* der = nullptr;
  const int len = i2d_PKCS8_PRIV_KEY_INFO(info.get(), &der);
  if (len <= 0) return Internal("encoding the private key as PKCS#8: " + OpenSslError());
  Secret out(std::string(reinterpret_cast<char*>(der), static_cast<size_t>(len)));
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  return out;
}

PublicKey PrivateKey::public_key() const {
  // Round-trip through SPKI DER so the PublicKey holds no private material at all.
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key_.get(), &der);
  const unsigned char* p = der;
  EvpPkeyPtr pub(len > 0 ? d2i_PUBKEY(nullptr, &p, len) : nullptr);
  OPENSSL_free(der);
  return PublicKey(std::move(pub));
}

}  // namespace promote::sigstore
