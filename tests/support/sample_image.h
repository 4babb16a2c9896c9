// Sample images for integration tests and benchmarks: random layers, a config per platform, an
// image manifest per platform and (for several platforms) an OCI index, pushed to a real
// registry with the product's registry client; and artifacts (SBOMs, bundles) that refer to one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "registry/registry_client.h"
#include "tests/support/test_registry.h"

namespace promote::testing {

struct SampleSpec {
  std::vector<std::string> platforms = {"linux/amd64", "linux/arm64"};
  int layers_per_platform = 2;
  int64_t layer_size = 4096;
  uint64_t seed = 1;                // different seeds give different layers
  bool docker_media_types = false;  // Docker schema2 manifest list + manifests instead of OCI
  std::map<std::string, std::string> labels = {};  // the configs' config.Labels (org.opencontainers.image.revision, …)
};

struct SampleImage {
  std::string digest;  // what the tag resolves to (index, or the single manifest)
  std::string bytes;   // its exact bytes
  std::string media_type;
  std::vector<std::string> manifest_digests;  // child manifests (empty for a single image)
  std::vector<std::string> blob_digests;      // configs and layers
  std::vector<std::string> config_digests;    // the configs among them
  int64_t blob_bytes = 0;
};

// A client for a TestRegistry, authenticated with its account and trusting its CA.
class TestRegistryClient {
 public:
  explicit TestRegistryClient(const TestRegistry& registry);
  // A client of a plain-HTTP loopback registry front without auth ("127.0.0.1:PORT"), e.g. a
  // HostileRegistry.
  explicit TestRegistryClient(const std::string& host);
  ~TestRegistryClient();
  registry::RegistryClient& get() { return *client_; }

 private:
  std::unique_ptr<registry::HttpClient> http_;
  std::unique_ptr<registry::RegistryClient> client_;
};

// Pushes a sample image to registry/repository:tag and returns what was pushed.
// Throws std::runtime_error when the registry refuses anything.
SampleImage PushSampleImage(const TestRegistry& registry, const std::string& repository,
                            const std::string& tag, const SampleSpec& spec = {});

// The digest repository:tag names at the registry (a HEAD request), "" when the tag does not
// exist. Throws std::runtime_error when the registry cannot answer.
std::string TagDigest(const TestRegistry& registry, const std::string& repository, const std::string& tag);
// Whether repository:tag exists at the registry; throws as TagDigest does.
bool HasTag(const TestRegistry& registry, const std::string& repository, const std::string& tag);

// Pushes the blobs of an OCI 1.1 artifact about `subject` to `repository`: the empty config and
// one layer of `artifact_type` holding `content`. Returns the artifact's manifest (with
// `annotations`, if any) without pushing it: the caller puts it by digest, under a tag, or through
// registry::PushReferrer. Throws std::runtime_error when the registry refuses a blob.
oci::Manifest PushArtifactBlobs(registry::RegistryClient& client, const std::string& repository,
                                const SampleImage& subject, const std::string& artifact_type,
                                const std::string& content,
                                const std::map<std::string, std::string>& annotations = {});

}  // namespace promote::testing
