// PromotionPlan: what one promotion knows so far, filled in by its phases in order. Each phase
// is a short function of (what every phase may read, the plan so far, the result reported so far);
// it returns a Status, and the first error ends the promotion with the result as it stands.
//
// The phases, in the order PromotionRunner runs them:
//   1. ResolveTarget       target_resolution.h   branch, commit, target and source environment (pure)
//   2. BranchGate          target_resolution.h   may this branch promote there? (pure)
//   3. CheckSigningSetup   target_resolution.h   a key wherever a signature or record is needed (pure);
//      CheckBreakGlassAllowed  window_gate.h     --break-glass only where promote.yaml allows it (pure)
//   4. ResolveSource       source_resolution.h   the commit's image at the source, and the target digest
//   5. RunSourceGates      gates/gates.h         revision, stage order, window, soak, approval, signature,
//                                                provenance, scan; then any refusal
//   6. PlanTargetTags      target_tags.h         tag conflicts refused before anything is written
//   7. CopyImage           image_transfer.h      blobs, manifests, attachments (a dry run stops here)
//   8. SignTarget          sign_and_record.h     signature and scan evidence at the target
//   9. WriteTargetTags     target_tags.h
//  10. RecordPromotion     sign_and_record.h     last: the verification summary, then the record (only a
//                                                promotion whose tags are in place has one)
//
// Adding a gate: write gates/<name>_gate.cc with a function of the Gate signature in gates/gates.h
// (revision_gate.cc is the smallest sibling to copy), declare it there and list it in kSourceGates
// at the point it should run. A gate returns its GateResult (or nothing when it does not apply)
// and never stops the promotion itself: RunSourceGates runs every gate, then refuses with the first
// refusal, so the result shows every gate's verdict.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "copy/image_copier.h"
#include "copy/image_walker.h"
#include "copy/tag_writer.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "policy/attached_files.h"
#include "policy/promote_config.h"
#include "promotion/promotion_record.h"
#include "promotion/promotion_runner.h"
#include "promotion/verification_summary.h"
#include "registry/credentials.h"
#include "registry/registry_pool.h"
#include "scan/finding.h"

namespace promote::promotion {

// What every phase may read: the configuration, the request and the services it runs with.
struct PromotionContext {
  const policy::PromoteConfig& config;
  const RunRequest& request;
  registry::RegistryPool* registries;
  const registry::Keychain* keychain;  // null: scanners pull with no credentials
  const SigningKey& signing;
  std::chrono::system_clock::time_point now;  // the clock of the window, soak and approval gates

  // How signatures, evidence and records are written here (SigningFormatOf).
  sigstore::SignatureFormat format() const { return SigningFormatOf(config, signing); }

  // The content of a file promote.yaml names, as the request carries it: never read from disk.
  Result<std::string> AttachedFile(const std::string& name, const std::string& what) const {
    return request.files != nullptr ? request.files->Get(name, what) : policy::AttachedFiles().Get(name, what);
  }
};

// Where a promotion goes (ResolveTarget): from the request and promote.yaml alone.
struct PromotionTarget {
  std::string branch;
  std::string sha;                   // normalised; the revision gate may lengthen a short one
  std::vector<std::string> allowed;  // environments the branch may promote into
  const policy::Environment* env = nullptr;     // the target
  const policy::Environment* source = nullptr;  // where the image comes from (env itself for the first)
};

struct PromotionPlan {
  PromotionTarget target;
  // The commit's tag (by which the source image is found), then the version tag of a release
  // branch; with the environment's mutable tags after them, `tags` is what the target gets.
  std::vector<std::string> immutable_tags;
  std::vector<std::string> tags;
  copy::CopyEndpoints ends;  // source and target clients, with the scopes each side needs
  copy::ImageGraph graph;    // the image at the source, cut to the environment's platforms
  oci::Digest source_digest;  // what the source holds: the gates judge this one
  oci::Digest digest;         // what the target gets: `source_digest`, or a subset index of it
  oci::Descriptor subject;    // `digest` as a descriptor, for signatures and records
  std::vector<scan::ScanReport> scan_reports;  // evidence, attached where the environment signs
  bool scanner_failed = false;                 // a refused scan gate is then kUnavailable
  std::optional<std::vector<CheckedRecord>> previous_records;  // read once (gates/gates.h PreviousRecords)
  std::string break_glass;               // the reason the window gate was overridden with; "" when not
  std::vector<std::string> approved_by;  // the approvals the approval gate counted, for the record
  copy::TagOutcome planned_tags;
  copy::TagOutcome written_tags;  // what WriteTargetTags did, also when it failed part way
  // In a release set: this image's name and every member, for the one record they share.
  std::string image_name;
  std::vector<SetMemberRecord> set_members;
  bool wrote_image = false;  // the copy wrote blobs or manifests
  bool wrote_meta = false;   // a signature, evidence or record was added
  bool wrote_tags = false;   // a tag was written or moved
  bool have_record = false;  // an equal valid record exists: this promotion happened before
  std::string existing_record;  // where that record is
  // What the gates verified (the stage-order gate's record, the provenance gate's provenance) and
  // the SLSA Build level the provenance gate established: the verification summary states them.
  std::vector<InputAttestation> read_attestations;
  std::optional<int> build_level;

  const std::string& commit_tag() const { return immutable_tags.front(); }
};

}  // namespace promote::promotion
