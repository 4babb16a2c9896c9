// promote sign REF and promote verify REF: cosign-compatible signatures by digest.
#include <optional>
#include <sstream>

#include "oci/reference.h"
#include "promotion/policy_check.h"
#include "promotion/promotion_record.h"
#include "service/promote_service.h"
#include "service/request_access.h"
#include "service/result_envelope.h"
#include "sign/attestation_verifier.h"
#include "sign/bundle_image_verifier.h"
#include "sign/bundle_store.h"
#include "sign/image_signer.h"
#include "sign/image_verifier.h"
#include "sigstore/cosign_key.h"
#include "sigstore/docker_identity.h"
#include "sigstore/pem.h"
#include "sigstore/signature_format.h"
#include "sigstore/trusted_root.h"
#include "sigstore/verification_key.h"

namespace promote::service {
namespace {

nlohmann::json SignOutcomeJson(const oci::Descriptor& d, const sign::SignOutcome& o) {
  return {{"digest", d.digest.str()},
          {"media_type", d.media_type},
          {"signature", o.signature_reference},
          {"payload_digest", o.payload_digest.str()},
          {"signature_manifest", o.signature_manifest.str()},
          {"added", o.added},
          {"signatures", o.signatures}};
}

// The private key a request carries (only when request secrets are accepted), else the
// operator's. A carried key without a passphrase must be an unencrypted PKCS#8 key.
Result<std::shared_ptr<sigstore::PrivateKey>> SignKeyFor(const ServiceSettings& settings,
                                                         const v1::SigningKey& carried) {
  if (carried.key().content().empty()) {
    if (settings.signing.key) return settings.signing.key;
    return InvalidArgument("no signing key: pass --key cosign.key");
  }
  if (!settings.accept_request_secrets) {
    return Status(Code::kPermissionDenied,
                  "this agent does not accept signing keys in requests; it signs with the key of its agent.yaml");
  }
  return PrivateKeyFrom(carried);
}

// Signs one manifest in `format`; the text line and the JSON entry for it.
Result<std::pair<std::string, nlohmann::json>> SignOne(
    registry::RegistryClient& client, const std::string& repo, const oci::Descriptor& subject,
    const sigstore::PrivateKey& key, const sign::SignOptions& options, sigstore::SignatureFormat format,
    const registry::Scopes& scopes, const CancelToken* cancel) {
  if (format == sigstore::SignatureFormat::kBundle) {
    PROMOTE_ASSIGN_OR_RETURN(auto b, sign::SignImageBundle(client, repo, subject, options.identity, key,
                                                           promotion::NowRfc3339(), scopes, cancel));
    std::string line = subject.digest.str() + (b.added ? " signed: " : " already signed by this key: ") + b.reference +
                       " (Sigstore bundle)\n";
    nlohmann::json entry = {{"digest", subject.digest.str()}, {"media_type", subject.media_type},
                            {"signature", b.reference},       {"referrer", b.referrer.str()},
                            {"added", b.added}};
    return std::make_pair(std::move(line), std::move(entry));
  }
  PROMOTE_ASSIGN_OR_RETURN(auto o, sign::SignImage(client, repo, subject, key, options, scopes, cancel));
  std::string line = subject.digest.str() + (o.added ? " signed: " : " already signed by this key: ") +
                     o.signature_reference + " (" + std::to_string(o.signatures) + " signature" +
                     (o.signatures == 1 ? "" : "s") + ")\n";
  return std::make_pair(std::move(line), SignOutcomeJson(subject, o));
}

sigstore::IdentityPolicy PolicyFromName(const std::string& name) {
  if (name == "exact") return sigstore::IdentityPolicy::kExact;
  if (name == "ignore") return sigstore::IdentityPolicy::kIgnore;
  return sigstore::IdentityPolicy::kMatchRepository;
}

nlohmann::json SignaturesJson(const sign::VerifyReport& report) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : report.signatures) {
    list.push_back({{"layer", s.layer},
                    {"media_type", s.media_type},
                    {"payload_digest", s.payload_digest.str()},
                    {"identity", s.identity.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.identity)},
                    {"verified", s.verified},
                    {"reason", s.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.reason)}});
  }
  return list;
}

nlohmann::json AttestationsJson(const sign::AttestationReport& report) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : report.attestations) {
    list.push_back({{"layer", a.layer},
                    {"predicate_type", a.predicate_type},
                    {"envelope_digest", a.envelope_digest.str()},
                    {"verified", a.verified},
                    {"reason", a.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.reason)}});
  }
  return list;
}

// The RFC 3161 timestamps of a verified bundle, each with the authority that vouches for it.
nlohmann::json BundleTimestampsJson(const sign::BundleOutcome& b) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : b.timestamps) {
    list.push_back({{"time", sigstore::FormatRfc3339(t.time)},
                    {"tsa", t.tsa_subject},
                    {"tsa_uri", t.tsa_uri.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.tsa_uri)}});
  }
  return list;
}

// "verified (transparency log; timestamp … by …)", "verified (key-only; 1 RFC 3161 timestamp
// not checked)" or "refused".
std::string BundleVerdictText(const sign::BundleOutcome& b) {
  if (!b.verified) return "refused";
  std::string text = b.key_only ? "verified (key-only" : "verified (transparency log";
  for (const auto& t : b.timestamps)
    text += "; timestamp " + sigstore::FormatRfc3339(t.time) + " by " + t.tsa_subject;
  if (b.timestamps_unchecked > 0) {
    text += "; " + std::to_string(b.timestamps_unchecked) + " RFC 3161 timestamp" +
            (b.timestamps_unchecked == 1 ? "" : "s") + " not checked";
  }
  return text + ")";
}

nlohmann::json BundlesJson(const sign::BundleReport& report) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& b : report.bundles) {
    auto or_null = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
    list.push_back({{"referrer", b.referrer.str()},
                    {"artifact_type", b.artifact_type},
                    {"content", or_null(b.content)},
                    {"predicate_type", or_null(b.predicate_type)},
                    {"verified", b.verified},
                    {"verification", b.verified ? nlohmann::json(b.key_only ? "key-only" : "transparency-log")
                                                : nlohmann::json(nullptr)},
                    {"tlog_entries_verified", b.tlog_entries_verified},
                    {"timestamps", BundleTimestampsJson(b)},
                    {"timestamps_unchecked", b.timestamps_unchecked},
                    {"reason", or_null(b.reason)}});
  }
  return list;
}

std::string RenderBundles(const sign::BundleReport& report) {
  std::ostringstream text;
  text << "  bundles (" << (report.from_api ? "referrers API" : "referrers fallback index") << "): "
       << report.verified_count() << " of " << report.bundles.size() << " verified\n";
  for (const auto& b : report.bundles) {
    text << "  [" << b.referrer.str() << "] " << BundleVerdictText(b);
    if (!b.reason.empty()) text << ": " << b.reason;
    text << "\n";
  }
  return text.str();
}

std::string RenderVerify(const std::string& digest, const sign::VerifyReport& report) {
  std::ostringstream text;
  text << digest << ": " << report.verified_count() << " of " << report.signatures.size()
       << " signatures verified (" << report.signature_reference << ")\n";
  for (const auto& s : report.signatures) {
    text << "  [" << s.layer << "] " << (s.verified ? "verified" : "refused");
    if (!s.identity.empty()) text << " identity " << s.identity;
    if (!s.reason.empty()) text << ": " << s.reason;
    text << "\n";
  }
  return text.str();
}

// A verify request's inputs, checked.
struct VerifyInputs {
  oci::Reference ref;
  sigstore::VerificationKey bundle_key;           // bundles may be signed with any key sigstore supports
  std::optional<sigstore::PublicKey> cosign_key;  // cosign .sig only with P-256: none for other keys
  std::optional<sigstore::TrustedRoot> trusted_root;
  std::string policy_name;
  sign::IdentityExpectation expected;
};

Result<VerifyInputs> ParseVerifyRequest(const v1::VerifyRequest& request) {
  PROMOTE_ASSIGN_OR_RETURN(oci::Reference ref, oci::ParseReference(request.reference()));
  const v1::File& key_file = request.public_key();
  if (key_file.content().empty()) return InvalidArgument("--key cosign.pub is required");
  PROMOTE_ASSIGN_OR_RETURN(sigstore::VerificationKey bundle_key,
                           sigstore::VerificationKey::FromPem(key_file.content(), key_file.name()));
  VerifyInputs in{std::move(ref), std::move(bundle_key), std::nullopt, std::nullopt, "", {}};
  if (auto key = sigstore::PublicKey::FromPem(key_file.content(), key_file.name()); key.ok()) {
    in.cosign_key = std::move(*key);
  } else if (!request.attestation_type().empty()) {
    return key.status().WithContext("--attestation-type verifies cosign attestations, which need a P-256 key");
  }
  if (!request.trusted_root().content().empty()) {
    PROMOTE_ASSIGN_OR_RETURN(in.trusted_root,
                             sigstore::ParseTrustedRoot(request.trusted_root().content(),
                                                        "trusted root " + request.trusted_root().name()));
  }
  in.policy_name = request.identity_policy().empty() ? "match-repository" : request.identity_policy();
  if (in.policy_name != "match-repository" && in.policy_name != "exact" && in.policy_name != "ignore") {
    return InvalidArgument("--identity-policy " + in.policy_name + ": not one of match-repository, exact, ignore");
  }
  in.expected.policy = PolicyFromName(in.policy_name);
  if (!request.identity().empty()) {
    in.expected.identity = request.identity();
  } else {
    oci::Reference without_digest = in.ref;
    without_digest.digest.reset();
    in.expected.identity = without_digest.str();
  }
  if (in.expected.policy != sigstore::IdentityPolicy::kIgnore) {
    PROMOTE_RETURN_IF_ERROR(
        sigstore::ParseDockerIdentity(in.expected.identity).status().WithContext("--identity"));
  }
  return in;
}

// The digest `ref` names now; a digest reference must match it.
Result<oci::Digest> ResolveDigest(registry::RegistryClient& client, const oci::Reference& ref,
                                  const registry::Scopes& scopes, const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(auto head, client.HeadManifest(ref.repository, ref.Identifier(), scopes, cancel));
  if (!head) return NotFound("image " + ref.str() + " does not exist");
  if (ref.digest && *ref.digest != head->digest) {
    return DataLoss("reference " + ref.str() + " resolved to " + head->digest.str());
  }
  return head->digest;
}

}  // namespace

Outcome PromoteService::Sign(const v1::SignRequest& request, OperationContext* ctx) const {
  const std::string kCommand = "sign";
  auto fail = [&](const Status& st) { return FailedOutcome(kCommand, st); };
  // Every input is checked before the registry is contacted: bad input writes nothing.
  auto ref = oci::ParseReference(request.reference());
  if (!ref.ok()) return fail(ref.status());
  if (settings_.policy) {
    Status within = promotion::CheckDirectWriteAgainstPolicy(*settings_.policy, ref->registry + "/" + ref->repository,
                                                             "sign");
    if (!within.ok()) return fail(within);
  }
  sign::SignOptions options;
  options.identity = request.identity().empty() ? sign::DefaultSigningIdentity(*ref) : request.identity();
  for (const auto& [k, v] : request.annotations()) {
    if (k.empty()) return fail(InvalidArgument("--annotation with an empty key"));
    options.annotations[k] = v;
  }
  if (auto id = sigstore::ParseDockerIdentity(options.identity); !id.ok())
    return fail(id.status().WithContext("--identity"));
  auto format =
      sigstore::ParseSignatureFormat(request.format().empty() ? "cosign" : request.format(), "--format");
  if (!format.ok()) return fail(format.status());
  if (*format == sigstore::SignatureFormat::kBundle && !options.annotations.empty()) {
    return fail(InvalidArgument("--annotation is not supported with --format bundle (cosign v3 signs no annotations "
                                "into a bundle)"));
  }
  auto key = SignKeyFor(settings_, request.key());
  if (!key.ok()) return fail(key.status());

  auto pool = PoolFor(settings_, request.access(), nullptr);
  if (!pool.ok()) return fail(pool.status());
  auto client = (*pool)->Get(ref->registry, ref->repository);
  if (!client.ok()) return fail(client.status());
  registry::Scopes scopes = {registry::RepositoryScope(ref->repository, "pull,push")};
  ctx->progress.phase = "resolve";
  auto manifest = (*client)->GetManifest(ref->repository, ref->Identifier(), scopes);
  if (!manifest.ok()) return fail(manifest.status());
  if (ref->digest && *ref->digest != manifest->digest) {
    return fail(DataLoss("reference " + ref->str() + " resolved to " + manifest->digest.str()));
  }

  std::vector<oci::Descriptor> subjects;
  subjects.push_back({manifest->media_type, manifest->digest, static_cast<int64_t>(manifest->bytes.size()), {}, {}});
  if (request.recursive()) {
    for (const auto& child : manifest->children) subjects.push_back(child);
  }
  ctx->progress.phase = "sign";
  Outcome out;
  out.command = kCommand;
  std::ostringstream text;
  nlohmann::json signed_list = nlohmann::json::array();
  for (const auto& subject : subjects) {
    auto signed_one = SignOne(**client, ref->repository, subject, **key, options, *format, scopes, &ctx->cancel);
    if (!signed_one.ok()) return fail(signed_one.status().WithContext("signing " + subject.digest.str()));
    text << signed_one->first;
    signed_list.push_back(std::move(signed_one->second));
  }
  out.json = ResultEnvelope(kCommand, OkStatus(),
                                  {{"reference", ref->str()},
                                   {"digest", manifest->digest.str()},
                                   {"identity", options.identity},
                                   {"format", std::string(sigstore::SignatureFormatName(*format))},
                                   {"signed", signed_list}});
  out.text = text.str();
  return out;
}

Outcome PromoteService::Verify(const v1::VerifyRequest& request, OperationContext* ctx) const {
  const std::string kCommand = "verify";
  auto fail = [&](const Status& st) { return FailedOutcome(kCommand, st); };
  // Every input is checked before the registry is contacted.
  auto in = ParseVerifyRequest(request);
  if (!in.ok()) return fail(in.status());
  const oci::Reference& ref = in->ref;

  auto pool = PoolFor(settings_, request.access(), nullptr);
  if (!pool.ok()) return fail(pool.status());
  auto client = (*pool)->Get(ref.registry, ref.repository);
  if (!client.ok()) return fail(client.status());
  registry::Scopes scopes = {registry::RepositoryScope(ref.repository, "pull")};
  ctx->progress.phase = "resolve";
  auto digest = ResolveDigest(**client, ref, scopes, &ctx->cancel);
  if (!digest.ok()) return fail(digest.status());

  ctx->progress.phase = "verify";
  sign::VerifyReport cosign_report;
  if (in->cosign_key) {
    auto report = sign::VerifyImage(**client, ref.repository, *digest, *in->cosign_key, in->expected, scopes);
    if (!report.ok()) return fail(report.status());
    cosign_report = std::move(*report);
  }
  auto bundles = sign::VerifyImageBundles(**client, ref.repository, *digest, in->bundle_key,
                                          in->trusted_root ? &*in->trusted_root : nullptr,
                                          sign::kCosignSignPredicateType, scopes, &ctx->cancel);
  if (!bundles.ok()) return fail(bundles.status());
  Outcome out;
  out.command = kCommand;
  nlohmann::json formats = nlohmann::json::array();
  if (cosign_report.verified()) formats.push_back("cosign");
  if (bundles->verified_count() > 0) formats.push_back("bundle");
  out.status = formats.empty() ? GateRefused("no signature verifies: cosign .sig: " + cosign_report.ToStatus().message() +
                                             "; bundles: " + bundles->ToStatus().message())
                               : OkStatus();
  nlohmann::json body = {{"reference", ref.str()},
                         {"digest", digest->str()},
                         {"identity_policy", in->policy_name},
                         {"identity", in->expected.identity},
                         {"signature", cosign_report.signature_reference},
                         {"verified", cosign_report.verified_count()},
                         {"signatures", SignaturesJson(cosign_report)},
                         {"bundles", BundlesJson(*bundles)},
                         {"bundle_source", bundles->from_api ? "referrers-api" : "referrers-fallback"},
                         {"formats_verified", formats}};
  if (!request.attestation_type().empty()) {
    auto attestations = sign::VerifyImageAttestations(**client, ref.repository, *digest, *in->cosign_key,
                                                      request.attestation_type(), scopes);
    if (!attestations.ok()) return fail(attestations.status());
    body["attestation"] = attestations->attestation_reference;
    body["attestations"] = AttestationsJson(*attestations);
    if (out.status.ok()) out.status = attestations->ToStatus();
  }
  out.json = ResultEnvelope(kCommand, out.status, body);
  out.text = RenderVerify(digest->str(), cosign_report) + RenderBundles(*bundles);
  if (!out.status.ok()) out.diagnostics = "promote: verify: " + out.status.message() + "\n";
  return out;
}

}  // namespace promote::service
