#include "tests/support/test_ca.h"

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace promote::testing {

const TestCa& TestCa::Get() {
  // Destroyed (and its directory removed) at exit, after any static user constructed later.
  static const TestCa instance;
  return instance;
}

TestCa::TestCa() : dir_(std::make_unique<TempDir>()) {
  const std::string d = dir_->path();
  dir_->MakeDir("certs");
  // P-256 everywhere: small, fast to make, accepted by Go (registry, skopeo), OpenSSL and curl.
  RunCommandOrThrow({"openssl",
                     "req",
                     "-x509",
                     "-newkey",
                     "ec",
                     "-pkeyopt",
                     "ec_paramgen_curve:prime256v1",
                     "-nodes",
                     "-keyout",
                     d + "/ca.key",
                     "-out",
                     d + "/ca.crt",
                     "-days",
                     "7",
                     "-subj",
                     "/CN=promote test CA",
                     "-addext",
                     "basicConstraints=critical,CA:TRUE",
                     "-addext",
                     "keyUsage=critical,keyCertSign,cRLSign"});
  RunCommandOrThrow({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-keyout", d + "/server.key", "-out", d + "/server.csr", "-subj",
                     "/CN=localhost"});
  dir_->Write("server.ext",
              "basicConstraints=critical,CA:FALSE\n"
              "keyUsage=critical,digitalSignature\n"
              "extendedKeyUsage=serverAuth\n"
              "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n");
  RunCommandOrThrow({"openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey",
                     d + "/ca.key", "-CAcreateserial", "-out", d + "/server.crt", "-days", "7", "-extfile",
                     d + "/server.ext"});
  // A client certificate from the same CA, for mTLS.
  RunCommandOrThrow({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-keyout", d + "/client.key", "-out", d + "/client.csr", "-subj",
                     "/CN=promote test client"});
  dir_->Write("client.ext",
              "basicConstraints=critical,CA:FALSE\n"
              "keyUsage=critical,digitalSignature\n"
              "extendedKeyUsage=clientAuth\n");
  RunCommandOrThrow({"openssl", "x509", "-req", "-in", d + "/client.csr", "-CA", d + "/ca.crt", "-CAkey",
                     d + "/ca.key", "-CAcreateserial", "-out", d + "/client.crt", "-days", "7", "-extfile",
                     d + "/client.ext"});
  dir_->Write("certs/ca.crt", ReadFile(d + "/ca.crt"));
}

TestCa::~TestCa() = default;

std::string TestCa::ca_cert_path() const { return dir_->path() + "/ca.crt"; }
std::string TestCa::server_cert_path() const { return dir_->path() + "/server.crt"; }
std::string TestCa::server_key_path() const { return dir_->path() + "/server.key"; }
std::string TestCa::client_cert_path() const { return dir_->path() + "/client.crt"; }
std::string TestCa::client_key_path() const { return dir_->path() + "/client.key"; }
std::string TestCa::cert_dir() const { return dir_->path() + "/certs"; }

}  // namespace promote::testing
