#include "sigstore/ecdsa.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>

#include "sigstore/evp_md_ctx.h"
#include "util/unsigned_bytes.h"

namespace promote::sigstore {

Result<std::string> SignEcdsaSha256(const PrivateKey& key, std::string_view message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.evp(), nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, UnsignedBytes(message), message.size()) != 1) {
    ERR_clear_error();
    return Internal("ECDSA signing could not start (OpenSSL error)");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, UnsignedBytes(message),
                     message.size()) != 1) {
    ERR_clear_error();
    return Internal("ECDSA signing failed (OpenSSL error)");
  }
  sig.resize(len);
  return sig;
}

Status VerifyEcdsaSha256(const PublicKey& key, std::string_view message, std::string_view der_signature) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.evp(), nullptr) != 1) {
    ERR_clear_error();
    return Internal("ECDSA verification could not start (OpenSSL error)");
  }
  const int rc =
      EVP_DigestVerify(ctx.get(), UnsignedBytes(der_signature), der_signature.size(), UnsignedBytes(message), message.size());
  ERR_clear_error();
  if (rc != 1) {
    return Status(Code::kGateRefused, "signature does not verify with the given public key");
  }
  return OkStatus();
}

}  // namespace promote::sigstore
