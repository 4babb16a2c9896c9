#include "promotion/promotion_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "copy/image_copier.h"
#include "copy/image_walker.h"
#include "copy/tag_writer.h"
#include "oci/reference.h"
#include "policy/branch_rules.h"
#include "policy/secret_ref.h"
#include "promotion/change_control.h"
#include "promotion/image_revision.h"
#include "promotion/promotion_record.h"
#include "promotion/scan_evidence.h"
#include "promotion/scan_gate.h"
#include "promotion/window_gate.h"
#include "sign/bounded_input.h"
#include "sign/cosign_key.h"
#include "sign/image_signer.h"
#include "sign/image_verifier.h"

namespace promote::promotion {
namespace {

using registry::RepositoryScope;

std::string JoinNames(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}

// What a run can do about an immutable tag at the target that names another image: run has no
// way to move it (and should not), so the way out is another commit or another version.
Status TagConflict(const Status& conflict, const std::vector<std::string>& refused,
                   const std::string& commit_tag) {
  const bool commit = std::find(refused.begin(), refused.end(), commit_tag) != refused.end();
  return Status(
      Code::kConflict,
      conflict.message() + (commit ? " (a run never moves it: the target holds another image for this "
                                     "commit; build and promote a new commit)"
                                   : " (a run never moves it: release this image under another version, "
                                     "from a release branch of its own)"));
}

// The content of a file promote.yaml names, from the request (never from disk).
Result<std::string> AttachedFile(const RunRequest& request, const std::string& name, const std::string& what) {
  if (request.files == nullptr) return policy::AttachedFiles().Get(name, what);
  return request.files->Get(name, what);
}

}  // namespace

nlohmann::json RunResult::ToJson() const {
  nlohmann::json gates_json = nlohmann::json::array();
  for (const auto& g : gates) gates_json.push_back(g.ToJson());
  auto counts = [](const copy::TransferCounts& c) {
    return nlohmann::json{{"copied", c.copied}, {"mounted", c.mounted}, {"skipped", c.skipped}};
  };
  nlohmann::json body = {
      {"status", outcome},
      {"dry_run", dry_run},
      {"sha", sha},
      {"branch", branch},
      {"from", {{"env", from_env}, {"reference", from_reference}}},
      {"to", {{"env", to_env}, {"reference", to_reference}}},
      {"digest", digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(digest)},
      {"source_digest", source_digest.empty() ? nlohmann::json(nullptr) : nlohmann::json(source_digest)},
      {"subset_of", subset_of.empty() ? nlohmann::json(nullptr) : nlohmann::json(subset_of)},
      {"platforms", platforms},
      {"tags",
       {{"written", tags_written},
        {"moved", tags_moved},
        {"unchanged", tags_unchanged},
        {"refused", tags_refused}}},
      {"blobs", counts(blobs)},
      {"bytes", counts(bytes)},
      {"gates", gates_json},
      {"break_glass", break_glass.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"reason", break_glass}}},
      {"signature", signature_reference.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json{{"reference", signature_reference}}},
      {"record",
       record_reference.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"reference", record_reference}}},
      {"warnings", warnings},
      {"timings_ms", {{"total", duration_ms}}},
  };
  return copy::ResultEnvelope("run", status, std::move(body));
}

Result<SigningKey> LoadSigningKey(const policy::SigningConfig& signing, PassphraseFallback fallback) {
  SigningKey out;
  if (signing.empty()) return out;
  PROMOTE_ASSIGN_OR_RETURN(policy::KeyDocument document,
                           policy::ResolveKeyDocument(signing.key, "signing key", sign::kMaxKeyFileBytes));
  Secret password;
  if (!signing.password.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(password, policy::ResolveSecret(signing.password, "signing password"));
  } else if (fallback == PassphraseFallback::kEnvironment) {
    if (const char* p = std::getenv("PROMOTE_KEY_PASSWORD")) {
      password = Secret(p);
    } else if (const char* c = std::getenv("COSIGN_PASSWORD")) {
      password = Secret(c);
    }
  }
  PROMOTE_ASSIGN_OR_RETURN(sign::PrivateKey key, sign::ParseCosignPrivateKey(document.pem.reveal(), password,
                                                                             "cosign key " + document.source));
  out.public_key = std::make_shared<sign::PublicKey>(key.public_key());
  out.key = std::make_shared<sign::PrivateKey>(std::move(key));
  return out;
}

PromotionRunner::PromotionRunner(const policy::PromoteConfig* config, registry::RegistryPool* registries,
                                 std::shared_ptr<const registry::Keychain> keychain, SigningKey signing)
    : config_(config), registries_(registries), keychain_(std::move(keychain)), signing_(std::move(signing)) {}

RunResult PromotionRunner::Run(const RunRequest& request) const {
  auto start = std::chrono::steady_clock::now();
  RunResult result;
  result.dry_run = request.dry_run;
  result.status = RunInto(request, &result);
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (!result.status.ok()) {
    Code c = result.status.code();
    result.outcome = (c == Code::kGateRefused || c == Code::kConflict) ? "refused" : "failed";
  }
  return result;
}

Status PromotionRunner::RunInto(const RunRequest& request, RunResult* result) const {
  const policy::PromoteConfig& config = *config_;
  const CancelToken* cancel = request.cancel;
  auto phase = [&](const char* name) {
    if (request.progress != nullptr) request.progress->phase = name;
  };
  phase("resolve");

  // 1. Which commit, which branch, which environments.
  result->branch = request.branch;
  if (result->branch.empty()) {
    return InvalidArgument("--branch is required (or BRANCH_NAME / GITHUB_REF_NAME): the Git-flow rules decide "
                           "where a branch may promote");
  }
  PROMOTE_RETURN_IF_ERROR(policy::ValidateBranchName(result->branch));
  std::optional<std::string> branch_sha = policy::ShaFromBranch(result->branch);
  std::string sha;
  if (!request.sha.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(sha, policy::NormaliseSha(request.sha));
    if (branch_sha && sha.rfind(*branch_sha, 0) != 0 && branch_sha->rfind(sha, 0) != 0) {
      return InvalidArgument("--sha " + sha + " does not match the SHA in branch '" + result->branch + "' (" +
                             *branch_sha + ")");
    }
  } else if (branch_sha) {
    sha = *branch_sha;
  } else {
    return InvalidArgument("--sha is required (branch '" + result->branch +
                           "' does not carry one as -sha-<hex>, and neither GIT_COMMIT nor GITHUB_SHA is set)");
  }
  result->sha = sha;

  std::vector<std::string> allowed = policy::AllowedEnvironments(config, result->branch);
  std::string to = request.to;
  if (to.empty()) {
    if (allowed.empty()) {
      // --to would only be refused by the branch gate: say so instead of suggesting it.
      return GateRefused("branch '" + result->branch + "' maps to no environment (no rule under branches: in " +
                         config.origin + ", nor a Git-flow default, lets it promote)");
    }
    if (allowed.size() != 1) {
      return InvalidArgument("branch '" + result->branch + "' may promote into " + JoinNames(allowed) +
                             "; pass --to to choose");
    }
    to = allowed.front();
  }
  const policy::Environment* env = config.FindEnvironment(to);
  if (env == nullptr) return InvalidArgument("unknown environment '" + to + "' (not in " + config.origin + ")");
  result->to_env = env->name;
  const policy::Environment* source = nullptr;
  if (!request.from.empty()) {
    source = config.FindEnvironment(request.from);
    if (source == nullptr) return InvalidArgument("unknown environment '" + request.from + "' given as --from");
  } else {
    source = config.SourceOf(*env);
  }
  // The first environment receives builds directly: its "promotion" tags and records in place.
  if (source == nullptr) source = env;
  result->from_env = source->name;

  // 2. The branch gate.
  if (std::find(allowed.begin(), allowed.end(), env->name) == allowed.end()) {
    result->gates.push_back({"branch", "refused",
                             "branch '" + result->branch + "' may not promote into '" + env->name +
                                 "' (it may promote into " + JoinNames(allowed) + ")"});
    return Status(Code::kGateRefused, result->gates.back().detail);
  }
  result->gates.push_back({"branch", "passed", "branch '" + result->branch + "' may promote into '" + env->name + "'"});

  if (!request.break_glass.empty()) {
    PROMOTE_RETURN_IF_ERROR(CheckBreakGlassAllowed(*env, config.origin, request.break_glass));
  }
  // The key may come from promote.yaml or from the agent, so its absence is found here, before
  // anything is read or written, rather than when the file is parsed.
  if (env->sign && !signing_.key) {
    return InvalidArgument("environment '" + env->name + "' signs images (" + config.origin + ":" +
                           std::to_string(env->line) + ") but no signing key is configured: set signing: key: in " +
                           config.origin + ", or in the agent's agent.yaml");
  }
  // Without a key no record is written, and the record is what the next environment's
  // stage-order gate looks for: a promotion that looks done here would be refused there.
  if (!signing_.key) {
    std::string gated;  // later environments (their source is this one) with stage order on
    for (const auto& e : config.environments) {
      if (&e == env || !e.stage_order || config.SourceOf(e) != env) continue;
      gated +=
          (gated.empty() ? "'" : ", '") + e.name + "' (" + config.origin + ":" + std::to_string(e.line) + ")";
    }
    if (!gated.empty()) {
      return InvalidArgument(
          "no signing key is configured, so a promotion into '" + env->name +
          "' would write no promotion record, and the stage-order gate of " + gated +
          " would then refuse the image: set signing: key: in " + config.origin +
          ", or promote through an agent that has a signing key, or set stage-order: false on " + gated);
    }
    result->warnings.push_back("no signing key is configured: no promotion record is written for '" +
                               env->name +
                               "', so history will not show this promotion; set signing: key: in " +
                               config.origin + " to record it");
  }

  // 3. The tags and the digest.
  std::string immutable_tag = policy::RenderImmutableTag(config.immutable_tag, sha);
  if (config.immutable_tag.find("{sha}") != std::string::npos && sha.size() != 40) {
    return InvalidArgument("the immutable tag template " + config.immutable_tag + " needs the full 40-character SHA");
  }
  if (config.immutable_tag.find("{sha12}") != std::string::npos && sha.size() < 12) {
    return InvalidArgument("the immutable tag template " + config.immutable_tag +
                           " needs at least 12 characters of the SHA (--sha " + sha + ")");
  }
  PROMOTE_RETURN_IF_ERROR(oci::ValidateTag(immutable_tag));
  std::vector<std::string> immutable_tags = {immutable_tag};
  if (config.version_tag_from_branch) {
    if (auto version = policy::VersionFromBranch(result->branch)) {
      if (oci::ValidateTag(*version).ok()) immutable_tags.push_back(*version);
    }
  }
  PROMOTE_ASSIGN_OR_RETURN(auto src, registries_->Get(source->registry, source->repository));
  PROMOTE_ASSIGN_OR_RETURN(auto dst, registries_->Get(env->registry, env->repository));
  registry::Scopes src_scopes = {RepositoryScope(source->repository, "pull")};
  registry::Scopes dst_scopes = {RepositoryScope(env->repository, "pull,push")};
  if (src == dst && source->repository != env->repository) {
    dst_scopes.push_back(RepositoryScope(source->repository, "pull"));
  }
  result->from_reference = source->Name() + ":" + immutable_tag;
  auto graph = copy::WalkImage(*src, source->repository, immutable_tag, src_scopes, cancel);
  if (!graph.ok()) {
    if (graph.status().code() == Code::kNotFound) {
      // A commit that is elsewhere in the pipeline but not in the environment this one comes
      // from is a stage-order refusal, said plainly; one that is nowhere was never built.
      std::vector<std::string> holding;
      for (const auto& e : config.environments) {
        if (&e == source) continue;
        auto client = registries_->Get(e.registry, e.repository);
        if (!client.ok()) continue;
        auto head = (*client)->HeadManifest(e.repository, immutable_tag, {RepositoryScope(e.repository, "pull")}, cancel);
        if (head.ok() && head->has_value()) holding.push_back(e.name);
      }
      if (!holding.empty() && source != env) {
        std::string detail = sha.substr(0, 7) + " is in " + JoinNames(holding) + " but not in '" + source->name +
                             "' (" + source->Name() + "); promote it to '" + source->name + "' first";
        result->gates.push_back({"stage-order", "refused", detail});
        return Status(Code::kGateRefused, "stage-order gate refused '" + env->name + "': " + detail);
      }
      return NotFound("no image tagged " + immutable_tag + " in environment '" + source->name + "' (" +
                      source->Name() + "); was commit " + sha + " built and pushed there?");
    }
    return graph.status();
  }
  // The digest the source holds: its gates (stage order, signatures, scan) are about this one.
  const oci::Digest source_digest = graph->root.digest;
  result->source_digest = source_digest.str();
  // An environment that takes only some platforms gets a subset index (copy/image_walker.h): a
  // new digest, which its tags, signature and record name, and which the next environment's
  // stage-order gate then finds recorded here.
  if (!env->platforms.empty()) {
    if (source == env) {
      return InvalidArgument("environment '" + env->name + "' takes only some platforms (" + config.origin +
                             ":" + std::to_string(env->line) +
                             "), which needs a copy from another environment; it "
                             "cannot be promoted from itself");
    }
    auto subset = copy::SelectPlatforms(std::move(*graph), env->platforms);
    if (!subset.ok()) {
      return subset.status().WithContext("environment '" + env->name + "' platforms (" + config.origin + ":" +
                                         std::to_string(env->line) + ")");
    }
    graph = std::move(*subset);
    if (graph->subset_of) result->subset_of = graph->subset_of->str();
  }
  const oci::Digest digest = graph->root.digest;
  result->digest = digest.str();
  result->platforms = graph->platforms;
  result->to_reference = env->Name() + "@" + digest.str();
  oci::Descriptor subject{graph->root.media_type, digest, static_cast<int64_t>(graph->root.bytes.size()), {}, {}};

  phase("gates");
  // 4. Gates on the source.
  bool refused = false;
  // The commit is checked, not trusted: an image that says which commit it was built from must
  // say this one (a short SHA tag can be shared by two commits).
  PROMOTE_ASSIGN_OR_RETURN(auto revisions, ImageRevisions(*src, source->repository, *graph, src_scopes, cancel));
  if (!revisions.empty() || env->require_revision) {
    GateResult g{"revision", "passed", ""};
    std::string stated = revisions.empty() ? "" : *revisions.begin();
    if (auto normal = policy::NormaliseSha(stated); normal.ok()) stated = *normal;
    if (revisions.empty()) {
      g.verdict = "refused";
      g.detail = "the image states no commit (" + std::string(kRevisionKey) + " label or annotation) and '" +
                 env->name + "' requires one (require-revision: true, " + config.origin + ":" +
                 std::to_string(env->line) + ")";
    } else if (revisions.size() > 1) {
      g.verdict = "refused";
      g.detail = "the image states several commits (" + JoinNames({revisions.begin(), revisions.end()}) + ")";
    } else if (!SameCommit(stated, sha) || (sha.size() == 40 && stated.size() == 40 && stated != sha)) {
      g.verdict = "refused";
      g.detail = "the image was built from commit " + stated + " (" + std::string(kRevisionKey) + "), not " + sha;
    } else {
      // A short --sha becomes the full commit the image states, for the gates and the record.
      if (stated.size() == 40) sha = stated;
      result->sha = sha;
      g.detail = "built from commit " + stated;
    }
    refused = refused || g.refused();
    result->gates.push_back(std::move(g));
  }
  // Stage order: the digest must have been promoted into the environment before this one in
  // promote.yaml, whatever --from says (copying from elsewhere cannot skip a stage).
  const policy::Environment* previous = config.SourceOf(*env);
  if (env->stage_order && previous != nullptr) {
    GateResult g{"stage-order", "passed", ""};
    std::shared_ptr<registry::RegistryClient> prev_client;
    if (previous == source) {
      prev_client = src;
    } else {
      PROMOTE_ASSIGN_OR_RETURN(prev_client, registries_->Get(previous->registry, previous->repository));
    }
    registry::Scopes prev_scopes = {RepositoryScope(previous->repository, "pull")};
    if (!signing_.public_key) {
      g.verdict = "refused";
      g.detail = "the stage-order gate verifies promotion records and needs the signing key (signing: in " +
                 config.origin + "), or stage-order: false";
    } else {
      PROMOTE_ASSIGN_OR_RETURN(auto records, ReadRecords(*prev_client, previous->repository, source_digest,
                                                         *signing_.public_key, prev_scopes, cancel));
      // A record an older version wrote before a promotion that then failed at its tags does
      // not count: its tags must be in place.
      PROMOTE_RETURN_IF_ERROR(MarkIncompleteRecords(*prev_client, previous->repository, source_digest,
                                                    previous->name, previous->mutable_tags, prev_scopes,
                                                    &records));
      const CheckedRecord* found = nullptr;
      std::string problems;
      for (const auto& r : records) {
        if (r.valid && r.record.to_env == previous->name && r.record.kind != "rolled-back") {
          if (!SameCommit(r.record.git_sha, sha)) {
            // The same image recorded for another commit: the SHA tag's prefix is shared.
            problems += (problems.empty() ? "" : "; ") + std::string("it was recorded in '") + previous->name +
                        "' for commit " + r.record.git_sha + ", not " + sha;
            continue;
          }
          found = &r;
          break;
        }
        if (!r.valid) problems += (problems.empty() ? "" : "; ") + r.problem;
      }
      if (found != nullptr) {
        g.detail = "promoted to '" + previous->name + "' at " + found->record.time +
                   (found->record.ci.run_id.empty() ? "" : " by run " + found->record.ci.run_id);
      } else {
        g.verdict = "refused";
        g.detail = source_digest.str() + " has no valid promotion record for '" + previous->name +
                   "'; promote it through '" + previous->name + "' first" +
                   (problems.empty() ? "" : " (records refused: " + problems + ")");
      }
    }
    refused = refused || g.refused();
    result->gates.push_back(std::move(g));
  }
  // Window, soak and approval (promotion/change_control.h).
  ChangeControlSubject change_subject{&config, env, sha, source_digest,
                                      request.now.value_or(std::chrono::system_clock::now())};
  PROMOTE_ASSIGN_OR_RETURN(ChangeControl change, RunChangeControl(change_subject, request, *registries_, signing_));
  result->break_glass = change.break_glass;
  for (auto& g : change.gates) {
    refused = refused || g.refused();
    result->gates.push_back(std::move(g));
  }
  if (env->verify) {
    GateResult g{"signature", "passed", ""};
    // The key travels with the request like every file promote.yaml names (policy/attached_files.h).
    const std::string key_what = config.origin + ":" + std::to_string(env->line) + ": environment '" + env->name +
                                 "' signature gate key";
    PROMOTE_ASSIGN_OR_RETURN(std::string key_pem, AttachedFile(request, env->verify->public_key, key_what));
    PROMOTE_ASSIGN_OR_RETURN(sign::PublicKey pub, sign::PublicKey::FromPem(key_pem, env->verify->public_key));
    sign::IdentityExpectation expect;
    expect.policy = env->verify->identity_policy == "exact"    ? sign::IdentityPolicy::kExact
                    : env->verify->identity_policy == "ignore" ? sign::IdentityPolicy::kIgnore
                                                               : sign::IdentityPolicy::kMatchRepository;
    // Signatures travel with the image, so one made where the image was built (dev) names that
    // repository: any environment of this application is an acceptable identity.
    std::vector<std::string> identities = {source->Name()};
    for (const auto& e : config.environments) {
      if (e.Name() != source->Name()) identities.push_back(e.Name());
    }
    sign::VerifyReport report;
    for (const auto& identity : identities) {
      expect.identity = identity;
      PROMOTE_ASSIGN_OR_RETURN(report, sign::VerifyImage(*src, source->repository, source_digest, pub, expect,
                                                         src_scopes, cancel));
      if (report.verified() || expect.policy == sign::IdentityPolicy::kIgnore) break;
    }
    Status verdict = report.ToStatus();
    if (!verdict.ok()) {
      g.verdict = "refused";
      g.detail = verdict.message();
    } else {
      g.detail = std::to_string(report.verified_count()) + " signature(s) verified on the source";
    }
    refused = refused || g.refused();
    result->gates.push_back(std::move(g));
  }
  std::vector<scan::ScanReport> scan_reports;
  bool scanner_failed = false;
  if (env->scan) {
    ScanSubject s;
    s.repository_name = source->Name();
    s.digest = source_digest.str();  // the scanners pull the source; only the promoted platforms are scanned
    s.platforms = graph->platforms;
    for (const auto& child : graph->children) s.manifest_digests.push_back(child.digest.str());
    s.registry_host = source->registry;
    s.insecure_registry = oci::IsLoopbackRegistry(source->registry);
    if (keychain_) {
      auto creds = keychain_->Resolve(source->registry, source->repository);
      if (!creds.ok()) return creds.status();
      s.credentials = std::move(*creds);
    }
    policy::ScanGateConfig scan_gate = *env->scan;
    if (!scan_gate.trivyignore.empty()) {
      const std::string what = config.origin + ":" + std::to_string(env->line) + ": environment '" + env->name +
                               "' trivyignore";
      PROMOTE_ASSIGN_OR_RETURN(std::string ignore_file, AttachedFile(request, scan_gate.trivyignore, what));
      PROMOTE_RETURN_IF_ERROR(AddIgnoreFile(ignore_file, &scan_gate));
    }
    // The reports' bytes are attached as evidence only where the environment signs.
    ScanGateOutcome outcome = RunScanGate(scan_gate, config.scanners, s, cancel,
                                          env->sign ? ReportBytes::kKeep : ReportBytes::kDrop);
    if (outcome.cancelled) return Status(Code::kCancelled, "scan gate: " + outcome.gate.detail);
    refused = refused || outcome.gate.refused();
    scanner_failed = outcome.scanner_failed;
    scan_reports = std::move(outcome.reports);
    result->gates.push_back(std::move(outcome.gate));
  }
  if (refused) {
    for (const auto& g : result->gates) {
      if (!g.refused()) continue;
      // A scanner that could not scan is an infrastructure failure (exit 4), not a verdict.
      Code code = g.name == "scan" && scanner_failed ? Code::kUnavailable : Code::kGateRefused;
      return Status(code, g.name + " gate refused '" + env->name + "': " + g.detail);
    }
  }

  // 5. Tags: refuse conflicts before anything is written.
  copy::TagPolicy tag_policy{false, env->mutable_tags};
  std::vector<std::string> all_tags = immutable_tags;
  for (const auto& t : env->mutable_tags) {
    if (std::find(all_tags.begin(), all_tags.end(), t) == all_tags.end()) all_tags.push_back(t);
  }
  PROMOTE_ASSIGN_OR_RETURN(copy::TagOutcome planned,
                           copy::PlanTags(*dst, env->repository, digest, all_tags, tag_policy, dst_scopes, cancel));
  if (!planned.refused.empty()) {
    result->tags_refused = planned.refused;
    return TagConflict(Status(Code::kConflict, planned.first_conflict), planned.refused, immutable_tag);
  }

  phase("copy");
  // 6. Copy (nothing to copy into the first environment: the build pushed it there).
  copy::CopyOptions copy_options;
  copy_options.reuse_source_tag = false;
  copy_options.dry_run = request.dry_run;
  copy_options.attachments = request.attachments;
  copy_options.jobs = request.jobs;
  copy_options.progress = request.progress;
  copy_options.cancel = cancel;
  copy_options.platforms = env->platforms;
  bool wrote_image = false;
  if (source != env) {
    copy::ImageCopier copier(registries_, copy_options);
    oci::Reference from_ref{source->registry, source->repository, "", source_digest};
    oci::Reference to_ref{env->registry, env->repository, "", std::nullopt};
    copy::CopyReport report = copier.Copy({from_ref, to_ref});
    result->blobs = report.blobs;
    result->bytes = report.blob_bytes;
    PROMOTE_RETURN_IF_ERROR(report.status);
    if (report.digest != digest.str()) {
      return Internal("the copy into '" + env->name + "' wrote " + report.digest + ", not the planned " +
                      digest.str());
    }
    wrote_image = report.blobs.copied + report.blobs.mounted + report.manifests_copied > 0;
  }
  if (request.dry_run) {
    result->tags_written = planned.written;
    result->tags_moved = planned.moved;
    result->tags_unchanged = planned.unchanged;
    if (env->sign) result->gates.push_back({"sign", "skipped", "would sign " + digest.str() + " at " + env->Name()});
    result->outcome = "planned";
    return OkStatus();
  }

  phase("sign");
  if (cancel != nullptr && cancel->cancelled()) return Status(Code::kCancelled, "cancelled after the copy");
  // 7. Sign at the target, then tags, then the record. Idempotent: when an equal valid
  // record (same environment, commit, source and digest) exists, this promotion happened before
  // and its evidence is not attached again.
  bool have_record = false;
  if (signing_.key) {
    PROMOTE_ASSIGN_OR_RETURN(auto existing,
                             ReadRecords(*dst, env->repository, digest, *signing_.public_key, dst_scopes, cancel));
    for (const auto& r : existing) {
      if (r.valid && r.record.kind == "promotion" && r.record.to_env == env->name && r.record.git_sha == sha &&
          r.record.from_env == source->name) {
        have_record = true;
      }
    }
  }
  bool wrote_meta = false;
  if (env->sign) {
    if (!signing_.key) return InvalidArgument("environment '" + env->name + "' signs images but no signing key is loaded");
    sign::SignOptions so;
    so.identity = env->Name();
    PROMOTE_ASSIGN_OR_RETURN(auto signed_out,
                             sign::SignImage(*dst, env->repository, subject, *signing_.key, so, dst_scopes, cancel));
    result->signature_reference = signed_out.signature_reference;
    wrote_meta = wrote_meta || signed_out.added;
    if (!scan_reports.empty() && !have_record) {
      PROMOTE_ASSIGN_OR_RETURN(auto evidence,
                               AttachScanEvidence(*dst, env->repository, subject, scan_reports, *signing_.key,
                                                  request.ci, dst_scopes, cancel));
      for (auto& g : result->gates) {
        if (g.name != "scan") continue;
        g.data["attestations"] = nlohmann::json::array();
        for (const auto& a : evidence) g.data["attestations"].push_back(a.ToJson());
      }
      for (const auto& a : evidence) wrote_meta = wrote_meta || a.added;
    }
  }
  copy::TagOutcome tags;
  phase("tag");
  if (cancel != nullptr && cancel->cancelled()) return Status(Code::kCancelled, "cancelled before tagging");
  Status tag_status = copy::WriteTags(*dst, env->repository, graph->root, all_tags, tag_policy, dst_scopes, cancel, &tags);
  result->tags_written = tags.written;
  result->tags_moved = tags.moved;
  result->tags_unchanged = tags.unchanged;
  result->tags_refused = tags.refused;
  if (tag_status.code() == Code::kConflict && !tags.refused.empty()) {
    return TagConflict(tag_status, tags.refused, immutable_tag);
  }
  PROMOTE_RETURN_IF_ERROR(tag_status);
  // 8. The record, once the tags are in place: a promotion that failed or was killed before
  // leaves no record, so history and the next stage's gate never count it. A re-run after a
  // failure between the tags and the record finds the tags unchanged and writes the record.
  phase("record");
  if (signing_.key) {
    std::string record_reference = env->Name() + ":" + digest.TagForm() + ".att";
    if (!have_record) {
      PromotionRecord record;
      record.from_env = source->name;
      record.from_reference = source->Name() + "@" + source_digest.str();
      record.to_env = env->name;
      record.to_reference = env->Name() + "@" + digest.str();
      record.digest = digest.str();
      if (graph->subset_of) {
        record.subset_of = graph->subset_of->str();
        record.platforms = graph->platforms;
      }
      record.git_sha = sha;
      record.branch = result->branch;
      record.tags = all_tags;
      record.ci = request.ci;
      record.caller = request.caller;
      for (const auto& g : result->gates) record.gates.push_back({{"name", g.name}, {"verdict", g.verdict}});
      record.break_glass = change.break_glass;
      record.approved_by = change.approved_by;
      record.time = NowRfc3339();
      PROMOTE_ASSIGN_OR_RETURN(record_reference,
                               WriteRecord(*dst, env->repository, subject, record, *signing_.key, dst_scopes, cancel));
      wrote_meta = true;
    }
    result->record_reference = record_reference;  // only once the record is there
  }
  bool changed = wrote_image || wrote_meta || !tags.written.empty() || !tags.moved.empty();
  result->outcome = changed ? "promoted" : "unchanged";
  return OkStatus();
}

}  // namespace promote::promotion
