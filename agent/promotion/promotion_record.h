// The promotion record: a signed in-toto statement (DSSE envelope) kept in the target registry
// next to the image, as a cosign attestation (`sha256-<hex>.att`) or, with signing.format: bundle,
// as a Sigstore bundle referrer, so any registry works and no database is needed. It says from where to where a digest was promoted, for which commit and
// branch, by which CI run, with which gate verdicts and when. History and the stage-order gate
// read records back and accept only those that verify with the agent's key.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "promotion/ci_context.h"
#include "registry/registry_client.h"
#include "sigstore/ec_key.h"
#include "sigstore/signature_format.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::promotion {

inline constexpr std::string_view kPromotionPredicateType = "https://promote.dev/attestation/promotion/v1";

// One image of a release set as its record names it (every member's record lists them all).
struct SetMemberRecord {
  std::string name;
  std::string digest;
  std::string from_reference;
  std::string to_reference;
  std::vector<std::string> tags;
};

struct PromotionRecord {
  // "promotion"; "rollback" (on the digest an environment went back to); "rolled-back" (on the
  // digest it left, so the next environment's soak gate refuses it).
  std::string kind = "promotion";
  std::string from_env;
  std::string from_reference;
  std::string to_env;
  std::string to_reference;
  std::string digest;
  // When the environment took only some platforms: the source index the promoted one was cut
  // from, and the platforms kept.
  std::string subset_of;
  std::vector<std::string> platforms;
  std::string git_sha;
  std::string branch;
  std::vector<std::string> tags;
  CiContext ci;
  std::string caller;  // the agent's caller ("token:ci-payments", "mtls:<subject>"); empty in-process
  nlohmann::json gates = nlohmann::json::array();
  std::string break_glass;               // the reason a window gate was overridden; "" when it was not
  std::vector<std::string> approved_by;  // the approvals the approval gate counted
  // A release set's promotion: which member this record is attached to (the fields above are
  // about it), and every member of the set. Empty for a single image.
  std::string image;
  std::vector<SetMemberRecord> members;
  std::string time;  // RFC 3339 UTC
  std::string promote_version = PROMOTE_VERSION;

  nlohmann::json ToPredicate() const;
  static Result<PromotionRecord> FromPredicate(const nlohmann::json& predicate);
};

// A record read back, with whether it verified.
struct CheckedRecord {
  PromotionRecord record;
  // Where it is: "host/repo:sha256-<hex>.att" or "host/repo@<referrer digest>".
  std::string reference;
  oci::Digest envelope_digest;  // its DSSE envelope (.att), or its bundle's referrer manifest
  bool valid = false;
  std::string problem;  // why it was not accepted (bad signature, wrong subject, malformed)
};

std::string NowRfc3339();
// `t` as NowRfc3339 writes it (UTC, milliseconds).
std::string FormatRfc3339(std::chrono::system_clock::time_point t);
// A record's or approval's time ("2026-12-20T09:15:00.123Z", any RFC 3339 offset); nullopt when
// it is not one.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& text);

// Signs the record with `key` and appends it to the digest's .att manifest in `repo` (kCosign),
// or attaches it as a DSSE bundle referrer (kBundle). Returns the reference written
// ("host/repo:sha256-<hex>.att", or "host/repo@<referrer digest>"). `cancel` (may be null) stops
// it between and during requests.
Result<std::string> WriteRecord(registry::RegistryClient& client, const std::string& repo,
                                const oci::Descriptor& subject, const PromotionRecord& record,
                                const sigstore::PrivateKey& key, sigstore::SignatureFormat format,
                                const registry::Scopes& scopes, const CancelToken* cancel = nullptr);

// Every promotion record attached to `digest` in `repo`, in either format (the .att tag, then the
// bundle referrers), each verified with `key` (signature and subject). Unsigned, forged or
// malformed records are returned with valid=false and a problem; a bundle counts as a record
// when it verifies as one or its referrer says it is one.
Result<std::vector<CheckedRecord>> ReadRecords(registry::RegistryClient& client, const std::string& repo,
                                               const oci::Digest& digest, const sigstore::PublicKey& key,
                                               const registry::Scopes& scopes,
                                               const CancelToken* cancel = nullptr);

// Records are written once the promotion's tags are in place (a failed or killed promotion
// leaves none). Versions before that wrote the record first, so a promotion that then failed at
// its tags left a valid record behind. This marks such records as not valid: a record about
// `env_name` counts only while every tag it lists in `repo`, except the environment's mutable
// ones (which later promotions move), names `digest`. One HEAD per distinct tag; registry
// failures are returned.
Status MarkIncompleteRecords(registry::RegistryClient& client, const std::string& repo, const oci::Digest& digest,
                             const std::string& env_name, const std::vector<std::string>& mutable_tags,
                             const registry::Scopes& scopes, std::vector<CheckedRecord>* records);

}  // namespace promote::promotion
