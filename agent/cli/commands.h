// The `promote` subcommands. Each registers its flags on the app and returns the exit code
// when run. They parse and print; the work happens in the modules below.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "cli/output.h"

namespace promote::cli {

struct GlobalFlags {
  std::string output = "text";
  std::string log_level = "warn";
  int progress_interval_s = 5;
  int timeout_s = 0;  // 0: none
  // The agent to run against (--agent or PROMOTE_AGENT); empty: in-process.
  std::string agent;
  std::string agent_ca, agent_cert, agent_key, agent_token_file;
  OutputFormat format() const { return output == "json" ? OutputFormat::kJson : OutputFormat::kText; }
};

using CommandRunner = std::function<int()>;

CommandRunner RegisterCopyCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterResolveCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterRunCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterHistoryCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterScanCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterRollbackCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterApproveCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterKeygenCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterSignCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterVerifyCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterSignBlobCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterVerifyBlobCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterAgentCommand(CLI::App* app, const GlobalFlags* global);
CommandRunner RegisterHealthCommand(CLI::App* app, const GlobalFlags* global);

}  // namespace promote::cli
