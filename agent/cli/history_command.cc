#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "copy/copy_report.h"
#include "policy/secret_ref.h"
#include "promotion/history.h"
#include "promotion/promotion_runner.h"
#include "promotion/rollback.h"
#include "sign/ec_key.h"

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
  RegistryFlags registry;
};

int Fail(const GlobalFlags* global, const std::string& command, const Status& st) {
  return ReportFailure(global->format(), command, st);
}

}  // namespace

CommandRunner RegisterHistoryCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<HistoryFlags>();
  CLI::App* cmd = app->add_subcommand("history", "Where a commit or digest has been promoted, from the registries");
  cmd->add_option("-c,--config", flags->config, "promote.yaml of the application")->capture_default_str();
  cmd->add_option("--sha", flags->sha, "Commit SHA (7-40 hex)");
  cmd->add_option("ref", flags->ref, "Or an image reference (its digest is looked up in every environment)");
  cmd->add_option("--key", flags->key, "Public key records must verify with (default: from the signing key)");
  flags->registry.Register(cmd, false);

  return [flags, global]() -> int {
    auto config = policy::LoadPromoteConfig(flags->config);
    if (!config.ok()) return Fail(global, "history", config.status());
    if (flags->sha.empty() == flags->ref.empty()) {
      return Fail(global, "history", InvalidArgument("give either --sha SHA or a reference"));
    }
    std::shared_ptr<sign::PublicKey> key;
    if (!flags->key.empty()) {
      auto k = sign::ReadPublicKeyFile(flags->key);
      if (!k.ok()) return Fail(global, "history", k.status());
      key = std::make_shared<sign::PublicKey>(std::move(*k));
    } else {
      auto signing = promotion::LoadSigningKey(*config);
      if (!signing.ok()) return Fail(global, "history", signing.status());
      if (!signing->public_key) {
        return Fail(global, "history", InvalidArgument("records are verified with a key: pass --key cosign.pub or "
                                                       "configure signing: in " + config->origin));
      }
      key = signing->public_key;
    }
    auto config_keychain = std::make_shared<policy::ConfigKeychain>(&*config);
    auto pool = flags->registry.BuildPool({}, {}, config_keychain);
    if (!pool.ok()) return Fail(global, "history", pool.status());

    Result<promotion::History> history = Status(Code::kInternal, "unset");
    if (!flags->sha.empty()) {
      history = promotion::HistoryForSha(*config, **pool, *key, flags->sha);
    } else {
      auto ref = oci::ParseReference(flags->ref);
      if (!ref.ok()) return Fail(global, "history", ref.status());
      auto client = (*pool)->Get(ref->registry);
      if (!client.ok()) return Fail(global, "history", client.status());
      auto head = (*client)->HeadManifest(ref->repository, ref->Identifier(),
                                          {registry::RepositoryScope(ref->repository, "pull")});
      if (!head.ok()) return Fail(global, "history", head.status());
      if (!*head) return Fail(global, "history", NotFound("no image at " + ref->str()));
      history = promotion::HistoryForDigest(*config, **pool, *key, (*head)->digest);
    }
    if (!history.ok()) return Fail(global, "history", history.status());
    if (global->format() == OutputFormat::kJson) {
      PrintJson(copy::ResultEnvelope("history", OkStatus(), history->ToJson()));
      return 0;
    }
    std::cout << "commit " << (history->sha.empty() ? "?" : history->sha) << "  digest "
              << (history->digest.empty() ? "?" : history->digest) << "\n";
    for (const auto& e : history->environments) {
      std::cout << "  " << e.env << ": " << (e.digest.empty() ? "not present" : e.digest) << "\n";
      for (const auto& r : e.records) {
        std::cout << "    " << (r.valid ? "✓ " : "✗ ") << r.record.kind << " " << r.record.from_env << " -> "
                  << r.record.to_env << " at " << r.record.time << " branch " << r.record.branch
                  << (r.record.ci.run_id.empty() ? "" : " run " + r.record.ci.run_id)
                  << (r.valid ? "" : "  (not accepted: " + r.problem + ")") << "\n";
      }
    }
    return 0;
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
  flags->registry.Register(cmd, false);

  return [flags, global]() -> int {
    auto config = policy::LoadPromoteConfig(flags->config);
    if (!config.ok()) return Fail(global, "rollback", config.status());
    auto signing = promotion::LoadSigningKey(*config);
    if (!signing.ok()) return Fail(global, "rollback", signing.status());
    promotion::RollbackRequest request;
    request.env = flags->env;
    request.steps = flags->steps;
    request.dry_run = flags->dry_run;
    request.ci = promotion::CiContextFromEnvironment();
    if (!flags->to.empty()) {
      auto d = oci::Digest::Parse(flags->to);
      if (!d.ok()) return Fail(global, "rollback", d.status().WithContext("--to"));
      request.to = *d;
    }
    auto config_keychain = std::make_shared<policy::ConfigKeychain>(&*config);
    auto pool = flags->registry.BuildPool({}, {}, config_keychain);
    if (!pool.ok()) return Fail(global, "rollback", pool.status());
    auto result = promotion::Rollback(*config, **pool, *signing, request);
    if (global->format() == OutputFormat::kJson) {
      PrintJson(result.ToJson());
    } else if (result.status.ok()) {
      std::cout << (result.dry_run ? "would roll back " : "rolled back ") << result.env << ": " << result.from_digest
                << " -> " << result.to_digest << " (commit " << result.git_sha << ")\n";
    }
    if (!result.status.ok()) std::cerr << "promote: " << result.status.message() << "\n";
    return ExitCodeFor(result.status.code());
  };
}

}  // namespace promote::cli
