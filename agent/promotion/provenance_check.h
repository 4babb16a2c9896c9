// Judging a SLSA provenance statement (https://slsa.dev/provenance/v0.2 and /v1) against what a
// promotion expects: the commit it promotes as the build's source, and optionally the builder.
// Only the statement is judged here; finding the envelopes and checking their signatures and
// subjects is the gate's part (promotion/provenance_gate.h), so statements from any carrier
// (cosign .att layers, Sigstore bundles) are judged alike.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sigstore/in_toto.h"
#include "util/status.h"

namespace promote::promotion {

inline constexpr std::string_view kSlsaProvenanceV02 = "https://slsa.dev/provenance/v0.2";
inline constexpr std::string_view kSlsaProvenanceV1 = "https://slsa.dev/provenance/v1";

bool IsSlsaProvenance(std::string_view predicate_type);

// What a provenance says about its build.
struct ProvenanceFacts {
  std::string builder_id;            // v1 runDetails.builder.id, v0.2 builder.id
  std::vector<std::string> commits;  // Git commits it names as sources, distinct, in document order
};

// Reads the facts from a v0.2 or v1 predicate. Commits come from, for v1,
// buildDefinition.resolvedDependencies[].digest and buildDefinition.externalParameters.source.digest
// (as the GitHub and SLSA generators write them); for v0.2, materials[].digest and
// invocation.configSource.digest. In each digest set, `gitCommit` and `sha1` name a commit.
// kInvalidArgument naming the field when the statement is not SLSA provenance or the predicate
// lacks a builder id.
Result<ProvenanceFacts> ReadProvenanceFacts(const sigstore::InTotoStatement& statement);

struct ProvenanceExpectation {
  std::string commit;      // the promoted commit, 7-40 hex
  std::string builder_id;  // glob ('*' any characters, '?' one); empty: any builder
};

// Which check a provenance failed ("" when it passed) and why, for people.
struct ProvenanceJudgement {
  std::string check;  // "", "predicate", "commit" or "builder-id"
  std::string reason;
  ProvenanceFacts facts;

  bool passed() const { return check.empty(); }
};

// The statement passes when it is SLSA provenance naming `expect.commit` among its source commits
// (a shorter SHA matches as a prefix) and, with a builder pattern, its builder id matches it.
ProvenanceJudgement JudgeProvenance(const sigstore::InTotoStatement& statement,
                                    const ProvenanceExpectation& expect);

}  // namespace promote::promotion
