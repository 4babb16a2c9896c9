// OCI 1.1 referrers pushed and listed through registry/referrers.h: on distribution 2.8 (no
// referrers API) through the "sha256-<hex>" fallback index, kept entry by entry; through the
// referrers API where a registry has one (hostile_registry.py's referrers_api front over a real
// docker-registry), with no fallback tag written.
#include "registry/referrers.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "oci/media_types.h"
#include "sign_test_support.h"
#include "tests/support/hostile_registry.h"
#include "tests/support/sample_image.h"
#include "tests/support/test_registry.h"

namespace promote::testing {
namespace {

using nlohmann::ordered_json;

// An artifact manifest naming `subject`, with its blobs pushed, annotated as a bundle's would be.
oci::Manifest PushArtifact(registry::RegistryClient& client, const std::string& repo, const SampleImage& subject,
                           const std::string& artifact_type, const std::string& content) {
  return PushArtifactBlobs(client, repo, subject, artifact_type, content,
                           {{"dev.sigstore.bundle.content", "dsse-envelope"}});
}

oci::Digest DigestOf(const SampleImage& img) {
  auto d = oci::Digest::Parse(img.digest);
  REQUIRE(d.ok());
  return *d;
}

TEST_CASE("without a referrers API, pushing referrers keeps the fallback index: each added once, none dropped") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 512, 31});
  TestRegistryClient holder(reg);
  auto& client = holder.get();
  const std::string bundle_type = "application/vnd.dev.sigstore.bundle.v0.3+json";
  oci::Manifest first = PushArtifact(client, "app", img, bundle_type, "bundle one");
  oci::Manifest second = PushArtifact(client, "app", img, "application/spdx+json", "an sbom");

  auto pushed = registry::PushReferrer(client, "app", first, PushScope("app"));
  REQUIRE_MESSAGE(pushed.ok(), pushed.status().ToString());
  CHECK_FALSE(pushed->via_api);
  CHECK(pushed->fallback_updated);
  CHECK(pushed->fallback_tag == "sha256-" + img.digest.substr(7));
  auto again = registry::PushReferrer(client, "app", first, PushScope("app"));
  REQUIRE(again.ok());
  CHECK_FALSE(again->fallback_updated);  // already listed
  REQUIRE(registry::PushReferrer(client, "app", second, PushScope("app")).ok());

  nlohmann::json index = ManifestJson(client, "app", pushed->fallback_tag);
  REQUIRE(index.is_object());
  CHECK(index["mediaType"] == oci::media_type::kOciIndex);
  REQUIRE(index["manifests"].size() == 2);
  CHECK(index["manifests"][0]["digest"] == first.digest.str());
  CHECK(index["manifests"][0]["artifactType"] == bundle_type);
  CHECK(index["manifests"][0]["annotations"]["dev.sigstore.bundle.content"] == "dsse-envelope");
  CHECK(index["manifests"][1]["digest"] == second.digest.str());

  auto bundles = registry::ListReferrers(client, "app", DigestOf(img), bundle_type, PushScope("app"));
  REQUIRE(bundles.ok());
  CHECK_FALSE(bundles->from_api);
  CHECK(reg.RequestCount("GET", "/referrers/" + img.digest) == 1);  // the API was asked, and said 404
  REQUIRE(bundles->referrers.size() == 1);
  CHECK(bundles->referrers[0].digest == first.digest);
  CHECK(bundles->referrers[0].size == static_cast<int64_t>(first.bytes.size()));
  auto all = registry::ListReferrers(client, "app", DigestOf(img), "", PushScope("app"));
  REQUIRE(all.ok());
  CHECK(all->referrers.size() == 2);
}

TEST_CASE("the fallback tag holding something else than an index is an error naming it, and stays as it was") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 512, 32});
  TestRegistryClient holder(reg);
  auto& client = holder.get();
  const std::string tag = "sha256-" + img.digest.substr(7);
  auto image_manifest = oci::ParseManifest(img.bytes, img.media_type);
  REQUIRE(image_manifest.ok());
  REQUIRE(client.PutManifest("app", tag, *image_manifest, PushScope("app")).ok());
  oci::Manifest referrer = PushArtifact(client, "app", img, "application/spdx+json", "an sbom");
  auto pushed = registry::PushReferrer(client, "app", referrer, PushScope("app"));
  REQUIRE_FALSE(pushed.ok());
  CHECK(pushed.status().code() == Code::kRegistryError);
  CHECK(pushed.status().message().find(tag + " holds something other than an image index") != std::string::npos);
  CHECK(ManifestJson(client, "app", tag)["mediaType"] == img.media_type);
}

TEST_CASE("with a referrers API, referrers are indexed by the registry and listed from it, filtered by artifactType") {
  TestRegistry reg;
  HostileRegistry front(nlohmann::json{{"upstream", reg.base_url()}, {"referrers_api", true}});
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 512, 33});
  TestRegistryClient holder(front.host());
  auto& client = holder.get();
  const std::string bundle_type = "application/vnd.dev.sigstore.bundle.v0.3+json";
  oci::Manifest bundle = PushArtifact(client, "app", img, bundle_type, "bundle");
  oci::Manifest sbom = PushArtifact(client, "app", img, "application/spdx+json", "sbom");

  for (const oci::Manifest* m : {&bundle, &sbom}) {
    auto pushed = registry::PushReferrer(client, "app", *m, PushScope("app"));
    REQUIRE_MESSAGE(pushed.ok(), pushed.status().ToString());
    CHECK(pushed->via_api);
    CHECK_FALSE(pushed->fallback_updated);
  }
  CHECK(ManifestJson(client, "app", "sha256-" + img.digest.substr(7)).is_null());  // no fallback tag

  auto listed = registry::ListReferrers(client, "app", DigestOf(img), bundle_type, PushScope("app"));
  REQUIRE(listed.ok());
  CHECK(listed->from_api);
  REQUIRE(listed->referrers.size() == 1);
  CHECK(listed->referrers[0].digest == bundle.digest);
  CHECK(listed->referrers[0].annotations.at("dev.sigstore.bundle.content") == "dsse-envelope");
  bool filtered = false;
  for (const auto& r : front.Requests("front")) {
    filtered = filtered || r["target"].get<std::string>().find("/referrers/" + img.digest +
                                                               "?artifactType=application%2Fvnd.dev.sigstore") !=
                               std::string::npos;
  }
  CHECK(filtered);  // the filter was asked of the registry
}

}  // namespace
}  // namespace promote::testing
