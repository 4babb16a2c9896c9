// Sigstore bundles attached to an image as OCI 1.1 referrers (cosign v3's format): written with
// sign/bundle_store.h and verified with sign/bundle_image_verifier.h, on distribution 2.8 through
// the fallback index and behind a referrers-API front; every tampering refused with its reason.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "oci/media_types.h"
#include "registry/referrers.h"
#include "sign/bundle_image_verifier.h"
#include "sign/bundle_store.h"
#include "sign_test_support.h"
#include "sigstore/cosign_key.h"
#include "sigstore/dsse.h"
#include "sigstore/ecdsa.h"
#include "sigstore/in_toto.h"
#include "sigstore/sigstore_bundle.h"
#include "tests/support/hostile_registry.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/test_registry.h"
#include "tests/support/test_tsa.h"
#include "util/base64.h"
#include "util/sha256.h"

namespace promote::testing {
namespace {

constexpr const char* kCreated = "2026-01-02T03:04:05Z";

oci::Descriptor SubjectOf(const SampleImage& img) {
  auto d = oci::Digest::Parse(img.digest);
  REQUIRE(d.ok());
  return {img.media_type, *d, static_cast<int64_t>(img.bytes.size()), {}, {}};
}

sign::BundleAttachOutcome SignAsBundle(registry::RegistryClient& client, const SampleImage& img,
                                       const sigstore::PrivateKey& key,
                                       std::string_view predicate_type = sign::kCosignSignPredicateType) {
  auto out = sign::AttachStatementBundle(client, "app", SubjectOf(img), "127.0.0.1/app", predicate_type,
                                         nlohmann::json::object(), key, kCreated, PushScope("app"));
  REQUIRE_MESSAGE(out.ok(), out.status().ToString());
  return *out;
}

sign::BundleReport VerifyBundles(registry::RegistryClient& client, const SampleImage& img,
                                 const sigstore::PrivateKey& key) {
  auto report = sign::VerifyImageBundles(client, "app", SubjectOf(img).digest,
                                         sigstore::VerificationKey::FromPublicKey(key.public_key()), nullptr,
                                         sign::kCosignSignPredicateType, PushScope("app"));
  REQUIRE_MESSAGE(report.ok(), report.status().ToString());
  return *report;
}

TEST_CASE("a bundle referrer on distribution 2.8 (fallback index) verifies, key-only, and is stored as cosign v3 stores it") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 512, 41});
  TestRegistryClient holder(reg);
  sigstore::PrivateKey key = NewKey();
  auto attached = SignAsBundle(holder.get(), img, key);
  CHECK_FALSE(attached.pushed.via_api);

  nlohmann::json referrer = ManifestJson(holder.get(), "app", attached.referrer.str());
  CHECK(referrer["artifactType"] == "application/vnd.dev.sigstore.bundle.v0.3+json");
  CHECK(referrer["config"]["mediaType"] == "application/vnd.oci.empty.v1+json");
  CHECK(referrer["subject"]["digest"] == img.digest);
  CHECK(referrer["annotations"]["dev.sigstore.bundle.content"] == "dsse-envelope");
  CHECK(referrer["annotations"]["dev.sigstore.bundle.predicateType"] == "https://sigstore.dev/cosign/sign/v1");
  nlohmann::json bundle = nlohmann::json::parse(Blob(holder.get(), "app", referrer["layers"][0]["digest"]));
  CHECK(bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json");
  CHECK(bundle["dsseEnvelope"]["payloadType"] == "application/vnd.in-toto+json");

  sign::BundleReport report = VerifyBundles(holder.get(), img, key);
  CHECK_FALSE(report.from_api);
  REQUIRE(report.bundles.size() == 1);
  CHECK(report.bundles[0].verified);
  CHECK(report.bundles[0].key_only);
  CHECK(report.bundles[0].content == "dsse-envelope");
  CHECK(report.ToStatus().ok());
}

TEST_CASE("behind a registry with the referrers API, the bundle is found through the API") {
  TestRegistry reg;
  HostileRegistry front(nlohmann::json{{"upstream", reg.base_url()}, {"referrers_api", true}});
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 512, 42});
  TestRegistryClient holder(front.host());
  sigstore::PrivateKey key = NewKey();
  CHECK(SignAsBundle(holder.get(), img, key).pushed.via_api);
  sign::BundleReport report = VerifyBundles(holder.get(), img, key);
  CHECK(report.from_api);
  CHECK(report.verified_count() == 1);
}

TEST_CASE("bundles that must not count are refused, each with its reason") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 512, 43});
  SampleImage other = PushSampleImage(reg, "app", "v2", {{"linux/amd64"}, 1, 512, 44});
  TestRegistryClient holder(reg);
  auto& client = holder.get();
  sigstore::PrivateKey key = NewKey();
  const sigstore::PrivateKey stranger = NewKey();

  struct Case {
    std::string what;
    std::function<void()> attach;
    std::string reason;
  };
  auto statement_bundle = [&](const std::string& statement) {
    auto envelope = sigstore::SignDsse(sigstore::kInTotoPayloadType, statement, key);
    REQUIRE(envelope.ok());
    return *envelope;
  };
  auto attach_raw = [&](const std::string& bundle) {
    REQUIRE(sign::AttachBundle(client, "app", SubjectOf(img), bundle, "dsse-envelope", "", kCreated, PushScope("app")).ok());
  };
  const Case cases[] = {
      {"signed by another key", [&] { SignAsBundle(client, img, stranger); }, "no DSSE signature verifies"},
      {"payload tampered after signing",
       [&] {
         auto about = sigstore::BuildInTotoStatement(sign::kCosignSignPredicateType, "app", img.digest,
                                                     nlohmann::json::object());
         REQUIRE(about.ok());
         sigstore::DsseEnvelope envelope = statement_bundle(*about);
         envelope.payload.replace(envelope.payload.find("\"app\""), 5, "\"bad\"");
         attach_raw(sigstore::EncodeDsseBundle(envelope, "hint"));
       },
       "no DSSE signature verifies"},
      {"statement about another digest",
       [&] {
         auto about = sigstore::BuildInTotoStatement(sign::kCosignSignPredicateType, "app", other.digest,
                                                     nlohmann::json::object());
         REQUIRE(about.ok());
         attach_raw(sigstore::EncodeDsseBundle(statement_bundle(*about), "hint"));
       },
       "no subject has digest " + img.digest},
      {"another predicate type (an attestation, not a signature)",
       [&] { SignAsBundle(client, img, key, "https://slsa.dev/provenance/v1"); }, "predicate type"},
  };
  // All four on one image: none verifies, and the refusal lists each reason.
  for (const Case& c : cases) c.attach();
  sign::BundleReport report = VerifyBundles(client, img, key);
  REQUIRE(report.bundles.size() == 4);
  CHECK(report.verified_count() == 0);
  Status verdict = report.ToStatus();
  CHECK(verdict.code() == Code::kGateRefused);
  for (const Case& c : cases) {
    CAPTURE(c.what);
    CHECK(verdict.message().find(c.reason) != std::string::npos);
  }
}

TEST_CASE("a bundle stored under another artifactType is not a signature: no bundle found") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 512, 45});
  TestRegistryClient holder(reg);
  auto& client = holder.get();
  sigstore::PrivateKey key = NewKey();
  auto good = sign::AttachStatementBundle(client, "app", SubjectOf(img), "app", sign::kCosignSignPredicateType,
                                          nlohmann::json::object(), key, kCreated, PushScope("app"));
  REQUIRE(good.ok());
  // Re-push the same bundle layer under a manifest whose artifactType is not a bundle type, and
  // make the fallback index list only that one.
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(
      client.GetManifest("app", good->referrer.str(), PushScope("app"))->bytes);
  doc["artifactType"] = "application/vnd.example.not-a-bundle";
  auto wrong = oci::ParseManifest(doc.dump(), oci::media_type::kOciManifest);
  REQUIRE(wrong.ok());
  nlohmann::ordered_json index = {{"schemaVersion", 2}, {"mediaType", oci::media_type::kOciIndex},
                                  {"manifests", nlohmann::ordered_json::array()}};
  auto empty_index = oci::ParseManifest(index.dump(), oci::media_type::kOciIndex);
  REQUIRE(empty_index.ok());
  REQUIRE(client.PutManifest("app", "sha256-" + img.digest.substr(7), *empty_index, PushScope("app")).ok());
  REQUIRE(registry::PushReferrer(client, "app", *wrong, PushScope("app")).ok());
  sign::BundleReport report = VerifyBundles(client, img, key);
  CHECK(report.bundles.empty());
  CHECK(report.ToStatus().message() == "no Sigstore bundle is attached as a referrer");
}

TEST_CASE("promote verify accepts a bundle-only image and reports which format verified") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 512, 46});
  TestRegistryClient holder(reg);
  sigstore::PrivateKey key = NewKey();
  TempDir dir;
  const std::string pub = WritePublicKey(dir, "cosign.pub", key);
  auto unsigned_run = RunPromote({"-o", "json", "verify", "--key", pub, reg.host() + "/app:v1"});
  CHECK(unsigned_run.exit_code == 3);
  SignAsBundle(holder.get(), img, key);
  auto run = RunPromote({"-o", "json", "verify", "--key", pub, reg.host() + "/app:v1"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto json = run.Json();
  CHECK(json["formats_verified"] == nlohmann::json::array({"bundle"}));
  CHECK(json["bundle_source"] == "referrers-fallback");
  CHECK(json["bundles"][0]["verification"] == "key-only");
  auto bad_root = RunPromote({"-o", "json", "verify", "--key", pub, "--trusted-root", pub, reg.host() + "/app:v1"});
  CHECK(bad_root.exit_code == 2);
  CHECK(bad_root.err.find("trusted root") != std::string::npos);
}

TEST_CASE("promote sign --format bundle attaches a bundle promote verify accepts; signing again adds nothing") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 512, 47});
  TempDir dir;
  auto pair = sigstore::GenerateCosignKeyPair(Secret("bundle-test"));
  REQUIRE(pair.ok());
  const std::string key_path = dir.Write("cosign.key", pair->private_key_pem, 0600);
  const std::string pub = dir.Write("cosign.pub", pair->public_key_pem);
  const std::map<std::string, std::string> env = {{"PROMOTE_KEY_PASSWORD", "bundle-test"}};
  const std::string ref = reg.host() + "/app:v1";

  const uint64_t puts = reg.RequestCount("PUT", "");
  auto bad = RunPromote({"-o", "json", "sign", "--format", "sig", ref, "--key", key_path}, env);
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--format 'sig': not one of cosign, bundle") != std::string::npos);
  CHECK(reg.RequestCount("PUT", "") == puts);

  auto first = RunPromote({"-o", "json", "sign", "--format", "bundle", ref, "--key", key_path}, env);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  auto fj = first.Json();
  CHECK(fj["format"] == "bundle");
  CHECK(fj["signed"][0]["added"] == true);
  CHECK(fj["signed"][0]["signature"] == reg.host() + "/app@" + fj["signed"][0]["referrer"].get<std::string>());
  auto again = RunPromote({"-o", "json", "sign", "--format", "bundle", ref, "--key", key_path}, env);
  REQUIRE(again.exit_code == 0);
  CHECK(again.Json()["signed"][0]["added"] == false);
  CHECK(again.Json()["signed"][0]["referrer"] == fj["signed"][0]["referrer"]);

  auto verified = RunPromote({"-o", "json", "verify", "--key", pub, ref});
  INFO(verified.err);
  REQUIRE(verified.exit_code == 0);
  CHECK(verified.Json()["formats_verified"] == nlohmann::json::array({"bundle"}));
  CHECK(verified.Json()["bundles"].size() == 1);
  TestRegistryClient holder(reg);
  CHECK(ManifestJson(holder.get(), "app", "sha256-" + img.digest.substr(7) + ".sig").is_null());
}

TEST_CASE("bundles travel with promote copy: from a registry with the referrers API to one without, and on") {
  TestRegistry upstream, middle, last;
  HostileRegistry api(nlohmann::json{{"upstream", upstream.base_url()}, {"referrers_api", true}});
  SampleImage img = PushSampleImage(upstream, "app", "v1", {{"linux/amd64"}, 1, 512, 48});
  TempDir dir;
  sigstore::PrivateKey key = NewKey();
  const std::string pub = WritePublicKey(dir, "cosign.pub", key);
  TestRegistryClient source(api.host());
  CHECK(SignAsBundle(source.get(), img, key).pushed.via_api);

  // The source lists it only through its API: the target, which has none, gets the fallback index.
  auto to_middle = RunPromote({"-o", "json", "copy", api.host() + "/app:v1", middle.host() + "/app"});
  INFO(to_middle.err);
  REQUIRE(to_middle.exit_code == 0);
  CHECK(to_middle.Json()["attachments"]["copied"] == 1);
  auto at_middle = RunPromote({"-o", "json", "verify", "--key", pub, middle.host() + "/app:v1"});
  INFO(at_middle.err);
  REQUIRE(at_middle.exit_code == 0);
  CHECK(at_middle.Json()["formats_verified"] == nlohmann::json::array({"bundle"}));
  CHECK(at_middle.Json()["bundle_source"] == "referrers-fallback");

  // From there on through the fallback index; a re-run writes nothing.
  REQUIRE(RunPromote({"copy", middle.host() + "/app:v1", last.host() + "/app"}).exit_code == 0);
  CHECK(RunPromote({"verify", "--key", pub, last.host() + "/app:v1"}).exit_code == 0);
  const uint64_t puts = last.RequestCount("PUT", "/manifests/");
  REQUIRE(RunPromote({"copy", middle.host() + "/app:v1", last.host() + "/app"}).exit_code == 0);
  CHECK(last.RequestCount("PUT", "/manifests/") == puts);
}

// A v0.1 bundle about `img`, signed with `key`, whose dsse 0.0.1 Rekor entry carries a signed
// entry timestamp from `log_key`, and whose one RFC 3161 timestamp `tsa` made over the signature.
std::string TimestampedBundle(const SampleImage& img, const sigstore::PrivateKey& key,
                              const sigstore::PrivateKey& log_key, const TestTsa& tsa) {
  auto statement = sigstore::BuildInTotoStatement(sign::kCosignSignPredicateType, "app", img.digest,
                                                  nlohmann::json::object());
  REQUIRE(statement.ok());
  auto envelope = sigstore::SignDsse(sigstore::kInTotoPayloadType, *statement, key);
  REQUIRE(envelope.ok());
  const std::string sig = envelope->signatures[0].signature;
  const std::string body = nlohmann::json{{"apiVersion", "0.0.1"}, {"kind", "dsse"},
                                          {"spec", {{"payloadHash", {{"algorithm", "sha256"}, {"value", Sha256Hex(*statement)}}},
                                                    {"signatures", {{{"signature", Base64Encode(sig)}}}}}}}
                               .dump();
  const auto raw_id = Sha256Raw(log_key.public_key().SpkiDer());
  const std::string log_id(reinterpret_cast<const char*>(raw_id.data()), raw_id.size());
  const nlohmann::json promise = {{"body", Base64Encode(body)}, {"integratedTime", 1700000000},
                                  {"logID", Sha256Hex(log_key.public_key().SpkiDer())}, {"logIndex", 3}};
  auto set = sigstore::SignEcdsaSha256(log_key, promise.dump());
  REQUIRE(set.ok());
  nlohmann::json bundle = nlohmann::json::parse(sigstore::EncodeDsseBundle(*envelope, "hint"));
  bundle["mediaType"] = sigstore::kBundleMediaTypeV01;
  bundle["verificationMaterial"]["tlogEntries"] = {
      {{"logIndex", "3"}, {"logId", {{"keyId", Base64Encode(log_id)}}},
       {"kindVersion", {{"kind", "dsse"}, {"version", "0.0.1"}}}, {"integratedTime", "1700000000"},
       {"inclusionPromise", {{"signedEntryTimestamp", Base64Encode(*set)}}}, {"canonicalizedBody", Base64Encode(body)}}};
  bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] = {
      {{"signedTimestamp", Base64Encode(tsa.Timestamp(sig))}}};
  return bundle.dump();
}

// trusted_root.json trusting `log_key` as its log and `tsa` as its timestamp authority.
std::string TrustedRootJson(const sigstore::PrivateKey& log_key, const TestTsa& tsa,
                            const std::string& tsa_name) {
  nlohmann::json certs = nlohmann::json::array();
  for (const std::string& der : tsa.ChainDer()) certs.push_back({{"rawBytes", Base64Encode(der)}});
  const auto raw_id = Sha256Raw(log_key.public_key().SpkiDer());
  return nlohmann::json{
      {"mediaType", "application/vnd.dev.sigstore.trustedroot+json;version=0.1"},
      {"tlogs", {{{"baseUrl", "https://log.test"},
                  {"hashAlgorithm", "SHA2_256"},
                  {"publicKey", {{"rawBytes", Base64Encode(log_key.public_key().SpkiDer())},
                                 {"validFor", {{"start", "2020-01-01T00:00:00Z"}}}}},
                  {"logId", {{"keyId", Base64Encode(std::string(reinterpret_cast<const char*>(raw_id.data()), raw_id.size()))}}}}}},
      {"timestampAuthorities", {{{"subject", {{"commonName", tsa_name}}},
                                 {"uri", "https://tsa.test"},
                                 {"certChain", {{"certificates", certs}}},
                                 {"validFor", {{"start", "2020-01-01T00:00:00Z"}}}}}}}
      .dump();
}

TEST_CASE("promote verify --trusted-root reports a bundle's RFC 3161 timestamp, key-only says it is unchecked, "
          "and a timestamp no TSA of the root vouches for refuses the bundle") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 512, 50});
  TestRegistryClient holder(reg);
  sigstore::PrivateKey key = NewKey();
  sigstore::PrivateKey log_key = NewKey();
  const TestTsa tsa("integration"), stranger("stranger");
  REQUIRE(sign::AttachBundle(holder.get(), "app", SubjectOf(img), TimestampedBundle(img, key, log_key, tsa),
                             "dsse-envelope", sign::kCosignSignPredicateType, kCreated, PushScope("app"))
              .ok());
  TempDir dir;
  const std::string pub = WritePublicKey(dir, "cosign.pub", key);
  const std::string root = dir.Write("trusted_root.json", TrustedRootJson(log_key, tsa, "integration TSA"));
  const std::string other_root = dir.Write("other_root.json", TrustedRootJson(log_key, stranger, "stranger TSA"));

  auto run = RunPromote({"-o", "json", "verify", "--key", pub, "--trusted-root", root, reg.host() + "/app:v1"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  nlohmann::json b = run.Json()["bundles"][0];
  CHECK(b["verification"] == "transparency-log");
  CHECK(b["tlog_entries_verified"] == 1);
  REQUIRE(b["timestamps"].size() == 1);
  CHECK(b["timestamps"][0]["tsa"] == "CN=integration TSA");
  CHECK(b["timestamps"][0]["tsa_uri"] == "https://tsa.test");
  CHECK(b["timestamps"][0]["time"].get<std::string>().size() == 20);  // 2026-01-02T03:04:05Z
  CHECK(b["timestamps_unchecked"] == 0);
  auto text = RunPromote({"verify", "--key", pub, "--trusted-root", root, reg.host() + "/app:v1"});
  CHECK(text.out.find("verified (transparency log; timestamp ") != std::string::npos);
  CHECK(text.out.find(" by CN=integration TSA)") != std::string::npos);

  auto key_only = RunPromote({"-o", "json", "verify", "--key", pub, reg.host() + "/app:v1"});
  REQUIRE(key_only.exit_code == 0);
  CHECK(key_only.Json()["bundles"][0]["verification"] == "key-only");
  CHECK(key_only.Json()["bundles"][0]["timestamps"].empty());
  CHECK(key_only.Json()["bundles"][0]["timestamps_unchecked"] == 1);
  auto key_only_text = RunPromote({"verify", "--key", pub, reg.host() + "/app:v1"});
  CHECK(key_only_text.out.find("verified (key-only; 1 RFC 3161 timestamp not checked)") != std::string::npos);

  auto refused = RunPromote({"-o", "json", "verify", "--key", pub, "--trusted-root", other_root, reg.host() + "/app:v1"});
  CHECK(refused.exit_code == 3);
  const std::string reason = refused.Json()["bundles"][0]["reason"].get<std::string>();
  CHECK_MESSAGE(reason.find("RFC 3161 timestamp 1 of 1: no timestamp authority of the trusted root vouches for it "
                            "('CN=stranger TSA'") == 0,
                reason);
}

}  // namespace
}  // namespace promote::testing
