// Image manifests and indexes (oci/manifest.h), with no Content-Type and with each manifest type
// a registry may send. Invariants: the exact bytes and their digest are kept; an index has
// children and no config, an image manifest has a config; every descriptor has a valid digest
// and a non-negative size. A subset of an index (oci/index_subset.h) is either refused or an index
// of the same type listing only entries of the source, in order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "oci/index_subset.h"
#include "oci/manifest.h"
#include "oci/media_types.h"

namespace {

void CheckDescriptor(const promote::oci::Descriptor& d) {
  FUZZ_CHECK(d.digest.hex().size() == 64);
  FUZZ_CHECK(d.size >= 0);
  if (d.platform) (void)d.platform->str();
}

void CheckSubset(const promote::oci::Manifest& index) {
  using namespace promote::oci;
  for (const auto& wanted : {Platform{"linux", "amd64", ""}, Platform{"linux", "arm", "v7"}}) {
    auto subset = SubsetIndex(index, {wanted});
    if (!subset.ok()) continue;
    FUZZ_CHECK(subset->index.media_type == index.media_type);
    FUZZ_CHECK(subset->index.digest == Digest::Of(subset->index.bytes));
    FUZZ_CHECK(!subset->index.children.empty() && subset->index.children.size() <= index.children.size());
    size_t at = 0;  // kept entries appear in the source's order
    for (const auto& c : subset->index.children) {
      while (at < index.children.size() && index.children[at].digest != c.digest) ++at;
      FUZZ_CHECK(at < index.children.size());
      ++at;
    }
  }
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
    CheckSubset(*m);
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
