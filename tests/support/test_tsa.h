// TestTsa: a throw-away RFC 3161 timestamp authority made with the openssl CLI — a root CA, an
// intermediate CA and a TSA leaf (P-256, extendedKeyUsage critical,timeStamping) — that stamps
// bytes with `openssl ts`, as the timestamp authority behind a Sigstore bundle does. The tests
// judge the product's timestamp verification against it.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace promote::testing {

class TempDir;

class TestTsa {
 public:
  // `name` goes into the certificates' common names ("<name> root", "<name> TSA"). Throws
  // std::runtime_error with openssl's output when the certificates cannot be made.
  explicit TestTsa(const std::string& name);
  ~TestTsa();
  TestTsa(const TestTsa&) = delete;
  TestTsa& operator=(const TestTsa&) = delete;

  // DER certificates, leaf first and the self-signed root last: a trusted root's certChain.
  std::vector<std::string> ChainDer() const;

  // A DER TimeStampToken over the SHA-256 of `data`, embedding the signer's certificate
  // (`openssl ts -query -sha256 -cert`, then `openssl ts -reply -token_out`); genTime is now.
  std::string Timestamp(const std::string& data) const;
  // The whole DER TimeStampResp for the same query.
  std::string TimestampResponse(const std::string& data) const;

 private:
  std::string Reply(const std::string& data, bool token_only) const;
  std::unique_ptr<TempDir> dir_;
};

}  // namespace promote::testing
