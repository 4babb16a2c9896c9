// An approval: a signed in-toto statement saying that a person approved promoting a commit's image
// into an environment. It is stored as a cosign attestation on the source digest (beside the
// image, so copies carry it) with its own predicate type, and read back by the approval gate.
// Signed with the approver's own key (`promote approve` in-process with their key) or with the
// agent's key on the approver's behalf, when a CI system reports who approved (Jenkins `input`,
// a GitHub environment review); the caller that asked the agent is recorded as well.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "promotion/ci_context.h"
#include "registry/registry_client.h"
#include "sigstore/ec_key.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::promotion {

inline constexpr std::string_view kApprovalPredicateType = "https://promote.dev/attestation/approval/v1";

struct Approval {
  std::string approver;              // the identity that approved ("alice")
  std::string env;                   // the environment the promotion goes into
  std::string git_sha;               // the commit
  std::vector<std::string> digests;  // the image(s) approved, by digest
  std::string time;                  // RFC 3339 UTC
  std::string comment;               // optional, from the approver
  CiContext ci;                      // the run the approval came through
  std::string caller;                // who asked the agent to sign it; "" when signed in-process
  std::string promote_version = PROMOTE_VERSION;

  nlohmann::json ToPredicate() const;
  static Result<Approval> FromPredicate(const nlohmann::json& predicate);
};

// Signs `approval` with `key` and appends it to the .att manifest of `subject` in `repo`.
// Returns the attestation reference. `scopes` need pull and push on `repo`.
Result<std::string> WriteApproval(registry::RegistryClient& client, const std::string& repo,
                                  const oci::Descriptor& subject, const Approval& approval,
                                  const sigstore::PrivateKey& key, const registry::Scopes& scopes,
                                  const CancelToken* cancel = nullptr);

// An approval read back: what it claims, and which keys it verified with.
struct ApprovalEvidence {
  Approval approval;
  // The names (in `keys` below) of the keys whose signature verified it, subject included.
  std::set<std::string> verified_by;
  std::string problem;  // why it could not be read at all (malformed envelope or statement)
};

// Every approval attached to `digest` in `repo`, each checked against every key of `keys` (a name
// for each key: an approver's identity, or "" for the signing key that vouches for the others).
Result<std::vector<ApprovalEvidence>> ReadApprovals(
    registry::RegistryClient& client, const std::string& repo, const oci::Digest& digest,
    const std::map<std::string, const sigstore::PublicKey*>& keys, const registry::Scopes& scopes,
    const CancelToken* cancel = nullptr);

}  // namespace promote::promotion
