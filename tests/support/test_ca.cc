#include "tests/support/test_ca.h"

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace promote::testing {

void MakeSelfSignedCa(const std::string& key_path, const std::string& crt_path, const std::string& subject) {
  RunCommandOrThrow({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", key_path, "-out", crt_path, "-days", "7", "-subj", subject, "-addext",
                     "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
}

const TestCa& TestCa::Get() {
  // Destroyed (and its directory removed) at exit, after any static user constructed later.
  static const TestCa instance;
  return instance;
}

TestCa::TestCa() : dir_(std::make_unique<TempDir>()) {
  const std::string d = dir_->path();
  dir_->MakeDir("certs");
  // P-256 everywhere: small, fast to make, accepted by Go (registry, skopeo), OpenSSL and curl.
  MakeSelfSignedCa(d + "/ca.key", d + "/ca.crt", "/CN=promote test CA");
  MakeLeaf("server", "/CN=localhost",
           "extendedKeyUsage=serverAuth\n"
           "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n");
  // A client certificate from the same CA, for mTLS.
  MakeLeaf("client", "/CN=promote test client", "extendedKeyUsage=clientAuth\n");
  dir_->Write("certs/ca.crt", ReadFile(d + "/ca.crt"));
}

// NAME.key and NAME.crt: a P-256 key and a certificate for `subject` the CA signs, with
// `extensions` (an openssl extfile's lines) besides the ones every leaf has.
void TestCa::MakeLeaf(const std::string& name, const std::string& subject, const std::string& extensions) const {
  const std::string d = dir_->path();
  RunCommandOrThrow({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-keyout", d + "/" + name + ".key", "-out", d + "/" + name + ".csr", "-subj",
                     subject});
  dir_->Write(name + ".ext",
              "basicConstraints=critical,CA:FALSE\n"
              "keyUsage=critical,digitalSignature\n" +
                  extensions);
  RunCommandOrThrow({"openssl", "x509", "-req", "-in", d + "/" + name + ".csr", "-CA", d + "/ca.crt", "-CAkey",
                     d + "/ca.key", "-CAcreateserial", "-out", d + "/" + name + ".crt", "-days", "7", "-extfile",
                     d + "/" + name + ".ext"});
}

TestCa::~TestCa() = default;

std::string TestCa::ca_cert_path() const { return dir_->path() + "/ca.crt"; }
std::string TestCa::server_cert_path() const { return dir_->path() + "/server.crt"; }
std::string TestCa::server_key_path() const { return dir_->path() + "/server.key"; }
std::string TestCa::client_cert_path() const { return dir_->path() + "/client.crt"; }
std::string TestCa::client_key_path() const { return dir_->path() + "/client.key"; }
std::string TestCa::cert_dir() const { return dir_->path() + "/certs"; }

}  // namespace promote::testing
