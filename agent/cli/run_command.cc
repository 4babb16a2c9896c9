#include <memory>

#include "cli/commands.h"
#include "cli/config_request.h"
#include "cli/dispatch.h"
#include "cli/process_environment.h"
#include "cli/registry_flags.h"
#include "policy/branch_rules.h"
#include "promotion/ci_context.h"

namespace promote::cli {
namespace {

struct RunFlags {
  std::string config = "promote.yaml";
  std::string to, from, sha, branch;
  std::string break_glass, author;
  bool dry_run = false;
  bool no_attachments = false;
  int jobs = 8;
  RegistryFlags registry;
};

}  // namespace

v1::CiContext CiContextMessage() {
  promotion::CiContext ci = promotion::CiContextFromEnvironment(ProcessEnvironment());
  v1::CiContext m;
  m.set_system(ci.system);
  m.set_run_id(ci.run_id);
  m.set_run_url(ci.run_url);
  m.set_actor(ci.actor);
  return m;
}

CommandRunner RegisterRunCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd =
      app->add_subcommand("run", "Promote a commit's image into an environment, as promote.yaml says");
  cmd->add_option("-c,--config", flags->config, "promote.yaml of the application")->capture_default_str();
  cmd->add_option("--to", flags->to, "Target environment (optional when the branch maps to exactly one)");
  cmd->add_option("--from", flags->from, "Source environment (default: the previous one in promote.yaml)");
  cmd->add_option("--sha", flags->sha,
                  "Commit SHA, 7-40 hex (default: the branch's -sha-<hex>, else GIT_COMMIT or GITHUB_SHA)");
  cmd->add_option("--branch", flags->branch,
                  "Git branch (default: BRANCH_NAME, GITHUB_REF_NAME or GIT_BRANCH)");
  cmd->add_flag("--dry-run", flags->dry_run, "Print the plan and write nothing");
  cmd->add_option("--break-glass", flags->break_glass,
                  "Override a refusing window gate (outside its windows, or a freeze) with this reason, where "
                  "promote.yaml allows break-glass; kept in the promotion record");
  cmd->add_option("--author", flags->author,
                  "The commit's author, whose own approval does not count (default: the CI actor of the previous "
                  "environment's record)");
  cmd->add_flag("--no-attachments", flags->no_attachments,
                "Leave the source's signatures, attestations and referrers behind");
  cmd->add_option("-j,--jobs", flags->jobs, "Concurrent blob transfers")->check(CLI::Range(1, 256));
  flags->registry.Register(cmd, RegistryFlags::CredentialFlags::kNone);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return PrintFailure(*global, "run", st, {{"status", "failed"}}); };
    v1::RunRequest request;
    ConfigRequest parts{.config_path = flags->config,
                        .config = request.mutable_config(),
                        .access = request.mutable_access(),
                        .files = request.mutable_files(),
                        .signing = request.mutable_signing()};
    if (Status st = FillConfigRequest(*global, flags->registry, parts); !st.ok()) return fail(st);
    request.set_to(flags->to);
    request.set_from(flags->from);
    // The branch and commit are read where the pipeline runs, not where the agent runs. A branch
    // carrying -sha-<hex> names its commit itself; the CI's commit variable is for the others.
    const EnvironmentVariables pipeline = ProcessEnvironment();
    request.set_branch(flags->branch.empty() ? promotion::BranchFromCiEnvironment(pipeline) : flags->branch);
    request.set_sha(flags->sha.empty() && !policy::ShaFromBranch(request.branch())
                        ? promotion::ShaFromCiEnvironment(pipeline)
                        : flags->sha);
    request.set_dry_run(flags->dry_run);
    request.set_break_glass(flags->break_glass);
    request.set_author(flags->author);
    request.set_no_attachments(flags->no_attachments);
    request.set_jobs(flags->jobs);
    *request.mutable_ci() = CiContextMessage();
    return Dispatch(*global, "run", request, &service::PromoteService::Run, &flags->registry,
                    &v1::Promote::Stub::Run);
  };
}

}  // namespace promote::cli
