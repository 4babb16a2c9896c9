// promote scan REF: the scan gate on its own. Resolves REF to a digest and its platforms, runs
// the configured scanners against that digest (promotion::RunScanGate, as promote run does) and
// prints the verdict. Exit 0 passed (or warned), 3 refused by findings, 4 a scanner failed.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "copy/copy_report.h"
#include "copy/image_walker.h"
#include "oci/reference.h"
#include "policy/promote_config.h"
#include "policy/secret_ref.h"
#include "promotion/scan_gate.h"
#include "scan/report_json_output.h"

namespace promote::cli {
namespace {

struct ScanFlags {
  std::string ref;
  std::string config;
  std::string env;
  std::string policy;
  std::vector<std::string> scanners;
  RegistryFlags registry;
};

// What to run and how to judge it, from promote.yaml (an environment's scan gate) or a policy file.
struct LoadedPolicy {
  std::unique_ptr<policy::PromoteConfig> config;  // kept alive for its keychain
  std::map<std::string, scan::HookConfig> scanners;
  policy::ScanGateConfig gate;
};

Result<LoadedPolicy> LoadPolicy(const ScanFlags& flags) {
  LoadedPolicy out;
  if (flags.config.empty() == flags.policy.empty()) {
    return InvalidArgument("give either --config promote.yaml --env ENV or --policy FILE");
  }
  if (!flags.policy.empty()) {
    if (!flags.env.empty()) return InvalidArgument("--env goes with --config, not --policy");
    PROMOTE_ASSIGN_OR_RETURN(policy::ScanPolicy p, policy::LoadScanPolicy(flags.policy));
    out.scanners = std::move(p.scanners);
    out.gate = std::move(p.gate);
  } else {
    if (flags.env.empty())
      return InvalidArgument("--env is required with --config (whose scan gate to apply)");
    PROMOTE_ASSIGN_OR_RETURN(policy::PromoteConfig c, policy::LoadPromoteConfig(flags.config));
    out.config = std::make_unique<policy::PromoteConfig>(std::move(c));
    const policy::Environment* env = out.config->FindEnvironment(flags.env);
    if (env == nullptr)
      return InvalidArgument("unknown environment '" + flags.env + "' (not in " + flags.config + ")");
    out.scanners = out.config->scanners;
    if (env->scan) {
      out.gate = *env->scan;
    } else if (flags.scanners.empty()) {
      return InvalidArgument("environment '" + env->name + "' has no scan gate in " + flags.config +
                             "; add gates: scan: or pass --scanner NAME (default policy: fail on HIGH)");
    }
  }
  if (!flags.scanners.empty()) {
    for (const auto& name : flags.scanners) {
      if (out.scanners.count(name) == 0)
        return InvalidArgument("--scanner " + name + ": no such scanner configured");
    }
    out.gate.scanners = flags.scanners;
  }
  return out;
}

nlohmann::json Body(const std::string& ref, const promotion::ScanSubject& subject,
                    const promotion::ScanGateOutcome& outcome) {
  nlohmann::json body = {{"reference", ref},
                         {"digest", subject.digest},
                         {"platforms", subject.platforms},
                         {"verdict", outcome.gate.verdict},
                         {"detail", outcome.gate.detail},
                         {"scanner_failures", nlohmann::json::array()}};
  if (outcome.gate.data.is_object()) {
    for (const auto& [k, v] : outcome.gate.data.items()) body[k] = v;
  }
  nlohmann::json reports = nlohmann::json::array();
  for (const auto& r : outcome.reports) {
    nlohmann::json j = scan::ToJson(r);
    j.erase("findings");
    j["started_on"] = r.started_on;
    j["finished_on"] = r.finished_on;
    reports.push_back(std::move(j));
  }
  body["reports"] = std::move(reports);
  return body;
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void PrintText(const nlohmann::json& body) {
  std::cout << body["reference"].get<std::string>() << "@" << body["digest"].get<std::string>() << ": "
            << body["verdict"].get<std::string>() << " — " << body["detail"].get<std::string>() << "\n";
  if (body.contains("counts")) {
    std::cout << "  counts:";
    for (const char* s : {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"})
      std::cout << " " << s << " " << body["counts"][s];
    std::cout << "\n";
  }
  auto finding = [](const nlohmann::json& f) {
    std::string fixed = Str(f, "fixed_version");
    std::string platform = Str(f, "platform");
    return Str(f, "id") + " " + Str(f, "severity") + " " + Str(f, "package") + " " +
           Str(f, "installed_version") + (fixed.empty() ? " (no fix)" : " -> " + fixed) + " in " +
           Str(f, "target") + (platform.empty() ? "" : " [" + platform + "]");
  };
  for (const auto& f : body.value("breaking", nlohmann::json::array()))
    std::cout << "  breaking: " << finding(f) << "\n";
  for (const auto& f : body.value("ignored", nlohmann::json::array())) {
    std::cout << "  ignored: " << finding(f) << " (" << Str(f, "reason") << ")\n";
  }
  for (const auto& e : body.value("expired_allowlist", nlohmann::json::array())) {
    std::cout << "  allowlist entry " << Str(e, "id") << " expired on " << Str(e, "expired")
              << " and no longer applies (" << Str(e, "reason") << ")\n";
  }
  for (const auto& f : body["scanner_failures"])
    std::cout << "  scanner failure: " << f.get<std::string>() << "\n";
}

}  // namespace

CommandRunner RegisterScanCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<ScanFlags>();
  CLI::App* cmd =
      app->add_subcommand("scan", "Run the configured vulnerability scanners against an image's digest");
  cmd->add_option("ref", flags->ref, "Image reference (tag or digest); every platform of an index is scanned")
      ->required();
  cmd->add_option("-c,--config", flags->config,
                  "promote.yaml whose environment scan gate to apply (with --env)");
  cmd->add_option("--env", flags->env, "Environment of promote.yaml whose scan gate to apply");
  cmd->add_option("--policy", flags->policy,
                  "YAML file with scanners: and a scan: gate, in promote.yaml syntax");
  cmd->add_option("--scanner", flags->scanners, "Run only this configured scanner (repeatable)");
  flags->registry.Register(cmd, false);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) {
      if (global->format() == OutputFormat::kJson) PrintJson(copy::ResultEnvelope("scan", st, {}));
      std::cerr << "promote: " << st.message() << "\n";
      return ExitCodeFor(st.code());
    };
    auto loaded = LoadPolicy(*flags);
    if (!loaded.ok()) return fail(loaded.status());
    auto ref = oci::ParseReference(flags->ref);
    if (!ref.ok()) return fail(ref.status());

    std::shared_ptr<const registry::Keychain> first;
    if (loaded->config) first = std::make_shared<policy::ConfigKeychain>(loaded->config.get());
    auto pool = flags->registry.BuildPool({*ref}, {}, first);
    if (!pool.ok()) return fail(pool.status());
    auto client = (*pool)->Get(ref->registry);
    if (!client.ok()) return fail(client.status());
    registry::Scopes scopes = {registry::RepositoryScope(ref->repository, "pull")};
    // A digest wins over a tag: what is scanned is exactly what was named.
    std::string identifier = ref->digest ? ref->digest->str() : ref->Identifier();
    auto graph = copy::WalkImage(**client, ref->repository, identifier, scopes, nullptr);
    if (!graph.ok()) return fail(graph.status().WithContext(ref->str()));

    promotion::ScanSubject subject;
    subject.repository_name = ref->Name();
    subject.digest = graph->root.digest.str();
    subject.platforms = graph->platforms;
    subject.registry_host = ref->registry;
    const auto& plain = flags->registry.plain_http;
    subject.insecure_registry = oci::IsLoopbackRegistry(ref->registry) ||
                                std::find(plain.begin(), plain.end(), ref->registry) != plain.end();
    auto creds = (*pool)->keychain()->Resolve(ref->registry);
    if (!creds.ok()) return fail(creds.status());
    subject.credentials = std::move(*creds);

    promotion::ScanGateOutcome outcome = promotion::RunScanGate(loaded->gate, loaded->scanners, subject);
    Status status;
    if (outcome.gate.refused()) {
      status = Status(outcome.scanner_failed ? Code::kUnavailable : Code::kGateRefused,
                      "scan of " + ref->Name() + "@" + subject.digest + " refused: " + outcome.gate.detail);
    }
    nlohmann::json body = Body(ref->str(), subject, outcome);
    if (global->format() == OutputFormat::kJson) {
      PrintJson(copy::ResultEnvelope("scan", status, body));
    } else {
      PrintText(body);
    }
    if (!status.ok()) std::cerr << "promote: " << status.message() << "\n";
    return ExitCodeFor(status.code());
  };
}

}  // namespace promote::cli
