// AgentServer: `promote agent` — the PromoteService behind gRPC on the addresses of agent.yaml,
// with the standard health service, one registry pool for all callers, and graceful shutdown
// (stop accepting, let running operations finish within the grace period, then cancel them).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "metrics/agent_metrics.h"
#include "service/agent_config.h"
#include "server/admission.h"
#include "server/grpc_service.h"
#include "server/request_log.h"
#include "server/unix_listener.h"
#include "util/environment_variables.h"
#include "util/status.h"

namespace promote::server {

class AgentServer {
 public:
  // Loads the credentials and keys agent.yaml references (a missing one is an error now, not at
  // the first request), binds every address and starts serving. `activated_sockets` are listening
  // unix sockets the agent inherited (systemd socket activation): each serves the agent.yaml
  // address with its path instead of a socket the agent binds; the agent takes ownership.
  // `environment` is the agent's own: agent.yaml's env: references resolve in it, and scanners
  // and credential helpers start from it.
  static Result<std::unique_ptr<AgentServer>> Start(const service::AgentConfig& config,
                                                    const EnvironmentVariables& environment,
                                                    const std::vector<int>& activated_sockets = {});
  ~AgentServer();

  // The addresses actually bound ("unix:/run/promote/agent.sock", "127.0.0.1:43117").
  const std::vector<std::string>& addresses() const { return addresses_; }
  // Where /metrics is served ("127.0.0.1:9464", the port as bound); "" without metrics.listen.
  std::string metrics_address() const { return metrics_ ? metrics_->address() : ""; }

  // Stops accepting calls and waits up to the grace period for running ones, then cancels them;
  // returns when every call has ended.
  void Shutdown();
  void Wait();

 private:
  AgentServer() = default;
  // Binds agent.yaml's addresses (adopting the activated sockets), starts the gRPC server on them
  // and records them as served.
  Status Listen(const service::AgentConfig& config, const std::vector<int>& activated_sockets);
  service::AgentConfig config_;
  std::unique_ptr<RequestLog> log_;
  std::unique_ptr<Admission> admission_;
  // After admission_, whose counts it reads at each scrape; stopped first in the destructor (the
  // registry pool may keep it alive as its request observer).
  std::shared_ptr<metrics::AgentMetrics> metrics_;
  std::unique_ptr<UnixPeers> unix_peers_;  // outlives the service and the server that consult it
  std::unique_ptr<GrpcPromoteService> grpc_service_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::string> addresses_;
  // Declared after server_: they stop (and their sockets go) before the server is destroyed.
  std::vector<std::unique_ptr<UnixListener>> unix_listeners_;
};

}  // namespace promote::server
