#include "sigstore/ec_key.h"

#include <doctest/doctest.h>

#include "sigstore/cosign_key.h"
#include "sigstore/pem.h"
#include "sigstore_test_files.h"
#include "util/read_file.h"

namespace promote::sigstore {
namespace {

using testing::CosignFixture;
using testing::CosignFixturePath;
using testing::RunQuietly;
using testing::ScratchDir;
using testing::ShellQuote;

std::string ReadFile(const std::string& path) {
  auto text = ReadSmallFile(path, "test file", 1 << 20);
  REQUIRE_MESSAGE(text.ok(), text.status().ToString());
  return *text;
}

std::string WithCrlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

struct OpensslKeyPair {
  std::string private_pem;  // PKCS#8 "PRIVATE KEY"
  std::string public_pem;   // SPKI "PUBLIC KEY"
};

// Makes a key pair with the openssl CLI, an implementation independent of ours.
OpensslKeyPair OpensslKey(const ScratchDir& dir, const std::string& name, const std::string& genpkey_args) {
  const std::string priv = (dir.path() / (name + ".key")).string();
  const std::string pub = (dir.path() / (name + ".pub")).string();
  REQUIRE(RunQuietly("openssl genpkey " + genpkey_args + " -out " + ShellQuote(priv)) == 0);
  REQUIRE(RunQuietly("openssl pkey -in " + ShellQuote(priv) + " -pubout -out " + ShellQuote(pub)) == 0);
  return {ReadFile(priv), ReadFile(pub)};
}

TEST_CASE("public keys: P-256 SPKI is accepted, everything else is refused clearly") {
  ScratchDir dir;
  const OpensslKeyPair p256 = OpensslKey(dir, "p256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
  const OpensslKeyPair p384 = OpensslKey(dir, "p384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384");
  const OpensslKeyPair rsa = OpensslKey(dir, "rsa", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
  const OpensslKeyPair ed = OpensslKey(dir, "ed", "-algorithm ED25519");
  const std::string cosign_pub_der = DecodePem(CosignFixture("cosign.pub"), "fixture")->bytes;

  struct Case {
    const char* name;
    std::string pem;
    const char* error;  // nullptr: accepted
  };
  const Case cases[] = {
      {"cosign.pub fixture", CosignFixture("cosign.pub"), nullptr},
      {"sigstore.pub fixture", CosignFixture("sigstore.pub"), nullptr},
      {"openssl P-256", p256.public_pem, nullptr},
      {"CRLF line endings", WithCrlf(CosignFixture("cosign.pub")), nullptr},
      {"P-384", p384.public_pem, "public key is EC (secp384r1); only ECDSA P-256"},
      {"RSA", rsa.public_pem, "public key is RSA; only ECDSA P-256"},
      {"Ed25519", ed.public_pem, "public key is ED25519; only ECDSA P-256"},
      {"private key given", p256.private_pem, "unsupported PEM type 'PRIVATE KEY'; expected 'PUBLIC KEY'"},
      {"RSA PUBLIC KEY label", EncodePem("RSA PUBLIC KEY", "x"), "unsupported PEM type 'RSA PUBLIC KEY'"},
      {"garbage DER", EncodePem("PUBLIC KEY", "not DER"), "not a valid PKIX"},
      {"truncated DER", EncodePem("PUBLIC KEY", cosign_pub_der.substr(0, 60)), "not a valid PKIX"},
      {"trailing bytes", EncodePem("PUBLIC KEY", cosign_pub_der + "xx"),
       "unexpected bytes after the public key"},
      {"point off the curve",
       EncodePem("PUBLIC KEY", cosign_pub_der.substr(0, 90) + char(cosign_pub_der[90] ^ 1)),
       "not a valid PKIX"},
      {"huge", CosignFixture("cosign.pub") + std::string(65 * 1024, '\n'), "more than the limit"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto key = PublicKey::FromPem(c.pem, "public key test.pub");
    if (c.error == nullptr) {
      CHECK_MESSAGE(key.ok(), key.status().ToString());
      continue;
    }
    REQUIRE_FALSE(key.ok());
    CHECK(key.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(key.status().message().find(c.error) != std::string::npos, key.status().message());
    CHECK(key.status().message().rfind("public key test.pub", 0) == 0);
  }
}

TEST_CASE("public key PEM output is byte-identical to cosign.pub") {
  for (const char* name : {"cosign.pub", "sigstore.pub"}) {
    CAPTURE(name);
    auto key = ReadPublicKeyFile(CosignFixturePath(name));
    REQUIRE_MESSAGE(key.ok(), key.status().ToString());
    CHECK(key->SpkiDer().size() == 91);
    CHECK(key->ToPem() == CosignFixture(name));
  }
}

TEST_CASE("private keys: only PKCS#8 P-256 is accepted") {
  ScratchDir dir;
  const OpensslKeyPair p256 = OpensslKey(dir, "p256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
  const OpensslKeyPair p384 = OpensslKey(dir, "p384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384");
  const std::string sec1 = (dir.path() / "sec1.pem").string();
  REQUIRE(RunQuietly("openssl ec -in " + ShellQuote((dir.path() / "p256.key").string()) + " -out " +
                     ShellQuote(sec1)) == 0);

  auto ok = ParseCosignPrivateKey(p256.private_pem, Secret(), "p256.key");
  REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
  CHECK(ok->public_key().ToPem() == p256.public_pem);

  auto p384_key = ParseCosignPrivateKey(p384.private_pem, Secret(), "p384.key");
  REQUIRE_FALSE(p384_key.ok());
  CHECK(p384_key.status().message().find("private key is EC (secp384r1)") != std::string::npos);

  auto sec1_key = ParseCosignPrivateKey(ReadFile(sec1), Secret(), "sec1.key");
  REQUIRE_FALSE(sec1_key.ok());
  CHECK(sec1_key.status().message().find("unsupported PEM type 'EC PRIVATE KEY' (SEC1)") !=
        std::string::npos);

  // SEC1 DER inside a PRIVATE KEY label is caught by the PKCS#8 parser itself.
  const std::string sec1_der = DecodePem(ReadFile(sec1), "sec1")->bytes;
  auto mislabelled = PrivateKey::FromPkcs8Der(sec1_der, "mislabelled.key");
  REQUIRE_FALSE(mislabelled.ok());
  CHECK(mislabelled.status().message().find("not PKCS#8") != std::string::npos);
}

TEST_CASE("generated keys are distinct P-256 keys") {
  auto a = PrivateKey::Generate();
  auto b = PrivateKey::Generate();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->public_key().SpkiDer() != b->public_key().SpkiDer());
  CHECK(PublicKey::FromSpkiDer(a->public_key().SpkiDer(), "generated").ok());
}

}  // namespace
}  // namespace promote::sigstore
