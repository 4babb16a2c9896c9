#include "promotion/provenance_gate.h"

#include <doctest/doctest.h>

#include "sigstore/dsse.h"
#include "sigstore/in_toto.h"
#include "tests/support/slsa_provenance.h"

namespace promote::promotion {
namespace {

using testing::SlsaV02Predicate;
using testing::SlsaV1Predicate;

const std::string kCommit = "2b2e927abcdef0123456789abcdef01234567890";
const std::string kOther = "ffffffffabcdef0123456789abcdef0123456789";
const std::string kDigest = "sha256:" + std::string(64, 'a');
const std::string kOtherDigest = "sha256:" + std::string(64, 'b');
const std::string kWhere = "127.0.0.1:5000/app:sha256-" + std::string(64, 'a') + ".att";

sigstore::PrivateKey NewKey() {
  auto k = sigstore::PrivateKey::Generate();
  REQUIRE(k.ok());
  return std::move(*k);
}

ProvenanceEnvelope Envelope(const sigstore::PrivateKey& key, std::string_view predicate_type,
                            const nlohmann::json& predicate, const std::string& subject = kDigest,
                            size_t layer = 0) {
  auto statement = sigstore::BuildInTotoStatement(predicate_type, "127.0.0.1:5000/app", subject, predicate);
  REQUIRE(statement.ok());
  auto envelope = sigstore::SignDsse(sigstore::kInTotoPayloadType, *statement, key);
  REQUIRE(envelope.ok());
  std::string json = sigstore::EncodeDsseEnvelope(*envelope);
  return {kWhere, layer, oci::Digest::Of(json), json, ""};
}

TEST_CASE("the provenance gate table: each refusal names the check that failed") {
  sigstore::PrivateKey builder = NewKey();
  sigstore::PrivateKey stranger = NewKey();
  const std::string generator = "https://github.com/slsa-framework/slsa-github-generator/*";
  struct Case {
    std::string name;
    std::vector<ProvenanceEnvelope> envelopes;
    std::string builder_pattern;
    std::string verdict;
    std::string detail_part;
  } cases[] = {
      {"missing", {}, "", "refused", "missing: " + kWhere + " holds no SLSA provenance attestation"},
      {"wrong subject",
       {Envelope(builder, kSlsaProvenanceV1, SlsaV1Predicate(kCommit), kOtherDigest)},
       "",
       "refused",
       "subject check failed: the provenance is about another image: no subject names " + kDigest},
      {"wrong commit",
       {Envelope(builder, kSlsaProvenanceV1, SlsaV1Predicate(kOther))},
       "",
       "refused",
       "commit check failed: the provenance was built from commit " + kOther + ", not " + kCommit},
      {"wrong key",
       {Envelope(stranger, kSlsaProvenanceV1, SlsaV1Predicate(kCommit))},
       "",
       "refused",
       "signature check failed: no signature of the envelope verifies with the provenance gate's key"},
      {"builder id mismatch",
       {Envelope(builder, kSlsaProvenanceV02, SlsaV02Predicate(kCommit, "https://ci.example/self-hosted"))},
       generator,
       "refused",
       "builder-id check failed: the builder 'https://ci.example/self-hosted' does not match"},
      {"not a DSSE envelope",
       {{kWhere, 0, oci::Digest::Of("{}"), "{}", ""}},
       "",
       "refused",
       "envelope check failed"},
      {"a bundle holding no envelope",
       {{kWhere, 0, oci::Digest::Of("{}"), "", "the bundle holds a message signature, not a DSSE envelope"}},
       "",
       "refused",
       "envelope check failed: the bundle holds a message signature, not a DSSE envelope"},
      {"good v0.2",
       {Envelope(builder, kSlsaProvenanceV02, SlsaV02Predicate(kCommit))},
       generator,
       "passed",
       "(https://slsa.dev/provenance/v0.2) signed with the gate's key shows commit " + kCommit},
      {"good v1",
       {Envelope(builder, kSlsaProvenanceV1, SlsaV1Predicate(kCommit))},
       generator,
       "passed",
       "(https://slsa.dev/provenance/v1)"},
      {"one good among refused ones",
       {Envelope(stranger, kSlsaProvenanceV1, SlsaV1Predicate(kCommit), kDigest, 0),
        Envelope(builder, kSlsaProvenanceV1, SlsaV1Predicate(kCommit), kDigest, 1)},
       "",
       "passed",
       "built by https://github.com/slsa-framework"},
      {"several refused: each named",
       {Envelope(stranger, kSlsaProvenanceV1, SlsaV1Predicate(kCommit), kDigest, 0),
        Envelope(builder, kSlsaProvenanceV1, SlsaV1Predicate(kOther), kDigest, 3)},
       "",
       "refused",
       "none of the 2 SLSA provenance attestations at " + kWhere +
           " is accepted: [0] signature check failed: no signature of the envelope verifies with the "
           "provenance "
           "gate's key; [3] commit check failed"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    ProvenanceGateOutcome out = JudgeProvenanceEnvelopes(c.envelopes, builder.public_key(), kDigest,
                                                         {kCommit, c.builder_pattern}, 2, kWhere);
    CHECK(out.gate.name == "provenance");
    CHECK(VerdictName(out.gate.verdict) == c.verdict);
    INFO(out.gate.detail);
    CHECK(out.gate.detail.find(c.detail_part) != std::string::npos);
    if (c.verdict == "passed") {
      // The accepted envelope is what the verification summary lists as read, with the level.
      REQUIRE(out.inputs.size() == 1);
      const ProvenanceEnvelope& accepted = c.envelopes.back();
      CHECK(out.inputs[0] == InputAttestation{kWhere, accepted.envelope_digest.hex()});
      CHECK(out.build_level == 2);
      CHECK(out.gate.data["commit"] == kCommit);
      CHECK(out.gate.data["attestation"]["envelope_digest"] == accepted.envelope_digest.str());
    } else {
      CHECK(out.inputs.empty());
      CHECK_FALSE(out.build_level.has_value());
      CHECK(out.gate.data["refusals"].size() == std::max<size_t>(c.envelopes.size(), 1));
    }
  }
}

}  // namespace
}  // namespace promote::promotion
