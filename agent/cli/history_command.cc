#include <memory>

#include "cli/commands.h"
#include "cli/config_request.h"
#include "cli/dispatch.h"
#include "cli/process_environment.h"
#include "cli/registry_flags.h"
#include "promotion/ci_context.h"

namespace promote::cli {
namespace {

struct HistoryFlags {
  std::string config = "promote.yaml";
  std::string sha;
  std::string ref;
  std::string key;  // public key; default: the public half of promote.yaml's signing key
  RegistryFlags registry;
};

struct RollbackFlags {
  std::string config = "promote.yaml";
  std::string env;
  std::string to;
  int steps = 1;
  bool dry_run = false;
  std::string branch;
  RegistryFlags registry;
};

}  // namespace

v1::CiContext CiContextMessage();                  // run_command.cc

CommandRunner RegisterHistoryCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<HistoryFlags>();
  CLI::App* cmd = app->add_subcommand("history", "Where a commit or digest has been promoted, from the registries");
  cmd->add_option("-c,--config", flags->config, "promote.yaml of the application")->capture_default_str();
  cmd->add_option("--sha", flags->sha, "Commit SHA (7-40 hex)");
  cmd->add_option("ref", flags->ref, "Or an image reference (its digest is looked up in every environment)");
  cmd->add_option("--key", flags->key, "Public key records must verify with (default: from the signing key)");
  flags->registry.Register(cmd, RegistryFlags::CredentialFlags::kNone);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return PrintFailure(*global, "history", st); };
    v1::HistoryRequest request;
    ConfigRequest parts{.config_path = flags->config,
                        .source_scopes = flags->ref.empty() ? std::vector<std::string>{} : HostOf(flags->ref),
                        .config = request.mutable_config(),
                        .access = request.mutable_access()};
    if (Status st = FillConfigRequest(*global, flags->registry, parts); !st.ok()) return fail(st);
    request.set_sha(flags->sha);
    request.set_reference(flags->ref);
    if (!flags->key.empty()) {
      auto key = ReadRequestFile(flags->key, "public key");
      if (!key.ok()) return fail(key.status());
      *request.mutable_public_key() = std::move(*key);
    }
    return Dispatch(*global, "history", request, &service::PromoteService::History, &flags->registry,
                    &v1::Promote::Stub::History);
  };
}

CommandRunner RegisterRollbackCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<RollbackFlags>();
  CLI::App* cmd = app->add_subcommand("rollback", "Move an environment's mutable tags back to an earlier promotion");
  cmd->add_option("-c,--config", flags->config, "promote.yaml of the application")->capture_default_str();
  cmd->add_option("--env", flags->env, "Environment to roll back")->required();
  cmd->add_option("--to", flags->to, "Digest to go back to (must have been promoted there)");
  cmd->add_option("--steps", flags->steps, "Promotions to go back (default 1)")->check(CLI::Range(1, 1000));
  cmd->add_flag("--dry-run", flags->dry_run, "Say what would move; write nothing");
  cmd->add_option("--branch", flags->branch,
                  "Git branch the rollback runs for; an agent's policy must allow it into --env "
                  "(default: BRANCH_NAME, GITHUB_REF_NAME or GIT_BRANCH)");
  flags->registry.Register(cmd, RegistryFlags::CredentialFlags::kNone);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return PrintFailure(*global, "rollback", st); };
    v1::RollbackRequest request;
    ConfigRequest parts{.config_path = flags->config,
                        .config = request.mutable_config(),
                        .access = request.mutable_access(),
                        .signing = request.mutable_signing()};
    if (Status st = FillConfigRequest(*global, flags->registry, parts); !st.ok()) return fail(st);
    request.set_env(flags->env);
    request.set_to(flags->to);
    request.set_steps(flags->steps);
    request.set_dry_run(flags->dry_run);
    const EnvironmentVariables pipeline = ProcessEnvironment();
    request.set_branch(flags->branch.empty() ? promotion::BranchFromCiEnvironment(pipeline) : flags->branch);
    *request.mutable_ci() = CiContextMessage();
    return Dispatch(*global, "rollback", request, &service::PromoteService::Rollback, &flags->registry,
                    &v1::Promote::Stub::Rollback);
  };
}

}  // namespace promote::cli
