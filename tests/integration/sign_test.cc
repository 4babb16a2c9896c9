// cosign-compatible signing and verification against a real registry: the .sig manifest our
// code writes, checked with openssl as an independent verifier; appending and deduplicating;
// `promote verify` refusing bad signatures; keygen/sign/verify through the CLI; bad input.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "sign/attestation_store.h"
#include "sign/attestation_verifier.h"
#include "sign/cosign_attachment.h"
#include "sign/image_signer.h"
#include "sign/image_verifier.h"
#include "sigstore/cosign_key.h"
#include "sigstore/dsse.h"
#include "sigstore/ecdsa.h"
#include "sigstore/in_toto.h"
#include "sigstore/simple_signing.h"
#include "tests/integration/sign_test_support.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/test_registry.h"
#include "util/base64.h"
#include "util/sha256.h"

using namespace promote;
using namespace promote::testing;

namespace {

const std::string kFixtures = std::string(PROMOTE_FIXTURES_DIR) + "/cosign";

oci::Descriptor DescriptorOf(const SampleImage& img) {
  auto d = oci::Digest::Parse(img.digest);
  REQUIRE(d.ok());
  return {img.media_type, *d, static_cast<int64_t>(img.bytes.size()), {}, {}};
}

sign::SignOutcome Sign(registry::RegistryClient& client, const std::string& repo, const oci::Descriptor& d,
                       const sigstore::PrivateKey& key, const std::string& identity,
                       std::map<std::string, std::string> annotations = {}) {
  auto out = sign::SignImage(client, repo, d, key, {identity, std::move(annotations)}, PushScope(repo));
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  return *out;
}

// Appends a hand-made simple-signing layer (for the refusal cases).
void AppendLayer(registry::RegistryClient& client, const std::string& repo, const oci::Digest& subject,
                 const std::string& payload, const std::string& der_signature) {
  auto current =
      sign::ReadAttachmentManifest(client, repo, sign::AttachmentTag(subject, "sig"), PushScope(repo));
  REQUIRE(current.ok());
  sign::NewAttachmentLayer layer{
      std::string(sigstore::kSimpleSigningMediaType),
      payload,
      {{std::string(sigstore::kSignatureAnnotation), Base64Encode(der_signature)}}};
  REQUIRE(sign::AppendAttachmentLayer(client, repo, *current, layer, PushScope(repo)).ok());
}

std::string Der(const sigstore::PrivateKey& key, const std::string& payload) {
  auto der = sigstore::SignEcdsaSha256(key, payload);
  REQUIRE(der.ok());
  return *der;
}

std::string Payload(const std::string& identity, const std::string& digest) {
  auto p = sigstore::BuildSimpleSigningPayload(identity, digest);
  REQUIRE(p.ok());
  return *p;
}

}  // namespace

TEST_CASE("a signature written by our code is the cosign .sig layout and verifies with openssl") {
  TestRegistry reg;
  TempDir dir;
  SampleImage img = PushSampleImage(reg, "demo/hello", "v1", {{"linux/amd64"}, 1, 1024, 5});
  TestRegistryClient holder(reg);
  auto& client = holder.get();
  sigstore::PrivateKey key = NewKey();
  const std::string identity = reg.host() + "/demo/hello";

  sign::SignOutcome out = Sign(client, "demo/hello", DescriptorOf(img), key, identity, {{"env", "prod"}});
  CHECK(out.added);
  CHECK(out.signatures == 1);
  const std::string tag = "sha256-" + img.digest.substr(7) + ".sig";
  CHECK(out.signature_reference == reg.host() + "/demo/hello:" + tag);

  nlohmann::json m = ManifestJson(client, "demo/hello", tag);
  REQUIRE(m.is_object());
  CHECK(m["schemaVersion"] == 2);
  CHECK(m["mediaType"] == "application/vnd.oci.image.manifest.v1+json");
  CHECK(m["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json");
  CHECK_FALSE(m.contains("subject"));
  CHECK_FALSE(m.contains("annotations"));
  REQUIRE(m["layers"].size() == 1);
  const auto& layer = m["layers"][0];
  CHECK(layer["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json");
  CHECK(layer["digest"] == out.payload_digest.str());

  // The config lists the payload as its one diff_id (payload stored uncompressed).
  nlohmann::json config = nlohmann::json::parse(Blob(client, "demo/hello", m["config"]["digest"]));
  CHECK(config["rootfs"]["type"] == "layers");
  CHECK(config["rootfs"]["diff_ids"] == nlohmann::json::array({out.payload_digest.str()}));

  // The payload is exactly what cosign writes, and openssl accepts the signature over its bytes.
  std::string payload = Blob(client, "demo/hello", layer["digest"]);
  CHECK(payload == "{\"critical\":{\"identity\":{\"docker-reference\":\"" + identity +
                       "\"},\"image\":{\"docker-manifest-digest\":\"" + img.digest +
                       "\"},\"type\":\"cosign container image signature\"},\"optional\":{\"env\":\"prod\"}}");
  auto der = Base64Decode(layer["annotations"]["dev.cosignproject.cosign/signature"].get<std::string>());
  REQUIRE(der.has_value());
  std::string pub = WritePublicKey(dir, "cosign.pub", key);
  CHECK(OpensslVerifies(dir, pub, payload, *der));
  CHECK_FALSE(OpensslVerifies(dir, pub, payload + " ", *der));
  sigstore::PrivateKey other = NewKey();
  CHECK_FALSE(OpensslVerifies(dir, WritePublicKey(dir, "other.pub", other), payload, *der));
}

TEST_CASE("a second signature is appended with the first layer byte-identical; a repeat is skipped") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 1024, 6});
  TestRegistryClient holder(reg);
  auto& client = holder.get();
  sigstore::PrivateKey a = NewKey(), b = NewKey();
  const std::string tag = "sha256-" + img.digest.substr(7) + ".sig";

  sign::SignOutcome first = Sign(client, "app", DescriptorOf(img), a, reg.host() + "/app");
  nlohmann::json before = ManifestJson(client, "app", tag);
  sign::SignOutcome second = Sign(client, "app", DescriptorOf(img), b, reg.host() + "/app");
  CHECK(second.added);
  CHECK(second.signatures == 2);
  nlohmann::json after = ManifestJson(client, "app", tag);
  REQUIRE(after["layers"].size() == 2);
  CHECK(after["layers"][0].dump() == before["layers"][0].dump());
  nlohmann::json config = nlohmann::json::parse(Blob(client, "app", after["config"]["digest"]));
  CHECK(config["rootfs"]["diff_ids"] ==
        nlohmann::json::array({first.payload_digest.str(), second.payload_digest.str()}));

  // Same claims, same key: nothing is written.
  uint64_t puts = reg.RequestCount("PUT", "/manifests/");
  sign::SignOutcome again = Sign(client, "app", DescriptorOf(img), a, reg.host() + "/app");
  CHECK_FALSE(again.added);
  CHECK(again.signatures == 2);
  CHECK(again.signature_manifest == second.signature_manifest);
  CHECK(reg.RequestCount("PUT", "/manifests/") == puts);

  // Different annotations are a different payload: a new signature.
  CHECK(Sign(client, "app", DescriptorOf(img), a, reg.host() + "/app", {{"stage", "qa"}}).added);

  auto report = sign::VerifyImage(client, "app", DescriptorOf(img).digest, a.public_key(),
                                  {sigstore::IdentityPolicy::kMatchRepository, reg.host() + "/app:v1"},
                                  PushScope("app"));
  REQUIRE(report.ok());
  CHECK(report->signatures.size() == 3);
  CHECK(report->verified_count() == 2);  // b's signature does not verify with a's key
  CHECK(report->ToStatus().ok());
}

TEST_CASE("the skopeo-made signature verifies from a registry, and ours is appended beside it") {
  TestRegistry reg;
  TestRegistryClient holder(reg);
  auto& client = holder.get();
  const std::string dir = kFixtures + "/skopeo-made-signature";
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string manifest_bytes = read(dir + "/manifest.json");
  REQUIRE(client.PushBlobBytes("demo/hello", read(dir + "/config.json"), PushScope("demo/hello")).ok());
  REQUIRE(client.PushBlobBytes("demo/hello", read(dir + "/payload.json"), PushScope("demo/hello")).ok());
  auto manifest = oci::ParseManifest(manifest_bytes, "application/vnd.oci.image.manifest.v1+json");
  REQUIRE(manifest.ok());
  auto subject =
      oci::Digest::Parse("sha256:5aafdbfea1f9b14602b802cf7afe37a697af73ccba9c73175ca7a5ec11293ba5");
  REQUIRE(subject.ok());
  const std::string tag = sign::AttachmentTag(*subject, "sig");
  REQUIRE(client.PutManifest("demo/hello", tag, *manifest, PushScope("demo/hello")).ok());

  auto pub = sigstore::ReadPublicKeyFile(kFixtures + "/cosign.pub");
  REQUIRE(pub.ok());
  // skopeo signed identity 127.0.0.1:5000/demo/hello:v1; the repository is what matters.
  sign::IdentityExpectation expected{sigstore::IdentityPolicy::kMatchRepository, "127.0.0.1:5000/demo/hello"};
  auto report = sign::VerifyImage(client, "demo/hello", *subject, *pub, expected, PushScope("demo/hello"));
  REQUIRE(report.ok());
  REQUIRE(report->signatures.size() == 1);
  CHECK(report->signatures[0].verified);
  CHECK(report->signatures[0].identity == "127.0.0.1:5000/demo/hello:v1");
  auto other = sigstore::ReadPublicKeyFile(kFixtures + "/sigstore.pub");
  REQUIRE(other.ok());
  auto refused = sign::VerifyImage(client, "demo/hello", *subject, *other, expected, PushScope("demo/hello"));
  REQUIRE(refused.ok());
  CHECK_FALSE(refused->verified());

  // Signing with the fixture key appends; skopeo's layer stays exactly as skopeo wrote it.
  auto passphrase = read(kFixtures + "/password.txt");
  auto key = sigstore::ReadCosignPrivateKeyFile(kFixtures + "/cosign.key", Secret(passphrase.substr(0, 5)));
  REQUIRE(key.ok());
  oci::Descriptor d{"application/vnd.oci.image.manifest.v1+json", *subject, 401, {}, {}};
  Sign(client, "demo/hello", d, *key, "127.0.0.1:5000/demo/hello");
  nlohmann::json original = nlohmann::json::parse(manifest_bytes);
  nlohmann::json now = ManifestJson(client, "demo/hello", tag);
  REQUIRE(now["layers"].size() == 2);
  CHECK(now["layers"][0] == original["layers"][0]);
  auto both = sign::VerifyImage(client, "demo/hello", *subject, *pub, expected, PushScope("demo/hello"));
  REQUIRE(both.ok());
  CHECK(both->verified_count() == 2);
}

TEST_CASE("promote verify refuses tampered payloads, wrong digest claims, wrong identities and wrong keys") {
  TestRegistry reg;
  TempDir dir;
  SampleImage img = PushSampleImage(reg, "shop/app", "v1", {{"linux/amd64"}, 1, 1024, 7});
  SampleImage other = PushSampleImage(reg, "shop/app", "v2", {{"linux/amd64"}, 1, 1024, 8});
  TestRegistryClient holder(reg);
  auto& client = holder.get();
  sigstore::PrivateKey key = NewKey(), stranger = NewKey();
  const std::string pub = WritePublicKey(dir, "cosign.pub", key);
  const std::string repo_identity = reg.host() + "/shop/app";
  const auto subject = DescriptorOf(img).digest;
  auto verify = [&](std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"-o", "json", "verify", reg.host() + "/shop/app:v1", "--key", pub};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunPromote(args);
  };

  auto none = verify();
  CHECK(none.exit_code == 3);
  CHECK(none.Json()["error"]["code"] == "gate_refused");
  CHECK(none.Json()["signatures"].empty());

  // 0: tampered payload (the signature covers other bytes).
  std::string good = Payload(repo_identity, img.digest);
  std::string tampered = Payload(reg.host() + "/shop/evil", img.digest);
  AppendLayer(client, "shop/app", subject, tampered, Der(key, good));
  // 1: valid signature, but for another image's digest.
  AppendLayer(client, "shop/app", subject, Payload(repo_identity, other.digest),
              Der(key, Payload(repo_identity, other.digest)));
  // 2: valid signature, identity of another repository.
  std::string foreign = Payload("elsewhere.example/team/app", img.digest);
  AppendLayer(client, "shop/app", subject, foreign, Der(key, foreign));
  // 3: valid claims, signed by another key.
  AppendLayer(client, "shop/app", subject, good, Der(stranger, good));

  auto refused = verify();
  INFO(refused.err);
  CHECK(refused.exit_code == 3);
  auto j = refused.Json();
  CHECK(j["ok"] == false);
  CHECK(j["error"]["code"] == "gate_refused");
  CHECK(j["digest"] == img.digest);
  REQUIRE(j["signatures"].size() == 4);
  for (const auto& s : j["signatures"]) CHECK(s["verified"] == false);
  CHECK(j["signatures"][0]["reason"].get<std::string>().find("does not verify") != std::string::npos);
  CHECK(j["signatures"][1]["reason"].get<std::string>().find(other.digest) != std::string::npos);
  CHECK(j["signatures"][2]["reason"].get<std::string>().find("elsewhere.example/team/app") !=
        std::string::npos);
  CHECK(j["signatures"][3]["reason"].get<std::string>().find("does not verify") != std::string::npos);

  // The identity policy decides about layer 2 only.
  auto ignoring = verify({"--identity-policy", "ignore"});
  CHECK(ignoring.exit_code == 0);
  CHECK(ignoring.Json()["verified"] == 1);
  CHECK(ignoring.Json()["signatures"][2]["verified"] == true);

  // One good signature among bad ones is enough, and each is still reported.
  Sign(client, "shop/app", DescriptorOf(img), key, repo_identity);
  auto ok = verify();
  CHECK(ok.exit_code == 0);
  CHECK(ok.Json()["ok"] == true);
  CHECK(ok.Json()["verified"] == 1);
  CHECK(ok.Json()["signatures"].size() == 5);
  CHECK(ok.Json()["signatures"][4]["identity"] == repo_identity);
  // Exact identity wants registry/repo:tag; ours names the repository only.
  CHECK(verify({"--identity-policy", "exact"}).exit_code == 3);
  CHECK(verify({"--identity-policy", "exact", "--identity", repo_identity}).exit_code == 0);
  // By digest, too.
  auto by_digest = RunPromote({"verify", reg.host() + "/shop/app@" + img.digest, "--key", pub});
  CHECK(by_digest.exit_code == 0);
  CHECK(by_digest.out.find("1 of 5 signatures verified") != std::string::npos);
}

TEST_CASE("keygen, sign and verify round trip through the CLI") {
  TestRegistry reg;
  TempDir dir;
  SampleImage img = PushSampleImage(reg, "shop/payment-svc", "sha-2b2e927");  // an index of two
  const std::string key = dir.path() + "/cosign.key", pub = dir.path() + "/cosign.pub";
  const std::map<std::string, std::string> env = {{"PROMOTE_KEY_PASSWORD", "correct horse"}};

  auto gen = RunPromote({"-o", "json", "keygen", "--output-key", key, "--output-pub", pub}, env);
  INFO(gen.err);
  REQUIRE(gen.exit_code == 0);
  CHECK(gen.Json()["pem_label"] == "ENCRYPTED SIGSTORE PRIVATE KEY");
  CHECK(ReadFile(key).rfind("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n", 0) == 0);
  CHECK(ReadFile(pub).rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
  struct stat st {};
  REQUIRE(::stat(key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(gen.out.find("correct horse") == std::string::npos);
  auto decrypted = sigstore::ReadCosignPrivateKeyFile(key, Secret("correct horse"));
  REQUIRE(decrypted.ok());
  CHECK(decrypted->public_key().ToPem() == ReadFile(pub));

  // Existing files are not overwritten without --force.
  std::string key_before = ReadFile(key);
  auto again = RunPromote({"keygen", "--output-key", key, "--output-pub", pub}, env);
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("already exists") != std::string::npos);
  CHECK(ReadFile(key) == key_before);

  const std::string ref = reg.host() + "/shop/payment-svc:sha-2b2e927";
  auto signed_run =
      RunPromote({"-o", "json", "sign", ref, "--key", key, "--recursive", "-a", "sha=2b2e927"}, env);
  INFO(signed_run.err);
  REQUIRE(signed_run.exit_code == 0);
  auto sj = signed_run.Json();
  CHECK(sj["digest"] == img.digest);
  CHECK(sj["identity"] == reg.host() + "/shop/payment-svc");
  REQUIRE(sj["signed"].size() == 3);
  CHECK(sj["signed"][0]["digest"] == img.digest);
  CHECK(sj["signed"][1]["digest"] == img.manifest_digests[0]);
  for (const auto& s : sj["signed"]) CHECK(s["added"] == true);

  auto verified = RunPromote({"-o", "json", "verify", ref, "--key", pub});
  INFO(verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(verified.Json()["verified"] == 1);
  for (const auto& child : img.manifest_digests) {
    CHECK(RunPromote({"verify", reg.host() + "/shop/payment-svc@" + child, "--key", pub}).exit_code == 0);
  }

  // Signing again changes nothing; COSIGN_PASSWORD works as well.
  uint64_t puts = reg.RequestCount("PUT", "/manifests/");
  auto resign = RunPromote({"-o", "json", "sign", ref, "--key", key, "-a", "sha=2b2e927"},
                           {{"COSIGN_PASSWORD", "correct horse"}});
  REQUIRE(resign.exit_code == 0);
  CHECK(resign.Json()["signed"][0]["added"] == false);
  CHECK(reg.RequestCount("PUT", "/manifests/") == puts);

  // A password file works too (its first line).
  std::string pwfile = dir.Write("pw", "correct horse\nignored\n", 0600);
  CHECK(RunPromote({"sign", ref, "--key", key, "--password-file", pwfile, "-a", "n=2"}).exit_code == 0);
}

TEST_CASE("keygen --legacy writes the COSIGN label and scrypt N=32768 that skopeo 1.9 reads") {
  TempDir dir;
  const std::string key = dir.path() + "/old.key", pub = dir.path() + "/old.pub";
  std::string pwfile = dir.Write("pw", "hello\n", 0600);
  auto gen =
      RunPromote({"keygen", "--legacy", "--password-file", pwfile, "--output-key", key, "--output-pub", pub});
  INFO(gen.err);
  REQUIRE(gen.exit_code == 0);
  std::string text = ReadFile(key);
  CHECK(text.rfind("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n", 0) == 0);
  auto block_start = text.find('\n') + 1;
  auto block_end = text.find("-----END");
  std::string body;
  for (char c : text.substr(block_start, block_end - block_start)) {
    if (c != '\n') body += c;
  }
  auto json_text = Base64Decode(body);
  REQUIRE(json_text.has_value());
  auto j = nlohmann::json::parse(*json_text);
  CHECK(j["kdf"]["params"]["N"] == 32768);
  CHECK(sigstore::ReadCosignPrivateKeyFile(key, Secret("hello")).ok());

  // --force overwrites.
  CHECK(RunPromote({"keygen", "--force", "--password-file", pwfile, "--output-key", key, "--output-pub", pub})
            .exit_code == 0);
  CHECK(ReadFile(key).rfind("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n", 0) == 0);
}

TEST_CASE("bad keys, passphrases and references are clear errors (exit 2) and write nothing") {
  TestRegistry reg;
  TempDir dir;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 1024, 9});
  const std::string ref = reg.host() + "/app:v1";
  const std::string fixture_key = kFixtures + "/cosign.key";
  const std::map<std::string, std::string> right = {{"PROMOTE_KEY_PASSWORD", "hello"}};
  uint64_t writes = Writes(reg);

  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string expected;  // in stderr
  };
  std::vector<Case> cases = {
      {"garbage key file", {"sign", ref, "--key", dir.Write("bad.key", "not a key\n")}, right, "bad.key"},
      {"missing key file", {"sign", ref, "--key", dir.path() + "/nope.key"}, right, "nope.key"},
      {"SEC1 key inside",
       {"sign", ref, "--key", kFixtures + "/invalid-sec1-n65536.key"},
       right,
       "invalid-sec1"},
      {"wrong passphrase",
       {"sign", ref, "--key", fixture_key},
       {{"PROMOTE_KEY_PASSWORD", "nope"}},
       "wrong passphrase"},
      {"no passphrase", {"sign", ref, "--key", fixture_key}, {}, "PROMOTE_KEY_PASSWORD"},
      {"malformed reference", {"sign", "Not A/Reference::x", "--key", fixture_key}, right, "Not A/Reference"},
      {"bad annotation", {"sign", ref, "--key", fixture_key, "-a", "novalue"}, right, "KEY=VALUE"},
      {"timestamp not an integer",
       {"sign", ref, "--key", fixture_key, "-a", "timestamp=2026-12-03"},
       right,
       "timestamp='2026-12-03' is not an integer"},
      {"bad identity", {"sign", ref, "--key", fixture_key, "--identity", "UPPER/Case"}, right, "identity"},
      {"verify: private key as public key", {"verify", ref, "--key", fixture_key}, {}, "cosign.key"},
      {"verify: malformed reference",
       {"verify", "bad ref", "--key", kFixtures + "/cosign.pub"},
       {},
       "bad ref"},
      {"keygen: no passphrase",
       {"keygen", "--output-key", dir.path() + "/k", "--output-pub", dir.path() + "/p"},
       {},
       "PROMOTE_KEY_PASSWORD"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto run = RunPromote(c.args, c.env);
    INFO(run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find(c.expected) != std::string::npos);
    CHECK(run.err.find("hello") == std::string::npos);
    CHECK(run.out.find("hello") == std::string::npos);
  }
  CHECK(Writes(reg) == writes);
  CHECK_FALSE(std::ifstream(dir.path() + "/k").good());
  // The registry never saw a .sig for the image.
  CHECK(reg.RequestCount("PUT", ".sig") == 0);
  (void)img;

  // JSON mode reports the error in the envelope.
  auto json =
      RunPromote({"-o", "json", "sign", ref, "--key", fixture_key}, {{"PROMOTE_KEY_PASSWORD", "nope"}});
  CHECK(json.exit_code == 2);
  CHECK(json.Json()["error"]["code"] == "invalid_argument");
}

TEST_CASE("attestations are stored as cosign .att layers and verify when read back") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 1024, 10});
  TestRegistryClient holder(reg);
  auto& client = holder.get();
  sigstore::PrivateKey key = NewKey(), stranger = NewKey();
  const std::string predicate_type = "https://promote.dev/promotion/v1";
  auto statement = sigstore::BuildInTotoStatement(predicate_type, reg.host() + "/app", img.digest,
                                                  {{"from", "dev"}, {"to", "prod"}});
  REQUIRE(statement.ok());
  auto envelope = sigstore::SignDsse(sigstore::kInTotoPayloadType, *statement, key);
  REQUIRE(envelope.ok());

  auto attached = sign::AttachAttestation(client, "app", DescriptorOf(img), *envelope, "", PushScope("app"));
  INFO(attached.status().ToString());
  REQUIRE(attached.ok());
  CHECK(attached->added);
  CHECK(attached->attestation_reference == reg.host() + "/app:sha256-" + img.digest.substr(7) + ".att");
  auto again =
      sign::AttachAttestation(client, "app", DescriptorOf(img), sigstore::EncodeDsseEnvelope(*envelope),
                              predicate_type, PushScope("app"));
  REQUIRE(again.ok());
  CHECK_FALSE(again->added);

  nlohmann::json m = ManifestJson(client, "app", "sha256-" + img.digest.substr(7) + ".att");
  REQUIRE(m["layers"].size() == 1);
  CHECK(m["layers"][0]["mediaType"] == "application/vnd.dsse.envelope.v1+json");
  CHECK(m["layers"][0]["annotations"] ==
        nlohmann::json({{"predicateType", predicate_type}, {"dev.cosignproject.cosign/signature", ""}}));

  auto listed = sign::ListAttestations(client, "app", DescriptorOf(img).digest, PushScope("app"));
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].predicate_type == predicate_type);
  CHECK((*listed)[0].envelope == sigstore::EncodeDsseEnvelope(*envelope));

  auto report = sign::VerifyImageAttestations(client, "app", DescriptorOf(img).digest, key.public_key(),
                                              predicate_type, PushScope("app"));
  REQUIRE(report.ok());
  REQUIRE(report->verified_count() == 1);
  CHECK(report->attestations[0].statement->predicate["to"] == "prod");
  auto wrong = sign::VerifyImageAttestations(client, "app", DescriptorOf(img).digest, stranger.public_key(),
                                             "", PushScope("app"));
  REQUIRE(wrong.ok());
  CHECK(wrong->ToStatus().code() == Code::kGateRefused);

  // An envelope about another image is refused before anything is written.
  auto other = sigstore::BuildInTotoStatement(predicate_type, "x", "sha256:" + std::string(64, 'a'), nullptr);
  REQUIRE(other.ok());
  auto other_env = sigstore::SignDsse(sigstore::kInTotoPayloadType, *other, key);
  REQUIRE(other_env.ok());
  uint64_t puts = reg.RequestCount("PUT", "");
  auto refused = sign::AttachAttestation(client, "app", DescriptorOf(img), *other_env, "", PushScope("app"));
  CHECK(refused.status().code() == Code::kInvalidArgument);
  CHECK(reg.RequestCount("PUT", "") == puts);
}

// Release files are signed the way cosign sign-blob signs them; openssl is the independent check.
TEST_CASE("sign-blob and verify-blob: cosign's blob signature, checked with openssl; bad input exit 2, tampering exit 3") {
  TempDir dir;
  auto exists = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  };
  const std::map<std::string, std::string> env = {{"PROMOTE_KEY_PASSWORD", "correct horse"}};
  const std::string key = dir.path() + "/cosign.key", pub = dir.path() + "/cosign.pub";
  REQUIRE(RunPromote({"keygen", "--output-key", key, "--output-pub", pub}, env).exit_code == 0);
  std::string content(200000, '\0');  // several read chunks
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 7919) % 251);
  const std::string file = dir.Write("promote-1.0-linux-amd64.tar.gz", content);
  const std::string sig = dir.path() + "/SHA256SUMS.sig";

  auto signed_blob = RunPromote({"-o", "json", "sign-blob", file, "--key", key, "--output-signature", sig}, env);
  INFO(signed_blob.err);
  REQUIRE(signed_blob.exit_code == 0);
  CHECK(signed_blob.Json()["sha256"] == Sha256Hex(content));
  CHECK(ReadFile(sig) == signed_blob.Json()["signature"]);  // base64, no newline, as cosign writes it
  auto der = Base64Decode(ReadFile(sig));
  REQUIRE(der.has_value());
  CHECK(OpensslVerifies(dir, pub, content, *der));
  CHECK_FALSE(OpensslVerifies(dir, pub, content + "x", *der));

  auto verified = RunPromote({"-o", "json", "verify-blob", file, "--key", pub, "--signature", sig});
  CHECK(verified.exit_code == 0);
  CHECK(verified.Json()["verified"] == true);
  // cosign writes no newline, but a signature pasted into a file with one still verifies.
  const std::string sig_nl = dir.Write("with-newline.sig", ReadFile(sig) + "\n");
  CHECK(RunPromote({"verify-blob", file, "--key", pub, "--signature", sig_nl}).exit_code == 0);

  const std::string tampered = dir.Write("tampered.tar.gz", content + "x");
  auto refused = RunPromote({"-o", "json", "verify-blob", tampered, "--key", pub, "--signature", sig});
  CHECK(refused.exit_code == 3);
  CHECK(refused.Json()["error"]["message"].get<std::string>().find("does not verify") != std::string::npos);
  const std::string other_pub = WritePublicKey(dir, "other.pub", NewKey());
  CHECK(RunPromote({"verify-blob", file, "--key", other_pub, "--signature", sig}).exit_code == 3);

  // Bad input: exit 2, naming it, and no signature file written.
  const std::string not_base64 = dir.Write("bad.sig", "not base64 !!");
  auto bad_sig = RunPromote({"verify-blob", file, "--key", pub, "--signature", not_base64});
  CHECK(bad_sig.exit_code == 2);
  CHECK(bad_sig.err.find("not base64") != std::string::npos);
  auto missing = RunPromote({"sign-blob", dir.path() + "/nope", "--key", key, "--output-signature",
                             dir.path() + "/nope.sig"}, env);
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("/nope: cannot be read") != std::string::npos);
  CHECK_FALSE(exists(dir.path() + "/nope.sig"));
  auto wrong_pass = RunPromote({"sign-blob", file, "--key", key, "--output-signature", dir.path() + "/wp.sig"},
                               {{"PROMOTE_KEY_PASSWORD", "wrong"}});
  CHECK(wrong_pass.exit_code == 2);
  CHECK_FALSE(exists(dir.path() + "/wp.sig"));
  auto agent = RunPromote({"--agent", "unix:///run/promote/agent.sock", "sign-blob", file, "--key", key}, env);
  CHECK(agent.exit_code == 2);
  CHECK(agent.err.find("does not go through --agent") != std::string::npos);
}
