// promote scan REF: the scan gate on its own. Resolves REF to a digest and its platforms, runs
// the configured scanners against that digest (promotion::RunScanGate, as promote run does).
// Exit 0 passed (or warned), 3 refused by findings, 4 a scanner failed.
#include <sstream>

#include "copy/image_walker.h"
#include "oci/reference.h"
#include "promotion/scan_gate.h"
#include "scan/report_json_output.h"
#include "service/promote_service.h"
#include "service/request_access.h"
#include "service/result_envelope.h"
#include "util/json_fields.h"

namespace promote::service {
namespace {

// What to run and how to judge it, from promote.yaml (an environment's scan gate) or a policy file.
struct LoadedPolicy {
  std::unique_ptr<policy::PromoteConfig> config;  // kept alive for its keychain
  std::map<std::string, scan::HookConfig> scanners;
  policy::ScanGateConfig gate;
};

Result<LoadedPolicy> LoadPolicy(const ServiceSettings& settings, const v1::ScanRequest& request) {
  LoadedPolicy out;
  bool have_config = !request.config().name().empty() || !request.config().content().empty();
  bool have_policy = !request.policy().name().empty() || !request.policy().content().empty();
  if (have_config == have_policy) {
    return InvalidArgument("give either --config promote.yaml --env ENV or --policy FILE");
  }
  const std::vector<std::string> only(request.scanners().begin(), request.scanners().end());
  if (have_policy) {
    if (!request.env().empty()) return InvalidArgument("--env goes with --config, not --policy");
    PROMOTE_ASSIGN_OR_RETURN(policy::ScanPolicy p,
                             policy::ParseScanPolicy(request.policy().content(), request.policy().name()));
    out.scanners = std::move(p.scanners);
    out.gate = std::move(p.gate);
  } else {
    const std::string& origin = request.config().name();
    if (request.env().empty()) return InvalidArgument("--env is required with --config (whose scan gate to apply)");
    PROMOTE_ASSIGN_OR_RETURN(policy::PromoteConfig c, ConfigFrom(settings, request.config(), "promote.yaml"));
    out.config = std::make_unique<policy::PromoteConfig>(std::move(c));
    const policy::Environment* env = out.config->FindEnvironment(request.env());
    if (env == nullptr) return InvalidArgument("unknown environment '" + request.env() + "' (not in " + origin + ")");
    out.scanners = out.config->scanners;
    if (env->scan) {
      out.gate = *env->scan;
    } else if (only.empty()) {
      return InvalidArgument("environment '" + env->name + "' has no scan gate in " + origin +
                             "; add gates: scan: or pass --scanner NAME (default policy: fail on HIGH)");
    }
  }
  if (!only.empty()) {
    for (const auto& name : only) {
      if (out.scanners.count(name) == 0) return InvalidArgument("--scanner " + name + ": no such scanner configured");
    }
    out.gate.scanners = only;
  }
  if (!out.gate.trivyignore.empty()) {
    // Carried by the request like every file the config names; never opened here.
    policy::AttachedFiles files = FilesFrom(request.files());
    PROMOTE_ASSIGN_OR_RETURN(std::string content, files.Get(out.gate.trivyignore, "scan gate trivyignore"));
    PROMOTE_RETURN_IF_ERROR(promotion::AddIgnoreFile(content, &out.gate));
  }
  return out;
}

nlohmann::json Body(const std::string& ref, const promotion::ScanSubject& subject,
                    const promotion::ScanGateOutcome& outcome) {
  nlohmann::json body = {{"reference", ref},
                         {"digest", subject.digest},
                         {"platforms", subject.platforms},
                         {"verdict", std::string(promotion::VerdictName(outcome.gate.verdict))},
                         {"detail", outcome.gate.detail},
                         {"scanner_failures", nlohmann::json::array()}};
  if (outcome.gate.data.is_object()) {
    for (const auto& [k, v] : outcome.gate.data.items()) body[k] = v;
  }
  nlohmann::json reports = nlohmann::json::array();
  for (const auto& r : outcome.reports) {
    nlohmann::json j = scan::SummaryJson(r);
    j["started_on"] = r.started_on;
    j["finished_on"] = r.finished_on;
    reports.push_back(std::move(j));
  }
  body["reports"] = std::move(reports);
  return body;
}

std::string RenderScan(const nlohmann::json& body) {
  std::ostringstream text;
  text << body["reference"].get<std::string>() << "@" << body["digest"].get<std::string>() << ": "
       << body["verdict"].get<std::string>() << " — " << body["detail"].get<std::string>() << "\n";
  if (body.contains("counts")) {
    text << "  counts:";
    for (const char* s : {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}) text << " " << s << " " << body["counts"][s];
    text << "\n";
  }
  auto finding = [](const nlohmann::json& f) {
    std::string fixed = StringMember(f, "fixed_version");
    std::string platform = StringMember(f, "platform");
    return StringMember(f, "id") + " " + StringMember(f, "severity") + " " + StringMember(f, "package") +
           " " + StringMember(f, "installed_version") + (fixed.empty() ? " (no fix)" : " -> " + fixed) +
           " in " + StringMember(f, "target") + (platform.empty() ? "" : " [" + platform + "]");
  };
  for (const auto& f : body.value("breaking", nlohmann::json::array())) text << "  breaking: " << finding(f) << "\n";
  for (const auto& f : body.value("ignored", nlohmann::json::array())) {
    text << "  ignored: " << finding(f) << " (" << StringMember(f, "reason") << ")\n";
  }
  for (const auto& e : body.value("expired_allowlist", nlohmann::json::array())) {
    text << "  allowlist entry " << StringMember(e, "id") << " expired on " << StringMember(e, "expired")
         << " and no longer applies (" << StringMember(e, "reason") << ")\n";
  }
  for (const auto& f : body["scanner_failures"]) text << "  scanner failure: " << f.get<std::string>() << "\n";
  return text.str();
}

}  // namespace

Outcome PromoteService::Scan(const v1::ScanRequest& request, OperationContext* ctx) const {
  const std::string kCommand = "scan";
  auto fail = [&](const Status& st) { return FailedOutcome(kCommand, st, {}); };
  auto loaded = LoadPolicy(settings_, request);
  if (!loaded.ok()) return fail(loaded.status());
  auto scanners = ScannersFor(settings_, loaded->scanners);
  if (!scanners.ok()) return fail(scanners.status());
  loaded->scanners = std::move(*scanners);
  auto ref = oci::ParseReference(request.reference());
  if (!ref.ok()) return fail(ref.status());

  auto pool = PoolFor(settings_, request.access(), loaded->config.get());
  if (!pool.ok()) return fail(pool.status());
  auto client = (*pool)->Get(ref->registry, ref->repository);
  if (!client.ok()) return fail(client.status());
  registry::Scopes scopes = {registry::RepositoryScope(ref->repository, "pull")};
  // A digest wins over a tag: what is scanned is exactly what was named.
  std::string identifier = ref->digest ? ref->digest->str() : ref->Identifier();
  ctx->progress.phase = "resolve";
  auto graph = copy::WalkImage(**client, ref->repository, identifier, scopes, &ctx->cancel);
  if (!graph.ok()) return fail(graph.status().WithContext(ref->str()));

  promotion::ScanSubject subject;
  subject.repository_name = ref->Name();
  subject.digest = graph->root.digest.str();
  subject.platforms = graph->platforms;
  for (const auto& child : graph->children) subject.manifest_digests.push_back(child.digest.str());
  subject.registry_host = ref->registry;
  subject.insecure_registry = IsPlainHttp(settings_, request.access(), ref->registry);
  auto creds = (*pool)->keychain()->Resolve(ref->registry, ref->repository);
  if (!creds.ok()) return fail(creds.status());
  subject.credentials = std::move(*creds);

  ctx->progress.phase = "scan";
  // promote scan attaches no evidence: each report's bytes are freed once parsed.
  promotion::ScanGateOutcome outcome = promotion::RunScanGate(loaded->gate, loaded->scanners, subject,
                                                              &ctx->cancel, promotion::ReportBytes::kDrop);
  Outcome out;
  out.command = kCommand;
  if (outcome.cancelled) {
    out.status = Status(Code::kCancelled, "scan of " + ref->Name() + "@" + subject.digest + ": " + outcome.gate.detail);
  } else if (outcome.gate.refused()) {
    out.status = Status(outcome.scanner_failed ? Code::kUnavailable : Code::kGateRefused,
                        "scan of " + ref->Name() + "@" + subject.digest + " refused: " + outcome.gate.detail);
  }
  nlohmann::json body = Body(ref->str(), subject, outcome);
  out.json = ResultEnvelope(kCommand, out.status, body);
  out.text = RenderScan(body);
  return out;
}

}  // namespace promote::service
