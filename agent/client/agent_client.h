// AgentClient: the CLI's connection to a running `promote agent`.
//
// Addresses: unix:///path (or unix:/path) — the agent's socket; tcp://host:port — plain TCP,
// loopback hosts only; tls://host:port or host:port — TLS, trusting the system roots or
// `ca_file`. A client certificate (`cert_file`, `key_file`) gives mTLS; a token (`token`) is
// sent as "authorization: Bearer …" on every call.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/grpcpp.h>

#include "copy/copy_progress.h"
#include "promote/v1/promote.grpc.pb.h"
#include "util/secret.h"
#include "util/status.h"

namespace promote::client {

struct AgentEndpoint {
  std::string address;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  Secret token;
};

// Starts one server-streaming call on the stub.
using StartCall =
    std::function<std::unique_ptr<grpc::ClientReader<v1::Event>>(v1::Promote::Stub*, grpc::ClientContext*)>;

// Lets another thread cancel a call in flight (Ctrl-C, --timeout).
class CallControl {
 public:
  void Cancel();

 private:
  friend class AgentClient;
  void Attach(grpc::ClientContext* ctx);
  void Detach();
  std::mutex mu_;
  grpc::ClientContext* ctx_ = nullptr;
  bool cancelled_ = false;
};

class AgentClient {
 public:
  // Validates the address and reads the TLS files; does not connect yet.
  static Result<std::unique_ptr<AgentClient>> Create(const AgentEndpoint& endpoint);

  // Runs one call: progress events update `progress`, the Result event is returned. A call that
  // ended without a Result (unreachable agent, refused caller, shutdown) returns the Status.
  Result<v1::Result> Call(const std::string& command, const StartCall& start, copy::CopyProgress* progress,
                          CallControl* control) const;

  // The standard health check: "SERVING", "NOT_SERVING", … or an error.
  Result<std::string> Health() const;

  const std::string& address() const { return address_; }

 private:
  AgentClient() = default;
  void Prepare(grpc::ClientContext* ctx) const;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  Secret token_;
};

}  // namespace promote::client
