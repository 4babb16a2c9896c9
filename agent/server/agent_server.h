// AgentServer: `promote agent` — the PromoteService behind gRPC on the addresses of agent.yaml,
// with the standard health service, one registry pool for all callers, and graceful shutdown
// (stop accepting, let running operations finish within the grace period, then cancel them).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "policy/agent_config.h"
#include "server/admission.h"
#include "server/grpc_service.h"
#include "server/request_log.h"
#include "server/unix_listener.h"
#include "util/status.h"

namespace promote::server {

class AgentServer {
 public:
  // Loads the credentials and keys agent.yaml references (a missing one is an error now, not at
  // the first request), binds every address and starts serving.
  static Result<std::unique_ptr<AgentServer>> Start(const policy::AgentConfig& config);
  ~AgentServer();

  // The addresses actually bound ("unix:/run/promote/agent.sock", "127.0.0.1:43117").
  const std::vector<std::string>& addresses() const { return addresses_; }

  // Stops accepting calls and waits up to the grace period for running ones, then cancels them;
  // returns when every call has ended.
  void Shutdown();
  void Wait();

 private:
  AgentServer() = default;
  policy::AgentConfig config_;
  std::unique_ptr<RequestLog> log_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<UnixPeers> unix_peers_;  // outlives the service and the server that consult it
  std::unique_ptr<GrpcPromoteService> grpc_service_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::string> addresses_;
  // Declared after server_: they stop (and their sockets go) before the server is destroyed.
  std::vector<std::unique_ptr<UnixListener>> unix_listeners_;
};

}  // namespace promote::server
