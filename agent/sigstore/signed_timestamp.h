// RFC 3161 signed timestamps as Sigstore bundles carry them
// (verificationMaterial.timestampVerificationData.rfc3161Timestamps[].signedTimestamp): a
// timestamp authority's CMS-signed statement that some bytes existed at its genTime. In a
// bundle the bytes are the signature, so a verified timestamp shows when the signature was
// made without trusting the signer's clock. Checked with OpenSSL's TS API against the timestamp
// authorities of a trusted root (trusted_root.h).
#pragma once

#include <openssl/pkcs7.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sigstore/trusted_root.h"
#include "util/status.h"

namespace promote::sigstore {

// A timestamp that verified, and who vouches for it.
struct VerifiedTimestamp {
  int64_t time = 0;         // genTime, Unix seconds (any fraction dropped)
  std::string tsa_subject;  // the trusted root's name for the authority that signed it
  std::string tsa_uri;
};

// One parsed timestamp token. Parsing checks the shape only; nothing in it is trusted until
// Covers and VerifyWith say so. Move-only: it owns the CMS structure.
class SignedTimestamp {
 public:
  // `der` is a TimeStampToken (CMS SignedData over a TSTInfo, what sigstore stores) or a whole
  // TimeStampResp whose status is granted. Anything else is kInvalidArgument saying what it is
  // not.
  static Result<SignedTimestamp> Parse(std::string_view der);

  // genTime, Unix seconds, as the token claims it (unverified until VerifyWith).
  int64_t claimed_time() const { return gen_time_; }

  // True when the token's message imprint is the hash (with the token's own algorithm) of
  // `data`.
  bool Covers(std::string_view data) const;

  // The token's CMS signature verifies, made by the leaf of one of `authorities` whose chain
  // leads to that authority's last certificate (checked at genTime, with the timeStamping
  // extended key usage OpenSSL demands of a TSA), and genTime lies in the authority's validity
  // window. OK with the time and authority; otherwise kGateRefused saying, for each
  // authority, which check failed. Does not check the imprint: see Covers.
  Result<VerifiedTimestamp> VerifyWith(const std::vector<TimestampAuthority>& authorities) const;

 private:
  struct Pkcs7Deleter {
    void operator()(PKCS7* p) const { PKCS7_free(p); }
  };
  SignedTimestamp(std::unique_ptr<PKCS7, Pkcs7Deleter> token, int64_t gen_time)
      : token_(std::move(token)), gen_time_(gen_time) {}
  Status VerifyWithOne(const TimestampAuthority& authority) const;

  std::unique_ptr<PKCS7, Pkcs7Deleter> token_;
  int64_t gen_time_ = 0;
};

}  // namespace promote::sigstore
