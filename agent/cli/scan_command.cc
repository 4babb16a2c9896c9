// promote scan REF: the scan gate on its own (see service/scan_operation.cc).
#include <memory>

#include "cli/commands.h"
#include "cli/config_request.h"
#include "cli/dispatch.h"
#include "cli/registry_flags.h"
#include "cli/request_files.h"

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

}  // namespace


CommandRunner RegisterScanCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<ScanFlags>();
  CLI::App* cmd =
      app->add_subcommand("scan", "Run the configured vulnerability scanners against an image's digest");
  cmd->add_option("ref", flags->ref, "Image reference (tag or digest); every platform of an index is scanned")
      ->required();
  cmd->add_option("-c,--config", flags->config, "promote.yaml whose environment scan gate to apply (with --env)");
  cmd->add_option("--env", flags->env, "Environment of promote.yaml whose scan gate to apply");
  cmd->add_option("--policy", flags->policy, "YAML file with scanners: and a scan: gate, in promote.yaml syntax");
  cmd->add_option("--scanner", flags->scanners, "Run only this configured scanner (repeatable)");
  flags->registry.Register(cmd, RegistryFlags::CredentialFlags::kSource);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return PrintFailure(*global, "scan", st); };
    v1::ScanRequest request;
    request.set_reference(flags->ref);
    request.set_env(flags->env);
    for (const auto& s : flags->scanners) request.add_scanners(s);
    ConfigRequest parts{.config_path = flags->config,
                        .config_optional = true,
                        .source_scopes = HostOf(flags->ref),
                        .config = request.mutable_config(),
                        .access = request.mutable_access(),
                        .files = request.mutable_files()};
    if (Status st = FillConfigRequest(*global, flags->registry, parts); !st.ok()) return fail(st);
    if (!flags->policy.empty()) {
      auto policy = ReadRequestFile(flags->policy, "config");
      if (!policy.ok()) return fail(policy.status().WithContext("--policy"));
      *request.mutable_policy() = std::move(*policy);
      Status attached = AttachPolicyFiles(request.policy(), request.mutable_files());
      if (!attached.ok()) return fail(attached);
    }
    return Dispatch(*global, "scan", request, &service::PromoteService::Scan, &flags->registry,
                    &v1::Promote::Stub::Scan);
  };
}

}  // namespace promote::cli
