// promote: build once, promote by digest. The command-line entry point.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "cli/version_info.h"
#include "registry/tag_lock.h"

namespace {

// Whether argv asks for JSON output, read from argv itself: a flag error can come before
// CLI11 reaches --output, and the JSON result is promised on every failure.
bool AsksForJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if ((a == "-o" || a == "--output") && i + 1 < argc && std::string_view(argv[i + 1]) == "json") return true;
    if (a == "--output=json" || a == "-ojson") return true;
  }
  return false;
}

// The subcommand argv names (the first argument that is one), for the JSON result's "command".
std::string CommandNamed(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == argv[i]) return sub->get_name();
    }
  }
  return "promote";
}

// The flags every command takes, with their defaults from the environment.
void AddGlobalFlags(CLI::App& app, promote::cli::GlobalFlags* global) {
  if (const char* lvl = std::getenv("PROMOTE_LOG_LEVEL")) global->log_level = lvl;
  if (const char* agent = std::getenv("PROMOTE_AGENT")) global->agent = agent;
  app.add_option("-o,--output", global->output, "Result format on stdout")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--log-level", global->log_level, "Log level on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--progress-interval", global->progress_interval_s,
                 "Seconds between progress lines on stderr when it is not a terminal (0: none)")
      ->check(CLI::Range(0, 3600));

  app.add_option("--timeout", global->timeout_s, "Cancel the operation after this many seconds (0: never)")
      ->check(CLI::Range(0, 86400));
  app.add_option("--agent", global->agent,
                 "Run against this agent: unix:///path, tls://host:port or tcp://127.0.0.1:port (env PROMOTE_AGENT)");
  app.add_option("--agent-ca", global->agent_ca, "CA certificates to trust for the agent's TLS (env PROMOTE_AGENT_CA)");
  app.add_option("--agent-cert", global->agent_cert, "Client certificate for mTLS to the agent (env PROMOTE_AGENT_CERT)");
  app.add_option("--agent-key", global->agent_key, "Key of --agent-cert (env PROMOTE_AGENT_KEY)");
  app.add_option("--agent-token-file", global->agent_token_file,
                 "File holding the agent's bearer token (env PROMOTE_AGENT_TOKEN_FILE, or the token in PROMOTE_AGENT_TOKEN)");
}

// Every subcommand, with what runs it once argv is parsed.
std::map<CLI::App*, promote::cli::CommandRunner> RegisterCommands(CLI::App& app,
                                                                  const promote::cli::GlobalFlags* global) {
  using namespace promote::cli;
  std::map<CLI::App*, CommandRunner> commands;
  auto add = [&](CommandRunner runner) { commands[app.get_subcommands({}).back()] = std::move(runner); };
  add(RegisterCopyCommand(&app, global));
  add(RegisterResolveCommand(&app, global));
  add(RegisterRunCommand(&app, global));
  add(RegisterHistoryCommand(&app, global));
  add(RegisterScanCommand(&app, global));
  add(RegisterRollbackCommand(&app, global));
  add(RegisterApproveCommand(&app, global));
  add(RegisterKeygenCommand(&app, global));
  add(RegisterSignCommand(&app, global));
  add(RegisterVerifyCommand(&app, global));
  add(RegisterSignBlobCommand(&app, global));
  add(RegisterVerifyBlobCommand(&app, global));
  add(RegisterAgentCommand(&app, global));
  add(RegisterHealthCommand(&app, global));
  return commands;
}

// The exit status of a parse that stopped: --version prints and is 0; --help is 0; a flag error
// is 2, with the JSON result when JSON was asked for.
int ExitOfStoppedParse(const CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  using namespace promote::cli;
  if (dynamic_cast<const CLI::CallForVersion*>(&e) != nullptr) {
    BuildInfo build = CurrentBuild();
    if (AsksForJson(argc, argv)) {
      PrintJson(VersionJson(build));
    } else {
      std::cout << VersionText(build);
    }
    return 0;
  }
  if (e.get_exit_code() != 0 && AsksForJson(argc, argv)) {
    return ReportFailure(OutputFormat::kJson, CommandNamed(app, argc, argv), promote::InvalidArgument(e.what()));
  }
  int rc = app.exit(e);
  return rc == 0 ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"promote: copy, gate, sign and record container image promotions by digest"};
  app.set_version_flag("--version", "", "Print the version, git commit and build date, and exit");
  app.require_subcommand(1);
  // Global flags are taken after the subcommand too (`promote copy -o json …`, as crane and
  // skopeo are used): a subcommand passes the options it does not know to the app. Subcommands
  // inherit this setting when added, so it comes first.
  app.fallthrough();
  // Tag locks of every command meet in the user's runtime directory, as other promote processes'.
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR")) promote::registry::TagLock::UseRuntimeDirectory(runtime);
  promote::cli::GlobalFlags global;
  AddGlobalFlags(app, &global);
  const std::map<CLI::App*, promote::cli::CommandRunner> commands = RegisterCommands(app, &global);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {  // --version and --help stop the parse too
    return ExitOfStoppedParse(app, e, argc, argv);
  }
  auto logger = spdlog::stderr_color_mt("promote");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(global.log_level));
  for (auto* sub : app.get_subcommands()) {
    auto it = commands.find(sub);
    if (it != commands.end()) return it->second();
  }
  return 2;
}
