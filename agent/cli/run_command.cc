#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "copy/copy_report.h"
#include "policy/promote_config.h"
#include "policy/secret_ref.h"
#include "promotion/promotion_runner.h"

namespace promote::cli {
namespace {

struct RunFlags {
  std::string config = "promote.yaml";
  std::string to, from, sha, branch;
  bool dry_run = false;
  int jobs = 8;
  RegistryFlags registry;
};

void PrintText(const promotion::RunResult& r) {
  if (!r.status.ok()) {
    std::cerr << "promote: " << (r.outcome == "refused" ? "refused: " : "failed: ") << r.status.message() << "\n";
  }
  if (r.digest.empty()) return;
  std::cout << (r.dry_run ? "plan: " : "") << r.from_env << " -> " << r.to_env << " (" << r.outcome << ")\n"
            << "  " << r.from_reference << "\n  -> " << r.to_reference << "\n";
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& t : v) s += (s.empty() ? "" : ", ") + t;
    return s.empty() ? std::string("-") : s;
  };
  std::cout << "  blobs: " << r.blobs.copied << " copied, " << r.blobs.mounted << " mounted, " << r.blobs.skipped
            << " skipped\n"
            << "  tags: written " << list(r.tags_written) << "; moved " << list(r.tags_moved) << "; unchanged "
            << list(r.tags_unchanged) << (r.tags_refused.empty() ? "" : "; refused " + list(r.tags_refused)) << "\n";
  for (const auto& g : r.gates) std::cout << "  gate " << g.name << ": " << g.verdict << " — " << g.detail << "\n";
  if (!r.signature_reference.empty()) std::cout << "  signature: " << r.signature_reference << "\n";
  if (!r.record_reference.empty()) std::cout << "  record: " << r.record_reference << "\n";
}

}  // namespace

CommandRunner RegisterRunCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app->add_subcommand("run", "Promote a commit's image into an environment, as promote.yaml says");
  cmd->add_option("-c,--config", flags->config, "promote.yaml of the application")->capture_default_str();
  cmd->add_option("--to", flags->to, "Target environment (optional when the branch maps to exactly one)");
  cmd->add_option("--from", flags->from, "Source environment (default: the previous one in promote.yaml)");
  cmd->add_option("--sha", flags->sha, "Commit SHA, 7-40 hex (optional when the branch ends in -sha-<hex>)");
  cmd->add_option("--branch", flags->branch, "Git branch (default: BRANCH_NAME or GITHUB_REF_NAME)");
  cmd->add_flag("--dry-run", flags->dry_run, "Print the plan and write nothing");
  cmd->add_option("-j,--jobs", flags->jobs, "Concurrent blob transfers")->check(CLI::Range(1, 256));
  flags->registry.Register(cmd, false);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return ReportFailure(global->format(), "run", st, {{"status", "failed"}}); };
    auto config = policy::LoadPromoteConfig(flags->config);
    if (!config.ok()) return fail(config.status());
    auto signing = promotion::LoadSigningKey(*config);
    if (!signing.ok()) return fail(signing.status());

    // promote.yaml credentials first, then the docker config (or --authfile).
    auto config_keychain = std::make_shared<policy::ConfigKeychain>(&*config);
    auto pool = flags->registry.BuildPool({}, {}, config_keychain);
    if (!pool.ok()) return fail(pool.status());
    auto keychain = flags->registry.Keychain(config_keychain);

    promotion::RunRequest request;
    request.to = flags->to;
    request.from = flags->from;
    request.sha = flags->sha;
    request.branch = flags->branch;
    request.dry_run = flags->dry_run;
    request.jobs = flags->jobs;
    request.ci = promotion::CiContextFromEnvironment();
    copy::CopyProgress progress;
    request.progress = &progress;
    promotion::RunResult result;
    {
      ProgressPrinter printer(&progress, global->progress_interval_s > 0,
                              std::chrono::seconds(std::max(global->progress_interval_s, 1)));
      promotion::PromotionRunner runner(&*config, pool->get(), keychain, *signing);
      result = runner.Run(request);
    }
    if (global->format() == OutputFormat::kJson) {
      PrintJson(result.ToJson());
      if (!result.status.ok()) std::cerr << "promote: " << result.status.message() << "\n";
    } else {
      PrintText(result);
    }
    return ExitCodeFor(result.status.code());
  };
}

}  // namespace promote::cli
