#include <memory>

#include "cli/commands.h"
#include "cli/config_request.h"
#include "cli/dispatch.h"
#include "cli/process_environment.h"
#include "cli/registry_flags.h"
#include "cli/signing_key.h"
#include "promotion/ci_context.h"

namespace promote::cli {
namespace {

struct ApproveFlags {
  std::string config = "promote.yaml";
  std::string env, sha, approver, comment;
  std::string key, password_file;
  RegistryFlags registry;
};

}  // namespace

v1::CiContext CiContextMessage();  // run_command.cc

CommandRunner RegisterApproveCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<ApproveFlags>();
  CLI::App* cmd = app->add_subcommand(
      "approve", "Approve promoting a commit's image into an environment (a signed approval beside the image)");
  cmd->add_option("-c,--config", flags->config, "promote.yaml of the application")->capture_default_str();
  cmd->add_option("--env", flags->env, "Environment the promotion goes into")->required();
  cmd->add_option("--sha", flags->sha, "Commit SHA, 7-40 hex (default: GIT_COMMIT or GITHUB_SHA)");
  cmd->add_option("--approver", flags->approver,
                  "Who approves: one of the environment's approvers (default: the CI actor)");
  cmd->add_option("--comment", flags->comment, "A note kept in the approval");
  cmd->add_option("--key", flags->key,
                  "The approver's own cosign private key (passphrase: --password-file, PROMOTE_KEY_PASSWORD or "
                  "COSIGN_PASSWORD); default: promote.yaml's signing key, or the agent's");
  cmd->add_option("--password-file", flags->password_file, "File whose first line is the key passphrase");
  flags->registry.Register(cmd, RegistryFlags::CredentialFlags::kNone);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return PrintFailure(*global, "approve", st, {{"status", "failed"}}); };
    v1::ApproveRequest request;
    // With its own --key, promote.yaml's credential and key references are not resolved for an agent.
    ConfigRequest parts{.config_path = flags->config,
                        .config = request.mutable_config(),
                        .access = request.mutable_access(),
                        .agent_secrets = flags->key.empty(),
                        .signing = request.mutable_signing()};
    if (Status st = FillConfigRequest(*global, flags->registry, parts); !st.ok()) return fail(st);
    request.set_env(flags->env);
    request.set_sha(flags->sha.empty() ? promotion::ShaFromCiEnvironment(ProcessEnvironment()) : flags->sha);
    *request.mutable_ci() = CiContextMessage();
    request.set_approver(flags->approver.empty() ? request.ci().actor() : flags->approver);
    request.set_comment(flags->comment);
    if (!flags->key.empty()) {
      Status read = ReadSigningKey(flags->key, flags->password_file, request.mutable_signing());
      if (!read.ok()) return fail(read);
    }
    return Dispatch(*global, "approve", request, &service::PromoteService::Approve, &flags->registry,
                    &v1::Promote::Stub::Approve);
  };
}

}  // namespace promote::cli
