// Signatures, attestations and referrers travel with a promoted image (`promote copy`), still
// verify at the target, stay behind with --no-attachments, and never replace what the target
// already holds.
#include <doctest/doctest.h>

#include "oci/media_types.h"
#include "sign/attestation_store.h"
#include "sign/image_signer.h"
#include "sigstore/dsse.h"
#include "sigstore/in_toto.h"
#include "tests/integration/sign_test_support.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/test_registry.h"

using namespace promote;
using namespace promote::testing;

namespace {

constexpr const char* kPredicate = "https://promote.dev/promotion/v1";

oci::Descriptor Desc(const std::string& digest, const std::string& media_type) {
  auto d = oci::Digest::Parse(digest);
  REQUIRE(d.ok());
  return {media_type, *d, 0, {}, {}};
}

void SignAt(registry::RegistryClient& client, const std::string& repo, const std::string& digest,
            const sigstore::PrivateKey& key, const std::string& identity) {
  auto out = sign::SignImage(client, repo, Desc(digest, ""), key, {identity, {}}, PushScope(repo));
  INFO(out.status().ToString());
  REQUIRE(out.ok());
}

void AttestAt(registry::RegistryClient& client, const std::string& repo, const std::string& digest,
              const sigstore::PrivateKey& key) {
  auto statement = sigstore::BuildInTotoStatement(kPredicate, repo, digest, {{"env", "dev"}});
  REQUIRE(statement.ok());
  auto envelope = sigstore::SignDsse(sigstore::kInTotoPayloadType, *statement, key);
  REQUIRE(envelope.ok());
  REQUIRE(
      sign::AttachAttestation(client, repo, Desc(digest, ""), *envelope, kPredicate, PushScope(repo)).ok());
}

std::string SigTag(const std::string& digest) { return "sha256-" + digest.substr(7) + ".sig"; }

std::string RawManifest(registry::RegistryClient& client, const std::string& repo, const std::string& id) {
  auto m = client.GetManifest(repo, id, PushScope(repo));
  INFO(id << ": " << m.status().ToString());
  REQUIRE(m.ok());
  return m->bytes;
}

}  // namespace

TEST_CASE("signatures and attestations survive promote copy to another registry and verify there") {
  TestRegistry dev, prod;
  TempDir dir;
  SampleImage img = PushSampleImage(dev, "shop/payment-svc", "sha-2b2e927");
  TestRegistryClient dev_holder(dev), prod_holder(prod);
  auto& devc = dev_holder.get();
  auto& prodc = prod_holder.get();
  sigstore::PrivateKey key = NewKey();
  const std::string pub = WritePublicKey(dir, "cosign.pub", key);
  const std::string dev_identity = dev.host() + "/shop/payment-svc";
  SignAt(devc, "shop/payment-svc", img.digest, key, dev_identity);
  for (const auto& child : img.manifest_digests) SignAt(devc, "shop/payment-svc", child, key, dev_identity);
  AttestAt(devc, "shop/payment-svc", img.digest, key);

  auto run = RunPromote({"-o", "json", "copy", dev.host() + "/shop/payment-svc:sha-2b2e927",
                         prod.host() + "/shop/payment-svc"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto j = run.Json();
  CHECK(j["attachments"]["copied"] == 4);  // three .sig and one .att
  CHECK(j["attachments"]["skipped"] == 0);
  CHECK(j["attachments"]["conflicts"].empty());

  // Byte-identical at the target.
  CHECK(RawManifest(prodc, "shop/payment-svc", SigTag(img.digest)) ==
        RawManifest(devc, "shop/payment-svc", SigTag(img.digest)));
  // The signatures name the dev repository (that is what was signed); at prod they verify
  // with that identity, or with the identity check off as `cosign verify` does.
  const std::string prod_ref = prod.host() + "/shop/payment-svc:sha-2b2e927";
  auto verified = RunPromote({"-o", "json", "verify", prod_ref, "--key", pub, "--identity", dev_identity,
                              "--attestation-type", kPredicate});
  INFO(verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(verified.Json()["attestations"][0]["verified"] == true);
  CHECK(RunPromote({"verify", prod_ref, "--key", pub, "--identity-policy", "ignore"}).exit_code == 0);
  for (const auto& child : img.manifest_digests) {
    CHECK(RunPromote({"verify", prod.host() + "/shop/payment-svc@" + child, "--key", pub, "--identity",
                      dev_identity})
              .exit_code == 0);
  }

  // A re-run finds everything in place and writes nothing.
  uint64_t puts = prod.RequestCount("PUT", "/manifests/");
  auto again = RunPromote({"-o", "json", "copy", dev.host() + "/shop/payment-svc:sha-2b2e927",
                           prod.host() + "/shop/payment-svc"});
  REQUIRE(again.exit_code == 0);
  CHECK(again.Json()["attachments"]["skipped"] == 4);
  CHECK(prod.RequestCount("PUT", "/manifests/") == puts);

  // Inside one registry, attachment blobs are mounted like image blobs.
  auto shared = RunPromote(
      {"-o", "json", "copy", dev.host() + "/shop/payment-svc:sha-2b2e927", dev.host() + "/prod/payment-svc"});
  INFO(shared.err);
  REQUIRE(shared.exit_code == 0);
  CHECK(shared.Json()["attachments"]["copied"] == 4);
  CHECK(shared.Json()["blobs"]["copied"] == 0);
  CHECK(RunPromote({"verify", dev.host() + "/prod/payment-svc:sha-2b2e927", "--key", pub, "--identity",
                    dev_identity})
            .exit_code == 0);
}

TEST_CASE("--no-attachments leaves signatures behind") {
  TestRegistry dev, prod;
  TempDir dir;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 1024, 21});
  TestRegistryClient dev_holder(dev);
  sigstore::PrivateKey key = NewKey();
  SignAt(dev_holder.get(), "app", img.digest, key, dev.host() + "/app");

  auto run =
      RunPromote({"-o", "json", "copy", "--no-attachments", dev.host() + "/app:v1", prod.host() + "/app"});
  REQUIRE(run.exit_code == 0);
  CHECK(run.Json()["attachments"]["copied"] == 0);
  CHECK(prod.RequestCount("PUT", ".sig") == 0);
  auto verify = RunPromote({"-o", "json", "verify", prod.host() + "/app:v1", "--key",
                            WritePublicKey(dir, "cosign.pub", key), "--identity-policy", "ignore"});
  CHECK(verify.exit_code == 3);
  CHECK(verify.Json()["error"]["message"].get<std::string>().find("no signatures") != std::string::npos);
}

TEST_CASE("a target .sig is never replaced: a superset is kept, a different one gains the source's signatures") {
  TestRegistry dev, prod;
  TempDir dir;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 1024, 22});
  TestRegistryClient dev_holder(dev), prod_holder(prod);
  sigstore::PrivateKey ci = NewKey(), prod_key = NewKey(), late = NewKey();
  SignAt(dev_holder.get(), "app", img.digest, ci, dev.host() + "/app");

  // Promoted once, then signed at prod: prod's .sig holds dev's signature and its own.
  REQUIRE(RunPromote({"copy", dev.host() + "/app:v1", prod.host() + "/app"}).exit_code == 0);
  SignAt(prod_holder.get(), "app", img.digest, prod_key, prod.host() + "/app");
  std::string prod_sig = RawManifest(prod_holder.get(), "app", SigTag(img.digest));
  auto rerun = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app:v1-again"});
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK(rerun.Json()["attachments"]["skipped"] == 1);
  CHECK(RawManifest(prod_holder.get(), "app", SigTag(img.digest)) == prod_sig);

  // dev gains a signature prod lacks: neither side covers the other, so prod gets the union.
  SignAt(dev_holder.get(), "app", img.digest, late, dev.host() + "/app");
  auto merged = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app:v1-third"});
  INFO(merged.out << merged.err);
  REQUIRE(merged.exit_code == 0);
  auto j = merged.Json();
  CHECK(j["attachments"]["merged"] == 1);
  CHECK(j["attachments"]["conflicts"].empty());
  auto prod_layers = nlohmann::json::parse(RawManifest(prod_holder.get(), "app", SigTag(img.digest)))["layers"];
  auto before = nlohmann::json::parse(prod_sig)["layers"];
  REQUIRE(prod_layers.size() == before.size() + 1);
  for (size_t i = 0; i < before.size(); ++i) CHECK(prod_layers[i] == before[i]);  // kept as they were
  // Every key's signature verifies at prod: the merged manifest and its config are well formed.
  const std::string prod_ref = prod.host() + "/app:v1-third";
  for (const auto* k : {&ci, &prod_key, &late}) {
    auto verify = RunPromote({"verify", prod_ref, "--key", WritePublicKey(dir, "k.pub", *k), "--identity-policy", "ignore"});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
  }
  // Once merged, a re-run finds everything there.
  auto again = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app:v1-third"});
  REQUIRE(again.exit_code == 0);
  CHECK(again.Json()["attachments"]["merged"] == 0);
  CHECK(again.Json()["attachments"]["skipped"] == 1);
}

TEST_CASE("an attachment tag with no union is a conflict before tagging, and --no-attachments the way out") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 1024, 24});
  TestRegistryClient dev_holder(dev), prod_holder(prod);
  SignAt(dev_holder.get(), "app", img.digest, NewKey(), dev.host() + "/app");
  // prod's .sig tag holds an index (the image itself, as an index of one): no union with a manifest.
  SampleImage odd = PushSampleImage(prod, "app", "odd", {{"linux/amd64", "linux/arm64"}, 1, 512, 25});
  auto odd_manifest = prod_holder.get().GetManifest("app", "odd", PushScope("app"));
  REQUIRE(odd_manifest.ok());
  REQUIRE(prod_holder.get().PutManifest("app", SigTag(img.digest), *odd_manifest, PushScope("app")).ok());

  auto conflict = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app:v1"});
  INFO(conflict.out << conflict.err);
  CHECK(conflict.exit_code == 3);
  auto j = conflict.Json();
  CHECK(j["error"]["code"] == "conflict");
  REQUIRE(j["attachments"]["conflicts"].size() == 1);
  CHECK(j["attachments"]["conflicts"][0]["tag"] == SigTag(img.digest));
  CHECK(j["attachments"]["conflicts"][0]["reason"].get<std::string>().find("cannot be merged") != std::string::npos);
  CHECK(RawManifest(prod_holder.get(), "app", SigTag(img.digest)) == odd_manifest->bytes);  // kept
  auto head = prod_holder.get().HeadManifest("app", "v1", PushScope("app"));
  REQUIRE(head.ok());
  CHECK_FALSE(head->has_value());  // no tag names an image whose signatures did not arrive

  auto skip =
      RunPromote({"-o", "json", "copy", "--no-attachments", dev.host() + "/app:v1", prod.host() + "/app:v1"});
  CHECK(skip.exit_code == 0);
}

TEST_CASE("referrers kept in the tag-schema fallback index travel with the image") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 1024, 23});
  TestRegistryClient dev_holder(dev), prod_holder(prod);
  auto& devc = dev_holder.get();
  // An SBOM referrer (OCI 1.1 artifact with subject and the empty config), then the fallback
  // index distribution 2.8 needs, since it has no referrers API.
  const std::string sbom = R"({"spdxVersion":"SPDX-2.3","name":"app"})";
  const oci::Manifest ref_manifest = PushArtifactBlobs(devc, "app", img, "application/spdx+json", sbom);
  REQUIRE(devc.PutManifest("app", ref_manifest.digest.str(), ref_manifest, PushScope("app")).ok());
  nlohmann::ordered_json index = {{"schemaVersion", 2},
                                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                                  {"manifests",
                                   {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                     {"digest", ref_manifest.digest.str()},
                                     {"size", ref_manifest.bytes.size()},
                                     {"artifactType", "application/spdx+json"}}}}};
  auto index_manifest = oci::ParseManifest(index.dump(), "application/vnd.oci.image.index.v1+json");
  REQUIRE(index_manifest.ok());
  const std::string fallback_tag = "sha256-" + img.digest.substr(7);
  REQUIRE(devc.PutManifest("app", fallback_tag, *index_manifest, PushScope("app")).ok());

  auto run = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.Json()["attachments"]["copied"] == 1);
  CHECK(dev.RequestCount("GET", "/referrers/" + img.digest) == 1);  // the API was probed first
  CHECK(RawManifest(prod_holder.get(), "app", fallback_tag) == index_manifest->bytes);
  CHECK(RawManifest(prod_holder.get(), "app", ref_manifest.digest.str()) == ref_manifest.bytes);
  auto blob = prod_holder.get().BlobExists("app", oci::Digest::Of(sbom), PushScope("app"));
  REQUIRE(blob.ok());
  CHECK(*blob);
}

TEST_CASE("a --platform subset carries its platform images' signatures; the source index's stay behind") {
  TestRegistry dev, prod;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64", "linux/arm64"}, 1, 1024, 24});
  REQUIRE(img.manifest_digests.size() == 2);
  TestRegistryClient dev_holder(dev), prod_holder(prod);
  sigstore::PrivateKey key = NewKey();
  SignAt(dev_holder.get(), "app", img.digest, key, dev.host() + "/app");
  for (const auto& child : img.manifest_digests)
    SignAt(dev_holder.get(), "app", child, key, dev.host() + "/app");
  AttestAt(dev_holder.get(), "app", img.digest, key);

  auto run = RunPromote(
      {"-o", "json", "copy", "--platform", "linux/arm64", dev.host() + "/app:v1", prod.host() + "/app"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  auto j = run.Json();
  const std::string subset = j["digest"];
  CHECK(subset != img.digest);
  CHECK(j["attachments"]["copied"] == 1);  // the arm64 image's .sig
  REQUIRE(j["attachments"]["not_carried"].size() == 1);
  CHECK(j["attachments"]["not_carried"][0]["subject"] == img.digest);
  CHECK(j["attachments"]["not_carried"][0]["reason"].get<std::string>().find(
            SigTag(img.digest).substr(0, 71)) != std::string::npos);

  auto& prodc = prod_holder.get();
  CHECK(RawManifest(prodc, "app", SigTag(img.manifest_digests[1])) ==
        RawManifest(dev_holder.get(), "app", SigTag(img.manifest_digests[1])));
  CHECK(ManifestJson(prodc, "app", SigTag(img.manifest_digests[0])).is_null());
  CHECK(ManifestJson(prodc, "app", SigTag(img.digest)).is_null());
  CHECK(ManifestJson(prodc, "app", "sha256-" + img.digest.substr(7) + ".att").is_null());
  CHECK(ManifestJson(prodc, "app", SigTag(subset)).is_null());
  // At the target the subset has no signature of its own; its arm64 image verifies as at dev.
  TempDir dir;
  const std::string pub = WritePublicKey(dir, "cosign.pub", key);
  CHECK(RunPromote({"verify", prod.host() + "/app:v1", "--key", pub, "--identity-policy", "ignore"})
            .exit_code == 3);
  CHECK(RunPromote({"verify", prod.host() + "/app@" + img.manifest_digests[1], "--key", pub,
                    "--identity-policy", "ignore"})
            .exit_code == 0);
}
