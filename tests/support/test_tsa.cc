#include "tests/support/test_tsa.h"

#include "tests/support/child_process.h"
#include "tests/support/test_ca.h"
#include "tests/support/temp_dir.h"

namespace promote::testing {
namespace {

// NAME.key and NAME.csr: a fresh P-256 key and a request for `subject`.
void NewKeyAndRequest(const std::string& d, const std::string& name, const std::string& subject) {
  RunCommandOrThrow({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-keyout", d + "/" + name + ".key", "-out", d + "/" + name + ".csr", "-subj",
                     subject});
}

// NAME.crt: NAME.csr signed by ISSUER.crt/ISSUER.key with the extensions in NAME.ext.
void Issue(const std::string& d, const std::string& name, const std::string& issuer) {
  RunCommandOrThrow({"openssl", "x509", "-req", "-in", d + "/" + name + ".csr", "-CA",
                     d + "/" + issuer + ".crt", "-CAkey", d + "/" + issuer + ".key", "-CAcreateserial",
                     "-out", d + "/" + name + ".crt", "-days", "7", "-extfile", d + "/" + name + ".ext"});
}

std::string Der(const std::string& pem_path) {
  return RunCommandOrThrow({"openssl", "x509", "-in", pem_path, "-outform", "DER"}).out;
}

}  // namespace

TestTsa::TestTsa(const std::string& name) : dir_(std::make_unique<TempDir>()) {
  const std::string d = dir_->path();
  MakeSelfSignedCa(d + "/root.key", d + "/root.crt", "/CN=" + name + " root");
  NewKeyAndRequest(d, "intermediate", "/CN=" + name + " intermediate");
  dir_->Write("intermediate.ext",
              "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
  Issue(d, "intermediate", "root");
  NewKeyAndRequest(d, "tsa", "/CN=" + name + " TSA");
  // RFC 3161 2.3: a TSA's certificate has exactly one extended key usage, timeStamping, critical.
  dir_->Write("tsa.ext",
              "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
              "extendedKeyUsage=critical,timeStamping\n");
  Issue(d, "tsa", "intermediate");
  dir_->Write("serial", "01\n");
  dir_->Write("tsa.cnf",
              "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\n"
              "serial = " +
                  d +
                  "/serial\ncrypto_device = builtin\n"
                  "signer_cert = " +
                  d + "/tsa.crt\ncerts = " + d +
                  "/intermediate.crt\n"
                  "signer_key = " +
                  d +
                  "/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n"
                  "digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\ntsa_name = yes\n"
                  "ess_cert_id_chain = no\ness_cert_id_alg = sha256\n");
}

TestTsa::~TestTsa() = default;

std::vector<std::string> TestTsa::ChainDer() const {
  const std::string d = dir_->path();
  return {Der(d + "/tsa.crt"), Der(d + "/intermediate.crt"), Der(d + "/root.crt")};
}

std::string TestTsa::Reply(const std::string& data, bool token_only) const {
  const std::string d = dir_->path();
  const std::string data_file = dir_->Write("data", data);
  RunCommandOrThrow(
      {"openssl", "ts", "-query", "-data", data_file, "-sha256", "-cert", "-out", d + "/query.tsq"});
  std::vector<std::string> reply = {"openssl",        "ts",           "-reply",
                                    "-config",        d + "/tsa.cnf", "-queryfile",
                                    d + "/query.tsq", "-out",         d + "/reply.der"};
  if (token_only) reply.push_back("-token_out");
  RunCommandOrThrow(reply);
  return ReadFile(d + "/reply.der");
}

std::string TestTsa::Timestamp(const std::string& data) const { return Reply(data, true); }
std::string TestTsa::TimestampResponse(const std::string& data) const { return Reply(data, false); }

}  // namespace promote::testing
