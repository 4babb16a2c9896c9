#include "sigstore/ecdsa.h"

#include <doctest/doctest.h>

#include "sigstore/cosign_key.h"
#include "sigstore/dsse.h"
#include "sigstore/pem.h"
#include "sigstore_test_files.h"
#include "util/read_file.h"

namespace promote::sigstore {
namespace {

using testing::CosignFixture;
using testing::CosignFixturePath;
using testing::FixturePassword;
using testing::RunQuietly;
using testing::ScratchDir;
using testing::ShellQuote;

int OpensslVerify(const ScratchDir& dir, const std::string& pub_pem, const std::string& signature,
                  const std::string& message) {
  const std::string pub = dir.Write("pub.pem", pub_pem);
  const std::string sig = dir.Write("sig.der", signature);
  const std::string msg = dir.Write("payload", message);
  return RunQuietly("openssl dgst -sha256 -verify " + ShellQuote(pub) + " -signature " + ShellQuote(sig) +
                    " " + ShellQuote(msg));
}

TEST_CASE("our signatures verify with the openssl CLI, and tampering is caught") {
  ScratchDir dir;
  auto key = PrivateKey::Generate();
  REQUIRE(key.ok());
  const std::string message = "{\"critical\":{},\"optional\":null}";
  auto signature = SignEcdsaSha256(*key, message);
  REQUIRE(signature.ok());
  CHECK(signature->size() >= 8);
  CHECK(signature->size() <= 72);
  CHECK(static_cast<unsigned char>((*signature)[0]) == 0x30);  // DER SEQUENCE, not r||s

  const std::string pub = key->public_key().ToPem();
  CHECK(OpensslVerify(dir, pub, *signature, message) == 0);
  CHECK(OpensslVerify(dir, pub, *signature, message + " ") != 0);
  CHECK(OpensslVerify(dir, CosignFixture("cosign.pub"), *signature, message) != 0);

  CHECK(VerifyEcdsaSha256(key->public_key(), message, *signature).ok());
}

TEST_CASE("the fixture key signs what openssl verifies against cosign.pub") {
  ScratchDir dir;
  auto key = ReadCosignPrivateKeyFile(CosignFixturePath("cosign.key"), Secret(FixturePassword()));
  REQUIRE(key.ok());
  const std::string message = "promote me";
  auto signature = SignEcdsaSha256(*key, message);
  REQUIRE(signature.ok());
  CHECK(OpensslVerify(dir, CosignFixture("cosign.pub"), *signature, message) == 0);
}

TEST_CASE("openssl-made signatures verify with our code") {
  ScratchDir dir;
  const std::string key_der = dir.Write("key.der", CosignFixture("cosign.key.decrypted.pkcs8.der"));
  const std::string message = "signed by openssl";
  const std::string msg = dir.Write("message", message);
  const std::string sig = (dir.path() / "sig.der").string();
  REQUIRE(RunQuietly("openssl dgst -sha256 -sign " + ShellQuote(key_der) + " -keyform DER -out " +
                     ShellQuote(sig) + " " + ShellQuote(msg)) == 0);
  auto signature = ReadSmallFile(sig, "signature", 1024);
  REQUIRE(signature.ok());
  auto pub = PublicKey::FromPem(CosignFixture("cosign.pub"), "cosign.pub");
  REQUIRE(pub.ok());
  CHECK(VerifyEcdsaSha256(*pub, message, *signature).ok());
  CHECK(VerifyEcdsaSha256(*pub, message + ".", *signature).code() == Code::kGateRefused);
}

TEST_CASE("DSSE signatures over PAE verify with the openssl CLI") {
  ScratchDir dir;
  auto key = PrivateKey::Generate();
  REQUIRE(key.ok());
  auto envelope = SignDsse(kInTotoPayloadType, "{\"_type\":\"x\"}", *key);
  REQUIRE(envelope.ok());
  const std::string pae = PreAuthEncoding(envelope->payload_type, envelope->payload);
  CHECK(OpensslVerify(dir, key->public_key().ToPem(), envelope->signatures[0].signature, pae) == 0);
  CHECK(OpensslVerify(dir, key->public_key().ToPem(), envelope->signatures[0].signature, envelope->payload) !=
        0);
}

TEST_CASE("malformed and wrong signatures are refused") {
  auto pub = PublicKey::FromPem(CosignFixture("cosign.pub"), "cosign.pub");
  REQUIRE(pub.ok());
  const std::string payload = CosignFixture("skopeo-made-signature/payload.json");
  const std::string good = CosignFixture("skopeo-made-signature/signature.der");
  REQUIRE(VerifyEcdsaSha256(*pub, payload, good).ok());

  std::string flipped = good;
  flipped[good.size() - 1] ^= 0x01;
  const std::string cases[] = {
      "",
      "\x30\x00",
      good.substr(0, good.size() - 1),
      good + '\0',  // trailing garbage: DER must be canonical
      flipped,
      std::string(64, '\x11'),  // raw r||s is not accepted
  };
  for (const std::string& sig : cases) {
    CAPTURE(sig.size());
    const Status status = VerifyEcdsaSha256(*pub, payload, sig);
    CHECK(status.code() == Code::kGateRefused);
  }
}

}  // namespace
}  // namespace promote::sigstore
