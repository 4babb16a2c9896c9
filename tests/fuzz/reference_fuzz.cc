// Image references, repositories, tags and digests (oci/reference.h, oci/digest.h).
// Invariants: a parsed reference prints (str()) as text that parses back to the same value; a
// parsed digest prints as the input and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "oci/digest.h"
#include "oci/reference.h"

namespace {

using promote::oci::Reference;

bool Same(const Reference& a, const Reference& b) {
  return a.registry == b.registry && a.repository == b.repository && a.tag == b.tag && a.digest == b.digest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace promote::oci;

  auto ref = ParseReference(text);
  if (ref.ok()) {
    FUZZ_CHECK(!ref->registry.empty() && !ref->repository.empty());
    auto again = ParseReference(ref->str());
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(Same(*ref, *again));
    if (!ref->tag.empty()) FUZZ_CHECK(ValidateTag(ref->tag).ok());
    auto name = ParseRepository(ref->Name());
    FUZZ_CHECK(name.ok());
    FUZZ_CHECK(name->registry == ref->registry && name->repository == ref->repository);
    FUZZ_CHECK(Same(*ParseReference(ref->WithTag("v1").str()), ref->WithTag("v1")));
    (void)IsLoopbackRegistry(ref->registry);
    (void)ref->Identifier();
  }

  auto repo = ParseRepository(text);
  if (repo.ok()) {
    FUZZ_CHECK(ref.ok() && Same(*repo, *ref));
    FUZZ_CHECK(repo->tag.empty() && !repo->digest);
  }

  if (ValidateTag(text).ok()) FUZZ_CHECK(!text.empty() && text.size() <= 128);

  auto digest = Digest::Parse(text);
  if (digest.ok()) {
    FUZZ_CHECK(digest->str() == text);
    FUZZ_CHECK(digest->hex().size() == 64);
    auto again = Digest::Parse(digest->str());
    FUZZ_CHECK(again.ok() && *again == *digest);
  }
  (void)IsLoopbackRegistry(text);
  return 0;
}
