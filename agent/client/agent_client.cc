#include "client/agent_client.h"

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "grpc/health/v1/health.grpc.pb.h"
#include "oci/reference.h"
#include "util/read_file.h"
#include "api/status_mapping.h"

namespace promote::client {
namespace {


bool IsLoopbackHostPort(const std::string& host_port) {
  std::string host = host_port;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

void CallControl::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (ctx_ != nullptr) ctx_->TryCancel();
}

void CallControl::Attach(grpc::ClientContext* ctx) {
  std::lock_guard lock(mu_);
  ctx_ = ctx;
  if (cancelled_) ctx_->TryCancel();
}

void CallControl::Detach() {
  std::lock_guard lock(mu_);
  ctx_ = nullptr;
}

Result<std::unique_ptr<AgentClient>> AgentClient::Create(const AgentEndpoint& endpoint) {
  std::unique_ptr<AgentClient> c(new AgentClient());
  c->token_ = endpoint.token;
  const std::string& a = endpoint.address;
  const std::string what = "agent address '" + a + "'";
  if (a.empty()) return InvalidArgument("agent address is empty (--agent or PROMOTE_AGENT)");
  if (a.find_first_of(" \t\r\n") != std::string::npos) return InvalidArgument(what + ": contains whitespace");
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  std::string target;
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (a.rfind("unix:", 0) == 0) {
    std::string path = a.substr(5);
    if (path.rfind("//", 0) == 0) path = path.substr(2);
    if (path.empty() || path[0] != '/') return InvalidArgument(what + ": use unix:///absolute/path");
    target = "unix:" + path;
    creds = grpc::InsecureChannelCredentials();
  } else if (a.rfind("tcp://", 0) == 0) {
    target = a.substr(6);
    if (!IsLoopbackHostPort(target)) {
      return InvalidArgument(what + ": plain TCP is only for loopback agents; use tls://host:port");
    }
    creds = grpc::InsecureChannelCredentials();
  } else {
    // Without a scheme the address went to gRPC's DNS resolver, whose error named no scheme.
    if (a.rfind("tls://", 0) != 0) {
      return InvalidArgument(what + ": the scheme must be unix:// (unix:///path), tls:// (tls://host:port) or, " +
                             "for a loopback agent, tcp:// (tcp://127.0.0.1:port)");
    }
    target = a.substr(6);
    grpc::SslCredentialsOptions ssl;
    if (!endpoint.ca_file.empty()) {
      PROMOTE_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadSmallFile(endpoint.ca_file, "agent CA file"));
    }
    if (endpoint.cert_file.empty() != endpoint.key_file.empty()) {
      return InvalidArgument("an agent client certificate needs both the certificate and its key");
    }
    if (!endpoint.cert_file.empty()) {
      PROMOTE_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadSmallFile(endpoint.cert_file, "agent client certificate"));
      PROMOTE_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadSmallFile(endpoint.key_file, "agent client key"));
    }
    creds = grpc::SslCredentials(ssl);
  }
  if (target.empty() || (target[0] != '/' && target.rfind("unix:", 0) != 0 && target.find(':') == std::string::npos)) {
    return InvalidArgument(what + ": expected host:port");
  }
  c->address_ = a;
  c->channel_ = grpc::CreateCustomChannel(target, creds, args);
  return c;
}

void AgentClient::Prepare(grpc::ClientContext* ctx) const {
  if (!token_.reveal().empty()) ctx->AddMetadata("authorization", "Bearer " + std::string(token_.reveal()));
}

Result<v1::Result> AgentClient::Call(const std::string& command, const StartCall& start,
                                     copy::CopyProgress* progress, CallControl* control) const {
  v1::Promote::Stub stub(channel_);
  grpc::ClientContext ctx;
  Prepare(&ctx);
  if (control != nullptr) control->Attach(&ctx);
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader = start(&stub, &ctx);
  v1::Event event;
  std::optional<v1::Result> result;
  // Progress phases are string literals on the agent's side; here they are kept alive by this set.
  static std::mutex phases_mu;
  static std::set<std::string>* phases = new std::set<std::string>();
  while (reader->Read(&event)) {
    if (event.has_result()) {
      result = event.result();
    } else if (event.has_progress() && progress != nullptr) {
      const auto& p = event.progress();
      progress->images_done = p.images_done();
      progress->images_total = p.images_total();
      progress->blobs_done = p.blobs_done();
      progress->blobs_total = p.blobs_total();
      progress->bytes_done = p.bytes_done();
      progress->bytes_total = p.bytes_total();
      progress->bytes_streamed = p.bytes_streamed();
      progress->SetBlobsInFlight({p.blobs_in_flight().begin(), p.blobs_in_flight().end()});
      std::lock_guard lock(phases_mu);
      progress->phase = phases->insert(p.phase()).first->c_str();
    }
  }
  grpc::Status status = reader->Finish();
  if (control != nullptr) control->Detach();
  if (result) return *result;
  Code code = api::CodeForGrpc(status.error_code());
  if (code == Code::kOk) return Internal("the agent ended the " + command + " call without a result");
  std::string message = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    message = "agent " + address_ + " is unreachable: " + message;
  } else {
    message = "agent " + address_ + ": " + message;
  }
  return Status(code, message);
}

Result<std::string> AgentClient::Health() const {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  Prepare(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status st = stub->Check(&ctx, req, &resp);
  if (!st.ok()) {
    return Status(api::CodeForGrpc(st.error_code()), "agent " + address_ + ": health check: " + st.error_message());
  }
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status());
}

}  // namespace promote::client
