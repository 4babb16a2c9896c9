// PromotionRunner: one configured promotion end to end — pick the target environment from the
// branch rules, resolve the SHA's immutable tag in the source environment to a digest, run the
// gates (branch, revision, stage order, source signatures, vulnerability scan), copy, sign, tag,
// and record last (the record exists only for a promotion whose tags are in place). A dry run
// stops after planning and writes nothing. The steps are the phases of promotion/promotion_plan.h.
// Thread-safe: the agent runs many promotions through one runner concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "copy/copy_progress.h"
#include "copy/copy_report.h"
#include "policy/attached_files.h"
#include "policy/promote_config.h"
#include "promotion/ci_context.h"
#include "promotion/gate_result.h"
#include "registry/registry_pool.h"
#include "sigstore/ec_key.h"
#include "sigstore/signature_format.h"
#include "util/cancel.h"
#include "util/environment_variables.h"
#include "util/secret.h"
#include "util/status.h"

namespace promote::promotion {

struct RunRequest {
  std::string to;      // may be empty when the branch maps to exactly one environment
  std::string from;    // default: the environment's source in promote.yaml
  std::string sha;     // 7-40 hex; may be empty when the branch name carries it
  std::string branch;  // Git branch
  bool dry_run = false;
  bool attachments = true;  // carry the source's .sig/.att/.sbom tags and referrers along
  CiContext ci;
  std::string caller;  // who asked the agent for it, recorded as such; empty in-process
  // The reason to override a refusing window gate, where promote.yaml allows it; "" when none.
  std::string break_glass;
  // The commit's author, whom no-self-approval excludes; "": the previous record's CI actor.
  std::string author;
  // The clock of the window, soak and approval gates; nullopt: the system clock.
  std::optional<std::chrono::system_clock::time_point> now;
  int jobs = 8;
  copy::CopyProgress* progress = nullptr;
  const CancelToken* cancel = nullptr;
  // The files promote.yaml names (ignore files, signature-gate keys), as the caller sent them;
  // never read from disk here. Null: none.
  const policy::AttachedFiles* files = nullptr;
};

// How a run ended. Its JSON spelling (OutcomeName) is the result's "status".
enum class Outcome {
  kPromoted,   // "promoted": something was written (image, tags, signature or record)
  kUnchanged,  // "unchanged": the target already held all of it
  kPlanned,    // "planned": a dry run
  kRefused,    // "refused": a gate or a tag conflict said no
  kFailed,     // "failed": anything else
};
std::string_view OutcomeName(Outcome outcome);

struct RunResult {
  Status status;
  Outcome outcome = Outcome::kFailed;
  bool dry_run = false;
  std::string sha, branch;
  std::string from_env, from_reference, to_env, to_reference;
  std::string from_tag;       // the source tag the commit resolved to (sha-2b2e927); "" before that
  std::string digest;         // what the target environment holds
  std::string source_digest;  // what the source environment holds: `digest`, or the index it is a subset of
  std::string subset_of;      // set when the environment takes only some platforms of the source index
  std::vector<std::string> platforms;
  std::vector<std::string> tags_written, tags_moved, tags_unchanged, tags_refused;
  // A release set's member whose later sibling failed to tag: the tags put back to the digests
  // they named before, and the new ones left in place (naming this complete, recorded image).
  std::vector<std::string> tags_restored, tags_left;
  copy::TransferCounts blobs, bytes;
  std::vector<GateResult> gates;
  std::string break_glass;  // the reason the window gate was overridden; "" when it was not
  std::string signature_reference;
  std::string record_reference;
  // The SLSA verification summary written beside the record (promotion/verification_summary.h).
  std::string summary_reference, summary_envelope_digest;
  // What the caller should know although the promotion went ahead (e.g. no record was written).
  std::vector<std::string> warnings;
  int64_t duration_ms = 0;
  // A release set (promote.yaml `images:`): one result per image, in the set's order, each
  // with its `image` name; the fields above about one image are then left empty.
  std::string image;
  std::vector<RunResult> images;

  // The run's fields of the JSON result (docs/result-json.md), without the envelope the service
  // wraps them in: ImageJson's, plus the outcome, commit, warnings and a release set's `images`.
  nlohmann::json BodyJson() const;
  // The part of the JSON result about one image (references, digests, tags, blobs, gates,
  // signature, record), as a release set's `images` entries have it.
  nlohmann::json ImageJson() const;
};

// A signing key (promote.yaml's or agent.yaml's `signing:`), loaded once. Empty when none is set.
struct SigningKey {
  std::shared_ptr<sigstore::PrivateKey> key;
  std::shared_ptr<sigstore::PublicKey> public_key;
  std::string format;  // its signing.format ("cosign", "bundle"); empty: not said
};

// How a promotion writes signatures and records: promote.yaml's signing.format, else the signing
// key's (agent.yaml's), else cosign.
sigstore::SignatureFormat SigningFormatOf(const policy::PromoteConfig& config, const SigningKey& signing);
// `fallback_passphrase` is the key's passphrase when `signing.password` names none: the CLI
// passes PROMOTE_KEY_PASSWORD or COSIGN_PASSWORD from its environment, as cosign reads them; the
// agent passes none (its key's passphrase comes only from what its agent.yaml names). env:
// references of `signing` resolve in `environment` (the caller's own).
Result<SigningKey> LoadSigningKey(const policy::SigningConfig& signing,
                                  const std::optional<Secret>& fallback_passphrase,
                                  const EnvironmentVariables& environment);

class PromotionRunner {
 public:
  PromotionRunner(const policy::PromoteConfig* config, registry::RegistryPool* registries,
                  std::shared_ptr<const registry::Keychain> keychain, SigningKey signing);

  RunResult Run(const RunRequest& request) const;

 private:
  Status RunInto(const RunRequest& request, RunResult* result) const;

  const policy::PromoteConfig* config_;
  registry::RegistryPool* registries_;
  std::shared_ptr<const registry::Keychain> keychain_;
  SigningKey signing_;
};

}  // namespace promote::promotion
