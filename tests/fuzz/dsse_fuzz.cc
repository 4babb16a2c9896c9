// DSSE envelopes and in-toto statements (sigstore/dsse.h, in_toto.h). The input is parsed as an
// envelope and as a statement, and an envelope's payload as a statement too. Invariants: an
// accepted envelope re-encodes (EncodeDsseEnvelope) to one that parses to the same fields; an
// accepted statement has subjects, and rebuilding it (BuildInTotoStatement) parses back to the
// same predicate type, subject and predicate.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "oci/digest.h"
#include "sigstore/dsse.h"
#include "sigstore/in_toto.h"

namespace {

using namespace promote::sigstore;

void CheckStatement(std::string_view text) {
  auto statement = ParseInTotoStatement(text);
  if (!statement.ok()) return;
  FUZZ_CHECK(!statement->subjects.empty());
  const InTotoSubject& subject = statement->subjects.front();
  auto sha = subject.digest.find("sha256");
  if (sha == subject.digest.end() || !promote::oci::Digest::Parse("sha256:" + sha->second).ok()) return;
  const std::string digest = "sha256:" + sha->second;
  FUZZ_CHECK(CheckSubjectDigest(*statement, digest).ok());
  if (statement->predicate_type.empty()) return;
  auto rebuilt = BuildInTotoStatement(statement->predicate_type, subject.name, digest, statement->predicate);
  FUZZ_CHECK(rebuilt.ok());
  auto again = ParseInTotoStatement(*rebuilt);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->predicate_type == statement->predicate_type);
  FUZZ_CHECK(again->subjects.size() == 1 && again->subjects[0].name == subject.name);
  FUZZ_CHECK(again->predicate == statement->predicate);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto envelope = ParseDsseEnvelope(text);
  if (envelope.ok()) {
    FUZZ_CHECK(!envelope->signatures.empty());
    auto again = ParseDsseEnvelope(EncodeDsseEnvelope(*envelope));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->payload_type == envelope->payload_type && again->payload == envelope->payload);
    FUZZ_CHECK(again->signatures.size() == envelope->signatures.size());
    for (size_t i = 0; i < again->signatures.size(); ++i) {
      FUZZ_CHECK(again->signatures[i].keyid == envelope->signatures[i].keyid);
      FUZZ_CHECK(again->signatures[i].signature == envelope->signatures[i].signature);
    }
    (void)PreAuthEncoding(envelope->payload_type, envelope->payload);
    CheckStatement(envelope->payload);
  }
  CheckStatement(text);
  return 0;
}
