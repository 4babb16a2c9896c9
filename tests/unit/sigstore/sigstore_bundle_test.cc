// Sigstore bundles: the public conformance fixtures give their verdicts, bundles signed here with
// P-256, P-384 and Ed25519 keys in each media type verify (with the log entries and RFC 3161
// timestamps a trusted root asks to check), and every tampering is refused.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "sigstore/bundle_verify.h"
#include "sigstore/sigstore_bundle.h"
#include "sigstore/transparency_log.h"
#include "sigstore/trusted_root.h"
#include "sigstore_test_files.h"
#include "tests/support/test_tsa.h"
#include "util/base64.h"
#include "util/sha256.h"

namespace promote::sigstore {
namespace {

using json = nlohmann::json;
using testing::ReplaceOnce;
using testing::SigstoreFixture;

std::string Raw(const std::array<uint8_t, 32>& a) { return std::string(reinterpret_cast<const char*>(a.data()), a.size()); }
std::string Sha(std::string_view s) { return Raw(Sha256Raw(s)); }

// A key pair made here, signing as sigstore clients do for its algorithm.
class TestSigner {
 public:
  TestSigner(const char* type, const char* group) : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, type, group), EVP_PKEY_free) {
    hash_ = std::string(type) == "ED25519" ? nullptr : std::string(group) == "P-384" ? "SHA384" : "SHA256";
  }
  static TestSigner Ed25519() { return TestSigner("ED25519", nullptr); }

  std::string Sign(std::string_view message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    REQUIRE(EVP_DigestSignInit_ex(ctx.get(), nullptr, hash_, nullptr, nullptr, key_.get(), nullptr) == 1);
    size_t len = 0;
    const auto* m = reinterpret_cast<const unsigned char*>(message.data());
    REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, m, message.size()) == 1);
    std::string sig(len, '\0');
    REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, m, message.size()) == 1);
    sig.resize(len);
    return sig;
  }
  VerificationKey Public() const {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(key_.get(), &der);
    std::string spki(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    auto key = VerificationKey::FromSpkiDer(spki, "test key");
    REQUIRE(key.ok());
    return std::move(*key);
  }

 private:
  TestSigner(const char* type, std::nullptr_t) : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, type), EVP_PKEY_free) {}
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
  const char* hash_ = nullptr;
};

json MessageBundle(const std::string& media_type, const std::string& artifact, const std::string& signature) {
  return {{"mediaType", media_type},
          {"verificationMaterial", {{"publicKey", {{"hint", "test"}}}, {"tlogEntries", json::array()}}},
          {"messageSignature",
           {{"messageDigest", {{"algorithm", "SHA2_256"}, {"digest", Base64Encode(Sha(artifact))}}},
            {"signature", Base64Encode(signature)}}}};
}

std::string Statement(const std::string& digest_hex) {
  return R"({"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":")" + digest_hex +
         R"("}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}})";
}

Result<VerifiedBundle> Verify(const std::string& bundle_json, const VerificationKey& key, const BundleExpectation& e) {
  PROMOTE_ASSIGN_OR_RETURN(SigstoreBundle bundle, ParseSigstoreBundle(bundle_json));
  return VerifySigstoreBundle(bundle, key, e);
}

// ---- the conformance suite's fixtures (tests/fixtures/sigstore/README.md) --------------------

TEST_CASE("conformance fixtures get the verdicts their suite gives, with and without the trusted root") {
  struct Case {
    std::string dir;
    bool pass;
    std::string reason;  // part of the refusal
  };
  const Case cases[] = {
      {"intoto-canonical-log-entry", true, ""},
      {"dsse-statement-missing-type_fail", false, "_type is missing"},
      {"dsse-statement-unknown-type_fail", false, "unsupported _type 'https://in-toto.io/Statement/v2'"},
  };
  const std::string artifact = SigstoreFixture("a.txt");
  for (const Case& c : cases) {
    CAPTURE(c.dir);
    auto key = VerificationKey::FromPem(SigstoreFixture(c.dir + "/key.pub"), "key.pub");
    REQUIRE(key.ok());
    auto root = ParseTrustedRoot(SigstoreFixture(c.dir + "/trusted_root.json"), "trusted_root.json");
    REQUIRE_MESSAGE(root.ok(), root.status().ToString());
    for (const TrustedRoot* r : {static_cast<const TrustedRoot*>(nullptr), static_cast<const TrustedRoot*>(&*root)}) {
      BundleExpectation e;
      e.artifact = artifact;
      e.trusted_root = r;
      auto verdict = Verify(SigstoreFixture(c.dir + "/bundle.sigstore.json"), *key, e);
      CHECK(verdict.ok() == c.pass);
      if (c.pass && verdict.ok()) {
        CHECK(verdict->key_only == (r == nullptr));
        CHECK(verdict->tlog_entries_verified == (r == nullptr ? 0 : 1));
        REQUIRE(verdict->statement.has_value());
        CHECK(verdict->statement->predicate_type == "https://example.com/test");
      }
      if (!c.pass && !verdict.ok()) {
        CHECK(verdict.status().code() == Code::kGateRefused);
        CHECK(verdict.status().message().find(c.reason) != std::string::npos);
      }
    }
  }
}

TEST_CASE("cosign's older bundle annotation (the CVE-2022-36056 fixture) is not a Sigstore bundle") {
  auto parsed = ParseSigstoreBundle(SigstoreFixture("cve-2022-36056-swapped-tlog-entry_fail/bundle.sigstore.json"));
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == Code::kInvalidArgument);
  CHECK(parsed.status().message().find("mediaType is missing") != std::string::npos);
}

TEST_CASE("tampering with the conformance bundle's log entry or artifact is refused, each for its reason") {
  const std::string dir = "intoto-canonical-log-entry/";
  const std::string good = SigstoreFixture(dir + "bundle.sigstore.json");
  auto key = VerificationKey::FromPem(SigstoreFixture(dir + "key.pub"), "key.pub");
  auto root = ParseTrustedRoot(SigstoreFixture(dir + "trusted_root.json"), "trusted_root.json");
  auto other_root = ParseTrustedRoot(SigstoreFixture("dsse-statement-missing-type_fail/trusted_root.json"), "other");
  auto other_key = VerificationKey::FromPem(SigstoreFixture("dsse-statement-missing-type_fail/key.pub"), "other");
  REQUIRE((key.ok() && root.ok() && other_root.ok() && other_key.ok()));
  const std::string artifact = SigstoreFixture("a.txt");
  json doc = json::parse(good);
  json& entry = doc["verificationMaterial"]["tlogEntries"][0];

  struct Case {
    std::string what;
    std::string bundle;
    std::string reason;
  };
  json bad_checkpoint = doc;
  bad_checkpoint["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"] =
      ReplaceOnce(entry["inclusionProof"]["checkpoint"]["envelope"], "rekor.test\n1\n", "rekor.test\n2\n");
  json bad_root_hash = doc;
  bad_root_hash["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["rootHash"] = Base64Encode(std::string(32, 'x'));
  json bad_body = doc;
  bad_body["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"] =
      Base64Encode(ReplaceOnce(*Base64Decode(entry["canonicalizedBody"].get<std::string>()), "ce3e", "ce3f"));
  json bad_payload = doc;
  bad_payload["dsseEnvelope"]["payload"] =
      Base64Encode(ReplaceOnce(*Base64Decode(doc["dsseEnvelope"]["payload"].get<std::string>()), "example", "exampla"));
  const Case cases[] = {
      {"checkpoint for another tree", bad_checkpoint.dump(), "checkpoint is for another tree size"},
      {"wrong root hash", bad_root_hash.dump(), "does not lead to the proof's root hash"},
      {"body edited", bad_body.dump(), "does not lead to the proof's root hash"},
      {"payload edited", bad_payload.dump(), "no DSSE signature verifies"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    BundleExpectation e{artifact, "", &*root};
    auto verdict = Verify(c.bundle, *key, e);
    REQUIRE_FALSE(verdict.ok());
    CHECK(verdict.status().code() == Code::kGateRefused);
    CHECK_MESSAGE(verdict.status().message().find(c.reason) != std::string::npos, verdict.status().message());
  }
  BundleExpectation other_log{artifact, "", &*other_root};
  auto untrusted = Verify(good, *key, other_log);
  REQUIRE_FALSE(untrusted.ok());
  CHECK(untrusted.status().message().find("is not in the trusted root") != std::string::npos);
  auto wrong_key = Verify(good, *other_key, BundleExpectation{artifact, "", nullptr});
  REQUIRE_FALSE(wrong_key.ok());
  CHECK(wrong_key.status().message().find("no DSSE signature verifies") != std::string::npos);
  auto wrong_artifact = Verify(good, *key, BundleExpectation{std::string_view("another"), "", nullptr});
  REQUIRE_FALSE(wrong_artifact.ok());
  CHECK(wrong_artifact.status().message().find("no subject has digest") != std::string::npos);
}

// ---- bundles signed here ----------------------------------------------------------------------

TEST_CASE("message-signature bundles of every media type verify with P-256, P-384 and Ed25519 keys") {
  const std::string artifact = "the artifact";
  const std::string digest = "sha256:" + Sha256Hex(artifact);
  TestSigner signers[] = {TestSigner("EC", "P-256"), TestSigner("EC", "P-384"), TestSigner::Ed25519()};
  for (const TestSigner& signer : signers) {
    VerificationKey key = signer.Public();
    CAPTURE(key.Describe());
    for (std::string_view media_type : {kBundleMediaTypeV01, kBundleMediaTypeV02, kBundleMediaTypeV03, kBundleMediaTypeV03Legacy}) {
      CAPTURE(media_type);
      const std::string bundle = MessageBundle(std::string(media_type), artifact, signer.Sign(artifact)).dump();
      auto ok = Verify(bundle, key, BundleExpectation{artifact, digest, nullptr});
      REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
      CHECK(ok->key_only);
      CHECK(ok->content == BundleContent::kMessageSignature);
      auto other = Verify(bundle, key, BundleExpectation{std::string_view("another artifact"), "", nullptr});
      REQUIRE_FALSE(other.ok());
      CHECK(other.status().message().find("message digest is not the digest of the artifact") != std::string::npos);
      auto wrong_digest = Verify(bundle, key, BundleExpectation{std::nullopt, "sha256:" + std::string(64, 'a'), nullptr});
      REQUIRE_FALSE(wrong_digest.ok());
      CHECK(wrong_digest.status().message().find("message digest is not sha256:aaaa") != std::string::npos);
    }
  }
}

TEST_CASE("without the artifact, ECDSA message signatures verify over the digest; Ed25519 ones cannot") {
  const std::string artifact = "manifest bytes";
  const std::string digest = "sha256:" + Sha256Hex(artifact);
  TestSigner p256("EC", "P-256");
  const std::string bundle = MessageBundle(std::string(kBundleMediaTypeV03), artifact, p256.Sign(artifact)).dump();
  CHECK(Verify(bundle, p256.Public(), BundleExpectation{std::nullopt, digest, nullptr}).ok());
  TestSigner ed = TestSigner::Ed25519();
  const std::string ed_bundle = MessageBundle(std::string(kBundleMediaTypeV03), artifact, ed.Sign(artifact)).dump();
  auto refused = Verify(ed_bundle, ed.Public(), BundleExpectation{std::nullopt, digest, nullptr});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("Ed25519") != std::string::npos);
}

TEST_CASE("DSSE bundles verify with Ed25519 and P-384 keys and return the statement; a statement about another digest is refused") {
  const std::string hex = std::string(64, 'b');
  const std::string statement = Statement(hex);
  for (const TestSigner& signer : {TestSigner::Ed25519(), TestSigner("EC", "P-384")}) {
    DsseEnvelope envelope{std::string(kInTotoPayloadType), statement,
                          {{"", signer.Sign(PreAuthEncoding(kInTotoPayloadType, statement))}}};
    const std::string bundle = EncodeDsseBundle(envelope, "hint");
    VerificationKey key = signer.Public();
    auto ok = Verify(bundle, key, BundleExpectation{std::nullopt, "sha256:" + hex, nullptr});
    REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
    CHECK(ok->payload == statement);
    REQUIRE(ok->statement.has_value());
    CHECK(ok->statement->predicate_type == "https://sigstore.dev/cosign/sign/v1");
    auto other = Verify(bundle, key, BundleExpectation{std::nullopt, "sha256:" + std::string(64, 'c'), nullptr});
    REQUIRE_FALSE(other.ok());
    CHECK(other.status().code() == Code::kGateRefused);
  }
}

TEST_CASE("bundle shapes that are not Sigstore bundles are refused with the field that is wrong") {
  TestSigner signer("EC", "P-256");
  json good = MessageBundle(std::string(kBundleMediaTypeV03), "a", signer.Sign("a"));
  struct Case {
    std::string what;
    std::function<void(json&)> edit;
    std::string reason;
  };
  const Case cases[] = {
      {"unknown media type", [](json& j) { j["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=9"; },
       "unsupported mediaType"},
      {"both contents", [](json& j) { j["dsseEnvelope"] = json::object(); }, "exactly one of messageSignature"},
      {"no material", [](json& j) { j.erase("verificationMaterial"); }, "verificationMaterial is missing"},
      {"two materials", [](json& j) { j["verificationMaterial"]["certificate"] = {{"rawBytes", "AA=="}}; },
       "exactly one of publicKey"},
      {"signature not base64", [](json& j) { j["messageSignature"]["signature"] = "!!"; }, "signature is not valid base64"},
      {"bad log index", [](json& j) {
         j["verificationMaterial"]["tlogEntries"] = {{{"logIndex", "x"}}};
       }, "logIndex is not an integer"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    json doc = good;
    c.edit(doc);
    auto parsed = ParseSigstoreBundle(doc.dump());
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(parsed.status().message().find(c.reason) != std::string::npos, parsed.status().message());
  }
}

TEST_CASE("a keyless bundle (certificate) is refused whatever the key: key-only mode trusts no certificate") {
  TestSigner signer("EC", "P-256");
  json doc = MessageBundle(std::string(kBundleMediaTypeV03), "a", signer.Sign("a"));
  doc["verificationMaterial"].erase("publicKey");
  doc["verificationMaterial"]["certificate"] = {{"rawBytes", Base64Encode("not checked")}};
  auto verdict = Verify(doc.dump(), signer.Public(), BundleExpectation{std::string_view("a"), "", nullptr});
  REQUIRE_FALSE(verdict.ok());
  CHECK(verdict.status().message().find("signed with a certificate (keyless)") != std::string::npos);
}

// ---- the log checks on a log made here ----------------------------------------------------------

// RFC 6962 Merkle tree hash of leaves[lo, hi).
std::string TreeHash(const std::vector<std::string>& leaves, size_t lo, size_t hi) {
  if (hi - lo == 1) return Sha(std::string(1, '\0') + leaves[lo]);
  size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return Sha("\x01" + TreeHash(leaves, lo, lo + k) + TreeHash(leaves, lo + k, hi));
}

// The audit path of leaf m in leaves[lo, hi) (RFC 6962 section 2.1.1).
std::vector<std::string> AuditPath(const std::vector<std::string>& leaves, size_t m, size_t lo, size_t hi) {
  if (hi - lo <= 1) return {};
  size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  std::vector<std::string> path;
  if (m < k) {
    path = AuditPath(leaves, m, lo, lo + k);
    path.push_back(TreeHash(leaves, lo + k, hi));
  } else {
    path = AuditPath(leaves, m - k, lo + k, hi);
    path.push_back(TreeHash(leaves, lo, lo + k));
  }
  return path;
}

TEST_CASE("inclusion proofs lead to the tree's root for every leaf of trees of 1 to 9 leaves, and nowhere else") {
  for (size_t n = 1; n <= 9; ++n) {
    std::vector<std::string> leaves;
    for (size_t i = 0; i < n; ++i) leaves.push_back("leaf " + std::to_string(i));
    const std::string root = TreeHash(leaves, 0, n);
    for (size_t i = 0; i < n; ++i) {
      CAPTURE(n);
      CAPTURE(i);
      auto path = AuditPath(leaves, i, 0, n);
      auto got = RootFromInclusionProof(static_cast<int64_t>(i), static_cast<int64_t>(n),
                                        Sha(std::string(1, '\0') + leaves[i]), path);
      REQUIRE(got.ok());
      CHECK(*got == root);
      if (!path.empty()) {
        path.pop_back();
        CHECK_FALSE(RootFromInclusionProof(static_cast<int64_t>(i), static_cast<int64_t>(n),
                                           Sha(std::string(1, '\0') + leaves[i]), path).ok());
      }
    }
  }
  CHECK_FALSE(RootFromInclusionProof(3, 3, Sha("x"), {}).ok());
}

TEST_CASE("a v0.1 bundle's signed entry timestamp is checked with the log key, and its body must name this signature") {
  TestSigner log_signer("EC", "P-256"), signer("EC", "P-256");
  VerificationKey log_key = log_signer.Public();
  const std::string log_id = Sha(log_key.SpkiDer());
  const std::string artifact = "artifact";
  const std::string sig = signer.Sign(artifact);
  auto body_for = [&](const std::string& s) {
    return json{{"apiVersion", "0.0.1"},
                {"kind", "hashedrekord"},
                {"spec", {{"data", {{"hash", {{"algorithm", "sha256"}, {"value", Sha256Hex(artifact)}}}}},
                          {"signature", {{"content", Base64Encode(s)}}}}}}
        .dump();
  };
  auto entry_for = [&](const std::string& body, int64_t time) {
    json set_payload = {{"body", Base64Encode(body)}, {"integratedTime", time},
                        {"logID", HexEncode(reinterpret_cast<const uint8_t*>(log_id.data()), log_id.size())},
                        {"logIndex", 7}};
    return json{{"logIndex", "7"}, {"logId", {{"keyId", Base64Encode(log_id)}}},
                {"kindVersion", {{"kind", "hashedrekord"}, {"version", "0.0.1"}}},
                {"integratedTime", std::to_string(time)},
                {"inclusionPromise", {{"signedEntryTimestamp", Base64Encode(log_signer.Sign(set_payload.dump()))}}},
                {"canonicalizedBody", Base64Encode(body)}};
  };
  const std::string root_json =
      json{{"mediaType", "application/vnd.dev.sigstore.trustedroot+json;version=0.1"},
           {"tlogs", {{{"baseUrl", "https://log.test"},
                       {"hashAlgorithm", "SHA2_256"},
                       {"publicKey", {{"rawBytes", Base64Encode(log_key.SpkiDer())},
                                      {"validFor", {{"start", "2020-01-01T00:00:00Z"}, {"end", "2030-01-01T00:00:00Z"}}}}},
                       {"logId", {{"keyId", Base64Encode(log_id)}}}}}}}
          .dump();
  auto root = ParseTrustedRoot(root_json, "root");
  REQUIRE_MESSAGE(root.ok(), root.status().ToString());

  struct Case {
    std::string what;
    json entry;
    std::string reason;  // empty: verifies
  };
  json forged = entry_for(body_for(sig), 1700000000);
  forged["integratedTime"] = "1700000001";  // the SET covers the time
  const Case cases[] = {
      {"good", entry_for(body_for(sig), 1700000000), ""},
      {"entry for another signature (CVE-2022-36056)", entry_for(body_for(signer.Sign("other")), 1700000000),
       "records another signature"},
      {"time moved", forged, "signed entry timestamp does not verify"},
      {"time after the log key's validity", entry_for(body_for(sig), 1900000000), "outside the validity"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    json bundle = MessageBundle(std::string(kBundleMediaTypeV01), artifact, sig);
    bundle["verificationMaterial"]["tlogEntries"] = json::array({c.entry});
    auto verdict = Verify(bundle.dump(), signer.Public(), BundleExpectation{artifact, "", &*root});
    CHECK_MESSAGE(verdict.ok() == c.reason.empty(), verdict.status().ToString());
    if (verdict.ok()) {
      CHECK_FALSE(verdict->key_only);
      CHECK(verdict->integrated_time == 1700000000);
    } else {
      CHECK(verdict.status().message().find(c.reason) != std::string::npos);
    }
  }
  json none = MessageBundle(std::string(kBundleMediaTypeV01), artifact, sig);
  auto no_entries = Verify(none.dump(), signer.Public(), BundleExpectation{artifact, "", &*root});
  REQUIRE_FALSE(no_entries.ok());
  CHECK(no_entries.status().message().find("no transparency-log entry") != std::string::npos);

  // A message signature's RFC 3161 timestamp is over the signature bytes (as sigstore clients
  // stamp it), not over the artifact or its digest.
  const promote::testing::TestTsa tsa("message signature");
  json certs = json::array();
  for (const std::string& der : tsa.ChainDer()) certs.push_back({{"rawBytes", Base64Encode(der)}});
  json root_doc = json::parse(root_json);
  root_doc["timestampAuthorities"] = {{{"subject", {{"commonName", "tsa"}}},
                                       {"certChain", {{"certificates", certs}}},
                                       {"validFor", {{"start", "2020-01-01T00:00:00Z"}}}}};
  auto tsa_root = ParseTrustedRoot(root_doc.dump(), "root");
  REQUIRE_MESSAGE(tsa_root.ok(), tsa_root.status().ToString());
  const std::pair<std::string, bool> stamped[] = {
      {sig, true}, {artifact, false}, {Sha(artifact), false}};
  for (const auto& [over, verifies] : stamped) {
    json bundle = MessageBundle(std::string(kBundleMediaTypeV01), artifact, sig);
    bundle["verificationMaterial"]["tlogEntries"] = json::array({entry_for(body_for(sig), 1700000000)});
    bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] =
        json::array({{{"signedTimestamp", Base64Encode(tsa.Timestamp(over))}}});
    auto verdict = Verify(bundle.dump(), signer.Public(), BundleExpectation{artifact, "", &*tsa_root});
    CHECK_MESSAGE(verdict.ok() == verifies, verdict.status().ToString());
    if (verdict.ok()) {
      REQUIRE(verdict->timestamps.size() == 1);
      CHECK(verdict->timestamps[0].tsa_subject == "CN=tsa");
      CHECK(verdict->timestamps[0].time > 1700000000);
    } else {
      CHECK(verdict.status().message().find("message imprint mismatch") != std::string::npos);
    }
  }
}

TEST_CASE("trusted roots that cannot be used are configuration errors naming the file") {
  CHECK(ParseTrustedRoot("{}", "tr.json").status().message().find("tr.json: mediaType") == 0);
  const std::string no_start = R"({"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[)"
                               R"({"publicKey":{"rawBytes":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEXlYI/a1XM9LYk54J0H/lm4EeboY1vhheo0TbTln8aWofhvUYUH9fIKz10uhbCDlTfOF+ymQlkiuDReSCMA2zAw=="},)"
                               R"("logId":{"keyId":"AA=="}}]})";
  auto r = ParseTrustedRoot(no_start, "tr.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInvalidArgument);
  CHECK(r.status().message() == "tr.json: tlogs[0]: publicKey.validFor.start is missing");
  CHECK(ParseRfc3339("2020-01-01T00:00:00Z") == 1577836800);
  CHECK(ParseRfc3339("2020-01-01T01:00:00.5+01:00") == 1577836800);
  CHECK_FALSE(ParseRfc3339("2020-01-01 00:00:00").has_value());
}

}  // namespace
}  // namespace promote::sigstore
