#include "sigstore/blob_signature.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <memory>
#include <optional>

#include "sigstore/evp_md_ctx.h"
#include "util/base64.h"
#include "util/sha256.h"
#include "util/unsigned_bytes.h"

namespace promote::sigstore {
namespace {


constexpr size_t kChunk = 1 << 16;

// Feeds `in` to `update` (the signing or verifying context) and to a plain SHA-256 for the report.
template <typename Update>
Result<std::string> Stream(std::istream& in, const std::string& what, Update update) {
  Sha256 hash;
  std::array<char, kChunk> buf;
  while (in) {
    in.read(buf.data(), buf.size());
    const auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    std::string_view chunk(buf.data(), n);
    hash.Update(chunk);
    if (!update(chunk)) {
      ERR_clear_error();
      return Internal("hashing " + what + " failed (OpenSSL error)");
    }
  }
  if (in.bad()) return InvalidArgument(what + ": read failed");
  return hash.FinishHex();
}

}  // namespace

Result<BlobSignature> SignBlob(const PrivateKey& key, std::istream& in, const std::string& what) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.evp(), nullptr) != 1) {
    ERR_clear_error();
    return Internal("ECDSA signing could not start (OpenSSL error)");
  }
  BlobSignature out;
  PROMOTE_ASSIGN_OR_RETURN(out.sha256_hex, Stream(in, what, [&](std::string_view chunk) {
                             return EVP_DigestSignUpdate(ctx.get(), chunk.data(), chunk.size()) == 1;
                           }));
  size_t len = 0;
  if (EVP_DigestSignFinal(ctx.get(), nullptr, &len) != 1) {
    ERR_clear_error();
    return Internal("ECDSA signing failed (OpenSSL error)");
  }
  std::string der(len, '\0');
  if (EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len) != 1) {
    ERR_clear_error();
    return Internal("ECDSA signing failed (OpenSSL error)");
  }
  der.resize(len);
  out.base64 = Base64Encode(der);
  return out;
}

Result<std::string> VerifyBlob(const PublicKey& key, std::istream& in, const std::string& what,
                               std::string_view signature_text) {
  const auto first = signature_text.find_first_not_of(" \t\r\n");
  const auto last = signature_text.find_last_not_of(" \t\r\n");
  std::optional<std::string> der;
  if (first != std::string_view::npos) der = Base64Decode(signature_text.substr(first, last - first + 1));
  if (!der || der->empty()) return InvalidArgument("the signature for " + what + " is not base64 (as cosign sign-blob writes it)");
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.evp(), nullptr) != 1) {
    ERR_clear_error();
    return Internal("ECDSA verification could not start (OpenSSL error)");
  }
  PROMOTE_ASSIGN_OR_RETURN(std::string sha256_hex, Stream(in, what, [&](std::string_view chunk) {
                             return EVP_DigestVerifyUpdate(ctx.get(), chunk.data(), chunk.size()) == 1;
                           }));
  const int rc = EVP_DigestVerifyFinal(ctx.get(), UnsignedBytes(*der), der->size());
  ERR_clear_error();
  if (rc != 1) return Status(Code::kGateRefused, "the signature does not verify " + what + " with the given public key");
  return sha256_hex;
}

}  // namespace promote::sigstore
