// Image manifests and indexes (oci/manifest.h), with no Content-Type and with each manifest type
// a registry may send. Invariants: the exact bytes and their digest are kept; an index has
// children and no config, an image manifest has a config; every descriptor has a valid digest
// and a non-negative size.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace {

void CheckDescriptor(const promote::oci::Descriptor& d) {
  FUZZ_CHECK(d.digest.hex().size() == 64);
  FUZZ_CHECK(d.size >= 0);
  if (d.platform) (void)d.platform->str();
}

void CheckManifest(const std::string& bytes, std::string_view content_type) {
  using namespace promote::oci;
  auto m = ParseManifest(bytes, content_type);
  if (!m.ok()) return;
  FUZZ_CHECK(m->bytes == bytes);
  FUZZ_CHECK(m->digest == Digest::Of(bytes));
  FUZZ_CHECK(media_type::IsManifest(m->media_type));
  if (m->is_index()) {
    FUZZ_CHECK(!m->config && m->layers.empty());
    for (const auto& c : m->children) CheckDescriptor(c);
  } else {
    FUZZ_CHECK(m->config.has_value() && m->children.empty());
    FUZZ_CHECK(m->Blobs().size() == m->layers.size() + 1);
    for (const auto& b : m->Blobs()) CheckDescriptor(b);
  }
  if (m->subject) CheckDescriptor(*m->subject);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  using namespace promote::oci;
  // Without a Content-Type (the JSON decides), then with one a registry may send, picked by size.
  static const std::string_view kContentTypes[] = {
      media_type::kOciManifest,
      media_type::kOciIndex,
      "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8",
      media_type::kDockerManifestList,
      "application/json",
  };
  CheckManifest(bytes, "");
  CheckManifest(bytes, kContentTypes[size % std::size(kContentTypes)]);
  return 0;
}
