// promote agent: serve the PromoteService over gRPC (agent.yaml), and promote health: ask a
// running agent whether it serves.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/dispatch.h"
#include "cli/process_environment.h"
#include "cli/socket_activation.h"
#include "service/agent_config.h"
#include "policy/secret_ref.h"
#include "server/agent_server.h"
#include "service/result_envelope.h"

namespace promote::cli {
namespace {

struct AgentFlags {
  std::string config = "/etc/promote/agent.yaml";
};

}  // namespace

CommandRunner RegisterAgentCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<AgentFlags>();
  CLI::App* cmd = app->add_subcommand(
      "agent", "Serve promote over gRPC for pipelines (unix socket and/or TCP with TLS), as agent.yaml says");
  cmd->add_option("-c,--config", flags->config, "agent.yaml")->capture_default_str();

  return [flags, global]() -> int {
    // SIGTERM/SIGINT are taken by sigwait below; block them before any server thread starts so
    // every thread inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    // First, so no thread or child sees the variables or the descriptors before they are claimed.
    auto activated = TakeActivatedSockets();
    if (!activated.ok()) return PrintFailure(*global, "agent", activated.status());
    auto config = service::LoadAgentConfig(flags->config);
    if (!config.ok()) return PrintFailure(*global, "agent", config.status());
    // Before anything can start a credential helper or a scanner.
    policy::WithholdSecretsFromChildren(*config);
    auto server = server::AgentServer::Start(*config, ProcessEnvironment(), *activated);
    if (!server.ok()) return PrintFailure(*global, "agent", server.status());
    // One line on stdout once serving, so a supervisor (or a test) knows where and when.
    nlohmann::json ready = {{"listening", (*server)->addresses()}};
    if (!(*server)->metrics_address().empty())
      ready["metrics"] = "http://" + (*server)->metrics_address() + "/metrics";
    std::cout << ready.dump() << std::endl;

    int sig = 0;
    sigwait(&signals, &sig);
    (*server)->Shutdown();
    (*server)->Wait();
    return 0;
  };
}

CommandRunner RegisterHealthCommand(CLI::App* app, const GlobalFlags* global) {
  CLI::App* cmd = app->add_subcommand("health", "Check that the agent (--agent or PROMOTE_AGENT) is serving");
  (void)cmd;
  return [global]() -> int {
    if (global->agent.empty()) {
      return PrintFailure(*global, "health", InvalidArgument("health checks an agent: pass --agent ADDR or set PROMOTE_AGENT"));
    }
    auto status = [&]() -> Result<std::string> {
      PROMOTE_ASSIGN_OR_RETURN(client::AgentEndpoint endpoint, AgentEndpointFromFlags(*global));
      PROMOTE_ASSIGN_OR_RETURN(auto agent, client::AgentClient::Create(endpoint));
      return agent->Health();
    }();
    if (!status.ok()) return PrintFailure(*global, "health", status.status());
    Status st = *status == "SERVING" ? OkStatus() : Unavailable("agent " + global->agent + " is " + *status);
    service::Outcome out;
    out.command = "health";
    out.status = st;
    out.json = service::ResultEnvelope("health", st, {{"agent", global->agent}, {"serving", *status}});
    out.text = global->agent + ": " + *status + "\n";
    return PrintResult(*global, out.ToProto());
  };
}

}  // namespace promote::cli
