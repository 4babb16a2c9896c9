#include "sigstore/cosign_key.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "sigstore/pem.h"
#include "sigstore_test_files.h"
#include "util/base64.h"

namespace promote::sigstore {
namespace {

using testing::CosignFixture;
using testing::CosignFixturePath;
using testing::FixturePassword;
using testing::PemBodyJson;
using testing::ReplaceOnce;

Secret Password() { return Secret(FixturePassword()); }

TEST_CASE("cosign fixture keys decrypt to the expected PKCS#8 and public key") {
  struct Case {
    const char* key;
    const char* pkcs8;
    const char* pub;
  };
  const Case cases[] = {
      {"cosign.key", "cosign.key.decrypted.pkcs8.der", "cosign.pub"},
      {"sigstore.key", "sigstore.key.decrypted.pkcs8.der", "sigstore.pub"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.key);
    auto plaintext = DecryptCosignKeyPlaintext(CosignFixture(c.key), Password(), c.key);
    REQUIRE_MESSAGE(plaintext.ok(), plaintext.status().ToString());
    CHECK(plaintext->reveal() == CosignFixture(c.pkcs8));

    auto key = ReadCosignPrivateKeyFile(CosignFixturePath(c.key), Password());
    REQUIRE_MESSAGE(key.ok(), key.status().ToString());
    auto der = key->Pkcs8Der();
    REQUIRE(der.ok());
    CHECK(der->reveal() == CosignFixture(c.pkcs8));

    auto expected_pub = PublicKey::FromPem(CosignFixture(c.pub), c.pub);
    REQUIRE(expected_pub.ok());
    CHECK(key->public_key().SpkiDer() == expected_pub->SpkiDer());
    CHECK(key->public_key().ToPem() == CosignFixture(c.pub));
  }
}

TEST_CASE("an unencrypted PKCS#8 PRIVATE KEY PEM is accepted") {
  const std::string pem = EncodePem("PRIVATE KEY", CosignFixture("cosign.key.decrypted.pkcs8.der"));
  auto key = ParseCosignPrivateKey(pem, Secret(), "plain.key");
  REQUIRE_MESSAGE(key.ok(), key.status().ToString());
  CHECK(key->public_key().ToPem() == CosignFixture("cosign.pub"));
}

TEST_CASE("a key whose plaintext is SEC1, not PKCS#8, is refused with a clear error") {
  auto key = ReadCosignPrivateKeyFile(CosignFixturePath("invalid-sec1-n65536.key"), Password());
  REQUIRE_FALSE(key.ok());
  CHECK(key.status().code() == Code::kInvalidArgument);
  CHECK(key.status().message().find("invalid-sec1-n65536.key") != std::string::npos);
  CHECK(key.status().message().find("not PKCS#8") != std::string::npos);
}

TEST_CASE("a wrong passphrase is refused without revealing it") {
  const std::string wrong = "Tr0ub4dor&3-not-the-passphrase";
  auto key = ReadCosignPrivateKeyFile(CosignFixturePath("cosign.key"), Secret(wrong));
  REQUIRE_FALSE(key.ok());
  CHECK(key.status().code() == Code::kInvalidArgument);
  CHECK(key.status().message().find("wrong passphrase or corrupted key") != std::string::npos);
  CHECK(key.status().message().find("cosign key " + CosignFixturePath("cosign.key")) == 0);
  CHECK(key.status().message().find(wrong) == std::string::npos);
}

TEST_CASE("malformed cosign key files are refused with a message naming the problem") {
  const std::string fixture = CosignFixture("cosign.key");
  const std::string doc = PemBodyJson(fixture);
  const std::string label(kCosignKeyPemLabel);
  auto with_doc = [&](const std::string& d) { return EncodePem(label, d); };
  auto replaced = [&](const std::string& from, const std::string& to) {
    return with_doc(ReplaceOnce(doc, from, to));
  };
  const std::string ciphertext_b64 = nlohmann::json::parse(doc)["ciphertext"];
  const std::string ciphertext = Base64Decode(ciphertext_b64).value();

  struct Case {
    const char* name;
    std::string pem;
    const char* message;  // expected substring
  };
  const Case cases[] = {
      {"empty file", "", "not a PEM file"},
      {"not PEM at all", "hello world\n", "not a PEM file"},
      {"missing END line", fixture.substr(0, fixture.find("-----END")), "has no '-----END"},
      {"END label differs", ReplaceOnce(fixture, "END ENCRYPTED COSIGN", "END ENCRYPTED SIGSTORE"),
       "does not match BEGIN"},
      {"PEM headers", ReplaceOnce(fixture, "KEY-----\n", "KEY-----\nProc-Type: 4,ENCRYPTED\n\n"),
       "PEM headers are not supported"},
      {"two PEM blocks", fixture + fixture, "unexpected data after the PEM block"},
      {"unknown label", EncodePem("FOO", doc), "unsupported PEM type 'FOO'"},
      {"SEC1 label", EncodePem("EC PRIVATE KEY", "x"), "unsupported PEM type 'EC PRIVATE KEY'"},
      {"bad base64 in body", ReplaceOnce(fixture, "eyJrZGYi", "eyJr!GYi"), "not valid base64"},
      {"malformed JSON", with_doc(doc.substr(0, 100)), "malformed JSON"},
      {"JSON not an object", with_doc("[1,2]"), "must be an object"},
      {"trailing data after JSON", with_doc(doc + "{}"), "malformed JSON"},
      {"duplicate key", replaced("{\"kdf\":", "{\"ciphertext\":\"\",\"kdf\":"),
       "duplicate JSON key \"ciphertext\""},
      {"kdf missing", replaced("\"kdf\":", "\"kdx\":"), "kdf is missing"},
      {"kdf name not scrypt", replaced("\"scrypt\"", "\"argon2id\""), "unsupported kdf 'argon2id'"},
      {"N=1024", replaced("\"N\":32768", "\"N\":1024"), "unsupported scrypt parameters N=1024"},
      {"N=2^20", replaced("\"N\":32768", "\"N\":1048576"), "unsupported scrypt parameters N=1048576"},
      {"r=16", replaced("\"r\":8", "\"r\":16"), "r=16"},
      {"p=2", replaced("\"p\":1", "\"p\":2"), "p=2"},
      {"N negative", replaced("\"N\":32768", "\"N\":-32768"), "positive integers"},
      {"N as string", replaced("\"N\":32768", "\"N\":\"32768\""), "positive integers"},
      {"salt bad base64", replaced("\"salt\":\"", "\"salt\":\"!"), "kdf.salt is not valid standard base64"},
      {"salt too short", replaced("\"salt\":\"", "\"salt\":\"AAAA\",\"x\":\""),
       "kdf.salt is 3 bytes; expected 32"},
      {"cipher name other", replaced("nacl/secretbox", "aes-256-gcm"), "unsupported cipher 'aes-256-gcm'"},
      {"short nonce",
       replaced("\"nonce\":\"", "\"nonce\":\"" + Base64Encode(std::string(12, 'n')) + "\",\"x\":\""),
       "cipher.nonce is 12 bytes; expected 24"},
      {"nonce missing", replaced("\"nonce\":", "\"once\":"), "cipher.nonce is missing"},
      {"ciphertext shorter than the tag", replaced(ciphertext_b64, Base64Encode(ciphertext.substr(0, 10))),
       "shorter than the 16-byte authentication tag"},
      {"truncated ciphertext", replaced(ciphertext_b64, Base64Encode(ciphertext.substr(0, 100))),
       "wrong passphrase or corrupted key"},
      {"flipped ciphertext byte",
       replaced(ciphertext_b64,
                Base64Encode(ciphertext.substr(0, 50) + char(ciphertext[50] ^ 1) + ciphertext.substr(51))),
       "wrong passphrase or corrupted key"},
      {"huge input", fixture + std::string(70 * 1024, ' '), "more than the limit of 65536 bytes"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto key = ParseCosignPrivateKey(c.pem, Password(), "cosign key bad.key");
    REQUIRE_FALSE(key.ok());
    CHECK(key.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(key.status().message().find(c.message) != std::string::npos, key.status().message());
    CHECK(key.status().message().find("cosign key bad.key") == 0);
  }
}

TEST_CASE("the fixture key still decrypts after the mutation helpers rebuild it") {
  // Guards the table above: its cases fail for the reason they name, not because re-encoding broke the key.
  const std::string rebuilt = EncodePem(kCosignKeyPemLabel, PemBodyJson(CosignFixture("cosign.key")));
  CHECK(rebuilt == CosignFixture("cosign.key"));
  CHECK(ParseCosignPrivateKey(rebuilt, Password(), "rebuilt").ok());
}

TEST_CASE("generated keys round-trip through both cosign key formats") {
  auto key = PrivateKey::Generate();
  REQUIRE(key.ok());
  auto original = key->Pkcs8Der();
  REQUIRE(original.ok());
  CHECK(original->reveal().size() == 138);

  struct Case {
    CosignKeyFormat format;
    std::string_view label;
    int n;
  };
  const Case cases[] = {
      {CosignKeyFormat::kCurrent, kSigstoreKeyPemLabel, 65536},
      {CosignKeyFormat::kLegacy, kCosignKeyPemLabel, 32768},
  };
  const Secret passphrase("correct horse battery staple");
  for (const Case& c : cases) {
    CAPTURE(c.n);
    auto pem = EncryptCosignPrivateKey(*key, passphrase, c.format);
    REQUIRE_MESSAGE(pem.ok(), pem.status().ToString());

    // Armour: the label, 64-column lines, trailing newline.
    CHECK(pem->rfind("-----BEGIN " + std::string(c.label) + "-----\n", 0) == 0);
    CHECK(pem->find("-----END " + std::string(c.label) + "-----\n") == pem->size() - c.label.size() - 15);
    size_t line_start = pem->find('\n') + 1;
    while (true) {
      const size_t nl = pem->find('\n', line_start);
      const std::string line = pem->substr(line_start, nl - line_start);
      if (line.rfind("-----END", 0) == 0) break;
      CHECK(line.size() <= 64);
      line_start = nl + 1;
    }

    // Body: compact JSON in Go's field order with the expected parameters and sizes.
    const std::string doc = PemBodyJson(*pem);
    CHECK(doc.size() == 414);
    const std::string prefix = "{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":" + std::to_string(c.n) +
                               ",\"r\":8,\"p\":1},\"salt\":\"";
    CHECK(doc.rfind(prefix, 0) == 0);
    CHECK(doc.find("\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"") != std::string::npos);
    const auto parsed = nlohmann::json::parse(doc);
    CHECK(Base64Decode(parsed["kdf"]["salt"].get<std::string>())->size() == 32);
    CHECK(Base64Decode(parsed["cipher"]["nonce"].get<std::string>())->size() == 24);
    CHECK(Base64Decode(parsed["ciphertext"].get<std::string>())->size() == 154);

    auto back = ParseCosignPrivateKey(*pem, passphrase, "round trip");
    REQUIRE_MESSAGE(back.ok(), back.status().ToString());
    CHECK(back->Pkcs8Der()->reveal() == original->reveal());

    CHECK_FALSE(ParseCosignPrivateKey(*pem, Secret("wrong"), "round trip").ok());
  }
}

TEST_CASE("two encryptions of one key use fresh salt and nonce") {
  auto key = PrivateKey::Generate();
  REQUIRE(key.ok());
  auto a = EncryptCosignPrivateKey(*key, Secret(""), CosignKeyFormat::kLegacy);
  auto b = EncryptCosignPrivateKey(*key, Secret(""), CosignKeyFormat::kLegacy);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const auto ja = nlohmann::json::parse(PemBodyJson(*a));
  const auto jb = nlohmann::json::parse(PemBodyJson(*b));
  CHECK(ja["kdf"]["salt"] != jb["kdf"]["salt"]);
  CHECK(ja["cipher"]["nonce"] != jb["cipher"]["nonce"]);
  // An empty passphrase is valid (COSIGN_PASSWORD="").
  CHECK(ParseCosignPrivateKey(*a, Secret(""), "empty passphrase").ok());
}

TEST_CASE("a missing key file is an error naming the path") {
  auto key = ReadCosignPrivateKeyFile("/nonexistent/dir/cosign.key", Password());
  REQUIRE_FALSE(key.ok());
  CHECK(key.status().code() == Code::kInvalidArgument);
  CHECK(key.status().message().rfind("cosign key /nonexistent/dir/cosign.key: cannot be read (", 0) == 0);

  auto pub = ReadPublicKeyFile("/nonexistent/dir/cosign.pub");
  REQUIRE_FALSE(pub.ok());
  CHECK(pub.status().message().rfind("public key /nonexistent/dir/cosign.pub: cannot be read (", 0) == 0);
}

TEST_CASE("a generated key pair's files belong together") {
  auto files = GenerateCosignKeyPair(Secret("pw"), CosignKeyFormat::kLegacy);
  REQUIRE(files.ok());
  auto key = ParseCosignPrivateKey(files->private_key_pem, Secret("pw"), "cosign.key");
  REQUIRE(key.ok());
  CHECK(key->public_key().ToPem() == files->public_key_pem);
  CHECK(files->private_key_pem.rfind("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n", 0) == 0);
}

}  // namespace
}  // namespace promote::sigstore
