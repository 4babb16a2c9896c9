// TestCa: a throw-away certificate authority, a server certificate for 127.0.0.1, ::1 and
// localhost, and a client certificate for mTLS, made once per test process with the openssl CLI. TLS registries and the token server
// present the server certificate; clients trust ca_cert_path().
#pragma once

#include <memory>
#include <string>

namespace promote::testing {

class TempDir;

// A self-signed P-256 CA certificate (7 days, CA:TRUE, keyCertSign) at `crt_path`, its key at
// `key_path`, made with the openssl CLI; throws std::runtime_error with openssl's output.
void MakeSelfSignedCa(const std::string& key_path, const std::string& crt_path, const std::string& subject);

class TestCa {
 public:
  // The process-wide instance, created on first use (thread-safe). Throws std::runtime_error with
  // openssl's output when the certificates cannot be made.
  static const TestCa& Get();

  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  std::string ca_cert_path() const;      // PEM, the trust anchor
  std::string server_cert_path() const;  // PEM, leaf only (signed by the CA)
  std::string server_key_path() const;   // PEM, unencrypted P-256 key, mode 0600
  std::string client_cert_path() const;  // PEM, a client certificate (clientAuth) the CA signed
  std::string client_key_path() const;   // PEM, its unencrypted key
  // A directory holding ca.crt, the layout skopeo/containers-image expect for --cert-dir.
  std::string cert_dir() const;

 private:
  TestCa();
  void MakeLeaf(const std::string& name, const std::string& subject, const std::string& extensions) const;
  std::unique_ptr<TempDir> dir_;
};

}  // namespace promote::testing
