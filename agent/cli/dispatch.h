// Where a command's request goes: to the agent named by --agent / PROMOTE_AGENT, or to the same
// PromoteService in this process. Either way the command prints the Result the service produced
// (JSON or text on stdout, diagnostics on stderr) and exits with its exit code, so output is
// identical in both modes. Ctrl-C (SIGINT/SIGTERM) and --timeout cancel the operation: the
// copy stops and no tag is written.
#pragma once

#include <string>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "client/agent_client.h"
#include "service/promote_service.h"

namespace promote::cli {

template <typename Request>
using LocalOperation = service::Outcome (service::PromoteService::*)(const Request&, service::OperationContext*) const;

// The in-process service a command runs against, configured from its registry flags.
service::ServiceSettings LocalSettings(const RegistryFlags* registry);

// Runs `local` in-process or `remote` against the agent; prints; returns the exit code.
int Execute(const GlobalFlags& global, const std::string& command,
            const std::function<service::Outcome(const service::PromoteService&, service::OperationContext*)>& local,
            const RegistryFlags* registry, const client::StartCall& remote);

template <typename Request>
int Dispatch(const GlobalFlags& global, const std::string& command, const Request& request,
             LocalOperation<Request> local, const RegistryFlags* registry,
             std::unique_ptr<grpc::ClientReader<v1::Event>> (v1::Promote::Stub::*remote)(grpc::ClientContext*,
                                                                                        const Request&)) {
  return Execute(
      global, command,
      [&](const service::PromoteService& svc, service::OperationContext* ctx) { return (svc.*local)(request, ctx); },
      registry, [&](v1::Promote::Stub* stub, grpc::ClientContext* ctx) { return (stub->*remote)(ctx, request); });
}

// Prints a result (JSON or text on stdout, diagnostics on stderr); returns its exit code.
int PrintResult(const GlobalFlags& global, const v1::Result& result);

// The agent endpoint from --agent* flags and PROMOTE_AGENT_* variables (the token never from a flag).
Result<client::AgentEndpoint> AgentEndpointFromFlags(const GlobalFlags& global);

// Prints a failure that happened before any request was made (bad flags, unreadable files).
int PrintFailure(const GlobalFlags& global, const std::string& command, const Status& status,
                 nlohmann::json body = nlohmann::json::object());

// Prints the result of a command that runs here, without the service (keygen, sign-blob,
// verify-blob): with -o json the result envelope (`body` on success), a failure on stderr, and
// `text` on stdout on success in text mode. Returns the exit code.
int PrintLocalResult(const GlobalFlags& global, const std::string& command, const Status& status,
                     const nlohmann::json& body, const std::string& text);

// Reads a file the request carries (promote.yaml, keys, policies). kInvalidArgument naming it.
Result<v1::File> ReadRequestFile(const std::string& path, const std::string& what);

// Registry access the CLI's flags ask for: explicit credentials (for the given source and target
// registries), plain-HTTP hosts, retries, request limit.
Result<v1::RegistryAccess> AccessFromFlags(const RegistryFlags& flags, const std::vector<std::string>& source_hosts,
                                           const std::vector<std::string>& target_hosts);

// The registry host of a reference as a one-element list (empty when it does not parse), for
// attaching --src credentials.
std::vector<std::string> HostOf(const std::string& ref);

}  // namespace promote::cli
