// An OpenSSL digest context owned by a unique_ptr: the signing and verifying code's one RAII
// wrapper for EVP_MD_CTX (EVP_DigestSign*/EVP_DigestVerify*).
#pragma once

#include <openssl/evp.h>

#include <memory>

namespace promote::sigstore {

struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;

}  // namespace promote::sigstore
