#include "sigstore/signed_timestamp.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <ctime>

namespace promote::sigstore {
namespace {

template <auto Free>
struct FreeWith {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using TsRespOwned = std::unique_ptr<TS_RESP, FreeWith<TS_RESP_free>>;
using TstInfoOwned = std::unique_ptr<TS_TST_INFO, FreeWith<TS_TST_INFO_free>>;
using TsVerifyCtxOwned = std::unique_ptr<TS_VERIFY_CTX, FreeWith<TS_VERIFY_CTX_free>>;
using X509Owned = std::unique_ptr<X509, FreeWith<X509_free>>;

// The reason OpenSSL gave for the last failure, with the detail TS verification adds (such as
// "Verify error:unable to get local issuer certificate"); clears the error queue.
std::string TsFailureText() {
  const char* data = nullptr;
  int flags = 0;
  const unsigned long code = ERR_peek_last_error_data(&data, &flags);
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  std::string out = reason != nullptr ? reason : "no reason given";
  if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0')
    out += std::string(" (") + data + ")";
  ERR_clear_error();
  return out;
}

// A whole DER value of type T (trailing bytes refused), or null.
template <typename T, T* (*D2i)(T**, const unsigned char**, long), auto Free>
std::unique_ptr<T, FreeWith<Free>> DecodeWhole(std::string_view der) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  std::unique_ptr<T, FreeWith<Free>> out(D2i(nullptr, &p, static_cast<long>(der.size())));
  if (out != nullptr && p != begin + der.size()) out.reset();
  return out;
}

// The token inside a TimeStampResp, when `der` is one and its status says a token was granted.
Result<PKCS7*> TokenOfResponse(std::string_view der) {
  TsRespOwned response = DecodeWhole<TS_RESP, d2i_TS_RESP, TS_RESP_free>(der);
  if (response == nullptr) {
    return InvalidArgument("is neither a DER RFC 3161 TimeStampToken nor a TimeStampResp");
  }
  const ASN1_INTEGER* status = TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(response.get()));
  const long granted = status != nullptr ? ASN1_INTEGER_get(status) : -1;
  // 0 granted, 1 grantedWithMods: the others (rejection, waiting, …) carry no token.
  if ((granted != 0 && granted != 1) || TS_RESP_get_token(response.get()) == nullptr) {
    return InvalidArgument("is a TimeStampResp without a granted token (status " + std::to_string(granted) +
                           ")");
  }
  PKCS7* token = PKCS7_dup(TS_RESP_get_token(response.get()));
  if (token == nullptr) return InvalidArgument("is a TimeStampResp whose token cannot be read");
  return token;
}

// Only the SHA-2 imprints sigstore's clients and timestamp authority use; a SHA-1 or MD5
// imprint would let another artifact collide with the signature.
bool IsAcceptedImprintHash(const TS_TST_INFO* info) {
  const X509_ALGOR* algorithm =
      TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(const_cast<TS_TST_INFO*>(info)));
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  const int nid = OBJ_obj2nid(oid);
  return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512;
}

}  // namespace

Result<SignedTimestamp> SignedTimestamp::Parse(std::string_view der) {
  if (der.empty()) return InvalidArgument("is empty");
  auto token = DecodeWhole<PKCS7, d2i_PKCS7, PKCS7_free>(der);
  std::unique_ptr<PKCS7, Pkcs7Deleter> owned(token.release());
  if (owned == nullptr) {
    ERR_clear_error();
    auto from_response = TokenOfResponse(der);
    ERR_clear_error();
    if (!from_response.ok()) return from_response.status();
    owned.reset(*from_response);
  }
  // PKCS7_to_TS_TST_INFO refuses detached or non-TSTInfo content; the null checks keep a
  // signedData with no content at all away from it.
  if (!PKCS7_type_is_signed(owned.get()) || owned->d.sign == nullptr || owned->d.sign->contents == nullptr) {
    return InvalidArgument("is not CMS SignedData, so not a timestamp token");
  }
  TstInfoOwned info(PKCS7_to_TS_TST_INFO(owned.get()));
  ERR_clear_error();
  if (info == nullptr) return InvalidArgument("is CMS SignedData whose content is not an RFC 3161 TSTInfo");
  if (!IsAcceptedImprintHash(info.get())) {
    return InvalidArgument("has a message imprint made with a hash other than SHA-256, SHA-384 or SHA-512");
  }
  const ASN1_GENERALIZEDTIME* gen_time = TS_TST_INFO_get_time(info.get());
  std::tm tm{};
  if (gen_time == nullptr || ASN1_TIME_to_tm(gen_time, &tm) != 1) {
    ERR_clear_error();
    return InvalidArgument("has a genTime that is not a time");
  }
  return SignedTimestamp(std::move(owned), static_cast<int64_t>(timegm(&tm)));
}

bool SignedTimestamp::Covers(std::string_view data) const {
  TsVerifyCtxOwned ctx(TS_VERIFY_CTX_new());
  if (ctx == nullptr) return false;
  // The context frees the BIO; the BIO only reads `data`.
  BIO* bio = BIO_new_mem_buf(data.empty() ? "" : data.data(), static_cast<int>(data.size()));
  if (bio == nullptr) return false;
  TS_VERIFY_CTX_set_data(ctx.get(), bio);
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_DATA);
  const bool covered = TS_RESP_verify_token(ctx.get(), token_.get()) == 1;
  ERR_clear_error();
  return covered;
}

Status SignedTimestamp::VerifyWithOne(const TimestampAuthority& authority) const {
  std::vector<X509Owned> chain;
  for (const std::string& der : authority.cert_chain) {
    chain.push_back(DecodeWhole<X509, d2i_X509, X509_free>(der));
    if (chain.back() == nullptr) return GateRefused("its certificate chain cannot be read");
  }
  if (chain.empty()) return GateRefused("it has no certificate chain");
  // The context owns the store and the untrusted stack (OpenSSL 3.0's set_store/set_certs).
  TsVerifyCtxOwned ctx(TS_VERIFY_CTX_new());
  X509_STORE* store = X509_STORE_new();
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  if (ctx == nullptr || store == nullptr || untrusted == nullptr) {
    X509_STORE_free(store);
    sk_X509_free(untrusted);
    return Internal("cannot allocate a timestamp verification context");
  }
  TS_VERIFY_CTX_set_store(ctx.get(), store);
  TS_VERIFY_CTX_set_certs(ctx.get(), untrusted);
  // Only the last certificate is an anchor; the leaf and intermediates help build the path (and
  // find the signer when the token does not embed it).
  X509_STORE_add_cert(store, chain.back().get());
  for (const X509Owned& cert : chain) {
    X509_up_ref(cert.get());
    sk_X509_push(untrusted, cert.get());
  }
  // Judge the chain at the time it vouches for, as sigstore clients do: a timestamp outlives
  // its authority's certificate.
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), static_cast<time_t>(gen_time_));
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_SIGNATURE | TS_VFY_VERSION);
  if (TS_RESP_verify_token(ctx.get(), token_.get()) != 1) {
    return GateRefused("its signature does not verify with this authority's certificate chain: " +
                       TsFailureText());
  }
  // Any certificate the anchor issued for timestamping would pass the check above; the root
  // names one leaf.
  STACK_OF(X509)* signers = PKCS7_get0_signers(token_.get(), untrusted, 0);
  const bool by_leaf = signers != nullptr && sk_X509_num(signers) == 1 &&
                       X509_cmp(sk_X509_value(signers, 0), chain.front().get()) == 0;
  sk_X509_free(signers);
  ERR_clear_error();
  if (!by_leaf) return GateRefused("it is signed by a certificate other than this authority's leaf");
  if (gen_time_ < authority.valid_from || (authority.valid_until && gen_time_ > *authority.valid_until)) {
    return GateRefused(
        "its time " + FormatRfc3339(gen_time_) + " is outside this authority's validity (from " +
        FormatRfc3339(authority.valid_from) +
        (authority.valid_until ? " until " + FormatRfc3339(*authority.valid_until) : ", no end") + ")");
  }
  return OkStatus();
}

Result<VerifiedTimestamp> SignedTimestamp::VerifyWith(
    const std::vector<TimestampAuthority>& authorities) const {
  if (authorities.empty()) return GateRefused("the trusted root has no timestamp authority to check it with");
  std::string problems;
  for (const TimestampAuthority& authority : authorities) {
    Status st = VerifyWithOne(authority);
    if (st.ok()) return VerifiedTimestamp{gen_time_, authority.subject, authority.uri};
    problems += (problems.empty() ? "" : "; ") + ("'" + authority.subject + "': " + st.message());
  }
  return GateRefused("no timestamp authority of the trusted root vouches for it (" + problems + ")");
}

}  // namespace promote::sigstore
