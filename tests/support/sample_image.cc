#include "tests/support/sample_image.h"

#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

#include "oci/media_types.h"

namespace promote::testing {
namespace {

namespace mt = oci::media_type;

void Check(const Status& st, const std::string& what) {
  if (!st.ok()) throw std::runtime_error("sample image: " + what + ": " + st.ToString());
}

std::string RandomBytes(std::mt19937_64& rng, int64_t n) {
  std::string s(static_cast<size_t>(n), '\0');
  for (size_t i = 0; i < s.size(); i += 8) {
    uint64_t v = rng();
    for (size_t k = 0; k < 8 && i + k < s.size(); ++k) s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

}  // namespace

TestRegistryClient::TestRegistryClient(const TestRegistry& registry) {
  http_ = std::make_unique<registry::HttpClient>(registry::TlsOptions{registry.ca_file()});
  std::optional<registry::Credentials> creds;
  if (registry.options().auth != RegistryAuth::kNone) {
    registry::Credentials c;
    c.username = registry.options().username;
    c.password = Secret(registry.options().password);
    creds = std::move(c);
  }
  client_ = std::make_unique<registry::RegistryClient>(registry.host(), http_.get(), std::move(creds),
                                                       registry::RegistryOptions{});
}

TestRegistryClient::TestRegistryClient(const std::string& host) {
  http_ = std::make_unique<registry::HttpClient>(registry::TlsOptions{});
  client_ = std::make_unique<registry::RegistryClient>(host, http_.get(), std::nullopt, registry::RegistryOptions{});
}

TestRegistryClient::~TestRegistryClient() = default;

SampleImage PushSampleImage(const TestRegistry& target, const std::string& repository, const std::string& tag,
                            const SampleSpec& spec) {
  TestRegistryClient holder(target);
  registry::RegistryClient& client = holder.get();
  registry::Scopes scopes = {registry::RepositoryScope(repository, "pull,push")};
  std::mt19937_64 rng(spec.seed * 7919 + 17);
  const std::string manifest_type(spec.docker_media_types ? mt::kDockerManifest : mt::kOciManifest);
  const std::string index_type(spec.docker_media_types ? mt::kDockerManifestList : mt::kOciIndex);
  const std::string config_type = spec.docker_media_types ? "application/vnd.docker.container.image.v1+json"
                                                          : std::string(mt::kOciConfig);
  const std::string layer_type = spec.docker_media_types ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
                                                         : "application/vnd.oci.image.layer.v1.tar+gzip";
  SampleImage image;
  nlohmann::ordered_json index_entries = nlohmann::ordered_json::array();
  std::string single_bytes;
  for (const auto& platform : spec.platforms) {
    auto slash = platform.find('/');
    std::string os = platform.substr(0, slash), arch = platform.substr(slash + 1);
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    nlohmann::ordered_json diff_ids = nlohmann::ordered_json::array();
    for (int i = 0; i < spec.layers_per_platform; ++i) {
      std::string bytes = RandomBytes(rng, spec.layer_size);
      oci::Digest d = oci::Digest::Of(bytes);
      Check(client.PushBlobBytes(repository, bytes, scopes), "push layer");
      layers.push_back({{"mediaType", layer_type}, {"digest", d.str()}, {"size", bytes.size()}});
      diff_ids.push_back(d.str());
      image.blob_digests.push_back(d.str());
      image.blob_bytes += static_cast<int64_t>(bytes.size());
    }
    nlohmann::ordered_json config = {{"architecture", arch},
                                     {"os", os},
                                     {"config", spec.labels.empty() ? nlohmann::ordered_json::object()
                                                                    : nlohmann::ordered_json{{"Labels", spec.labels}}},
                                     {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
    std::string config_bytes = config.dump();
    oci::Digest cd = oci::Digest::Of(config_bytes);
    Check(client.PushBlobBytes(repository, config_bytes, scopes), "push config");
    image.blob_digests.push_back(cd.str());
    image.config_digests.push_back(cd.str());
    image.blob_bytes += static_cast<int64_t>(config_bytes.size());
    nlohmann::ordered_json manifest = {
        {"schemaVersion", 2},
        {"mediaType", manifest_type},
        {"config", {{"mediaType", config_type}, {"digest", cd.str()}, {"size", config_bytes.size()}}},
        {"layers", layers}};
    std::string manifest_bytes = manifest.dump(2);  // indented: bytes must survive as they are
    auto parsed = oci::ParseManifest(manifest_bytes, manifest_type);
    Check(parsed.status(), "parse own manifest");
    if (spec.platforms.size() == 1) {
      Check(client.PutManifest(repository, tag, *parsed, scopes), "put manifest");
      image.digest = parsed->digest.str();
      image.bytes = manifest_bytes;
      image.media_type = manifest_type;
      return image;
    }
    Check(client.PutManifest(repository, parsed->digest.str(), *parsed, scopes), "put child manifest");
    image.manifest_digests.push_back(parsed->digest.str());
    index_entries.push_back({{"mediaType", manifest_type},
                             {"digest", parsed->digest.str()},
                             {"size", manifest_bytes.size()},
                             {"platform", {{"architecture", arch}, {"os", os}}}});
  }
  nlohmann::ordered_json index = {
      {"schemaVersion", 2}, {"mediaType", index_type}, {"manifests", index_entries}};
  std::string index_bytes = index.dump(3);
  auto parsed = oci::ParseManifest(index_bytes, index_type);
  Check(parsed.status(), "parse own index");
  Check(client.PutManifest(repository, tag, *parsed, scopes), "put index");
  image.digest = parsed->digest.str();
  image.bytes = index_bytes;
  image.media_type = index_type;
  return image;
}

std::string TagDigest(const TestRegistry& target, const std::string& repository, const std::string& tag) {
  TestRegistryClient client(target);
  auto head = client.get().HeadManifest(repository, tag, {registry::RepositoryScope(repository, "pull")});
  Check(head.status(), "HEAD " + repository + ":" + tag);
  return head->has_value() ? (*head)->digest.str() : "";
}

bool HasTag(const TestRegistry& target, const std::string& repository, const std::string& tag) {
  return !TagDigest(target, repository, tag).empty();
}

oci::Manifest PushArtifactBlobs(registry::RegistryClient& client, const std::string& repository,
                                const SampleImage& subject, const std::string& artifact_type,
                                const std::string& content, const std::map<std::string, std::string>& annotations) {
  registry::Scopes scopes = {registry::RepositoryScope(repository, "pull,push")};
  Check(client.PushBlobBytes(repository, "{}", scopes), "push artifact config");
  Check(client.PushBlobBytes(repository, content, scopes), "push artifact layer");
  nlohmann::ordered_json doc = {
      {"schemaVersion", 2},
      {"mediaType", mt::kOciManifest},
      {"artifactType", artifact_type},
      {"config", {{"mediaType", mt::kOciEmpty}, {"digest", oci::Digest::Of("{}").str()}, {"size", 2}}},
      {"layers", {{{"mediaType", artifact_type}, {"digest", oci::Digest::Of(content).str()}, {"size", content.size()}}}},
      {"subject", {{"mediaType", subject.media_type}, {"digest", subject.digest}, {"size", subject.bytes.size()}}}};
  if (!annotations.empty()) doc["annotations"] = annotations;
  auto parsed = oci::ParseManifest(doc.dump(), mt::kOciManifest);
  Check(parsed.status(), "parse own artifact manifest");
  return std::move(*parsed);
}

}  // namespace promote::testing
