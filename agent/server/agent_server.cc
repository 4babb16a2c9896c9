#include "server/agent_server.h"

#include <chrono>
#include <map>
#include <fstream>
#include <sstream>

#include <grpcpp/health_check_service_interface.h>

#include "policy/secret_ref.h"
#include "server/descriptor_limit.h"
#include "sigstore/ec_key.h"
#include "util/read_file.h"

namespace promote::server {
namespace {


// Registry credentials of agent.yaml, resolved now so a missing variable stops the start.
Result<std::shared_ptr<const registry::Keychain>> BuildKeychain(const service::AgentConfig& config,
                                                                const EnvironmentVariables& environment) {
  auto chain = std::make_shared<registry::ChainKeychain>();
  auto hosts = std::make_shared<registry::StaticKeychain>();
  for (const auto& r : config.registries) {
    registry::Credentials c;
    PROMOTE_ASSIGN_OR_RETURN(c.username,
                             policy::ResolveUsername(r.username, "registry " + r.host + " username", environment));
    PROMOTE_ASSIGN_OR_RETURN(c.password,
                             policy::ResolveSecret(r.password, "registry " + r.host + " password", environment));
    hosts->Add(r.host, std::move(c));
  }
  chain->Append(hosts);
  if (!config.docker_config.empty()) {
    chain->Append(std::make_shared<registry::DockerConfigKeychain>(config.docker_config, environment));
  }
  return std::shared_ptr<const registry::Keychain>(chain);
}

// Public key files a policy rule names, read and checked.
Result<std::vector<std::string>> ReadPolicyKeys(const std::vector<std::string>& paths, const std::string& what) {
  std::vector<std::string> pems;
  for (const auto& path : paths) {
    PROMOTE_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(path, what));
    PROMOTE_RETURN_IF_ERROR(sigstore::PublicKey::FromPem(pem, path).status().WithContext(what));
    pems.push_back(std::move(pem));
  }
  return pems;
}

// The policy with the public keys its signature, provenance and approval rules name, read (and
// checked) once at start.
Result<std::shared_ptr<const policy::ServerPolicy>> LoadPolicy(const service::AgentConfig& config) {
  if (config.policy.empty()) return std::shared_ptr<const policy::ServerPolicy>();
  auto loaded = std::make_shared<policy::ServerPolicy>(config.policy);
  for (auto& app : loaded->applications) {
    for (auto& env : app.environments) {
      PROMOTE_ASSIGN_OR_RETURN(env.signature_key_pems,
                               ReadPolicyKeys(env.signature_keys, loaded->Where(env.line) + ": policy signature key"));
      if (env.provenance) {
        PROMOTE_ASSIGN_OR_RETURN(env.provenance->key_pems,
                                 ReadPolicyKeys(env.provenance->keys, loaded->Where(env.line) + ": policy provenance key"));
      }
      if (env.approval) {
        for (const auto& a : env.approval->approvers) {
          if (a.key.empty()) continue;
          PROMOTE_ASSIGN_OR_RETURN(auto pems, ReadPolicyKeys({a.key}, loaded->Where(env.line) +
                                                                          ": policy approval key of '" + a.identity + "'"));
          env.approval->approver_key_pems[a.identity] = std::move(pems.front());
        }
      }
    }
  }
  return std::shared_ptr<const policy::ServerPolicy>(std::move(loaded));
}

Result<std::shared_ptr<grpc::ServerCredentials>> TcpCredentials(const service::AgentConfig& config) {
  if (!config.tls()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  PROMOTE_ASSIGN_OR_RETURN(pair.cert_chain, ReadSmallFile(config.tls_cert, "tls.cert"));
  PROMOTE_ASSIGN_OR_RETURN(pair.private_key, ReadSmallFile(config.tls_key, "tls.key"));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!config.tls_client_ca.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(options.pem_root_certs, ReadSmallFile(config.tls_client_ca, "tls.client-ca"));
    // With tokens as well, a caller may use either; otherwise the certificate is required.
    options.client_certificate_request =
        config.token_file.empty() ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                  : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// How long a connection may hold a descriptor without doing anything useful. gRPC's defaults let
// a peer that never completes the handshake stay 120 s and one that never calls stay forever.
void BoundConnections(const service::AgentLimits& limits, grpc::ServerBuilder* builder) {
  builder->AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, limits.handshake_timeout_seconds * 1000);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, limits.idle_connection_seconds * 1000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, limits.keepalive_seconds * 1000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  // A long call may be quiet between progress events; keepalive pings must not be capped there.
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.streams_per_connection);
}

// The unix addresses of agent.yaml, each accepted by the agent so each caller's uid is known
// (gRPC's own listener does not say). A socket systemd passed (socket activation) serves the
// address with its path; the others are bound here. A passed socket that agent.yaml does not name
// is refused: agent.yaml says what the agent serves.
Result<std::vector<std::unique_ptr<UnixListener>>> ListenOnUnixSockets(const service::AgentConfig& config,
                                                                       const std::vector<int>& activated_sockets) {
  std::map<std::string, int> activated;  // by path
  for (int fd : activated_sockets) {
    auto path = UnixListener::BoundPath(fd);
    if (!path.ok()) return InvalidArgument("socket activation: " + path.status().message());
    activated[*path] = fd;
  }
  std::vector<std::unique_ptr<UnixListener>> listeners;
  for (const auto& a : config.listen) {
    if (a.kind != service::ListenAddress::kUnix) continue;
    auto it = activated.find(a.path);
    if (it != activated.end()) {
      PROMOTE_ASSIGN_OR_RETURN(auto listener, UnixListener::Adopt(it->second, a.original));
      listeners.push_back(std::move(listener));
      activated.erase(it);
    } else {
      PROMOTE_ASSIGN_OR_RETURN(auto listener,
                               UnixListener::Bind(a.path, config.socket_mode, config.socket_group, a.original));
      listeners.push_back(std::move(listener));
    }
  }
  if (!activated.empty()) {
    return InvalidArgument("socket activation: the socket " + activated.begin()->first +
                           " is not one of agent.yaml's listen addresses (add unix://" + activated.begin()->first +
                           " to listen, or change the .socket unit's ListenStream)");
  }
  return listeners;
}

// What the agent's PromoteService works with: agent.yaml's credentials, signing key, scanners,
// limits and policy, resolved now so a missing variable or key stops the start.
Result<service::ServiceSettings> AgentServiceSettings(const service::AgentConfig& config,
                                                      const EnvironmentVariables& environment,
                                                      const std::shared_ptr<metrics::AgentMetrics>& metrics) {
  service::ServiceSettings settings;
  if (metrics) settings.registry.observer = metrics;
  settings.environment = environment;
  PROMOTE_ASSIGN_OR_RETURN(settings.keychain, BuildKeychain(config, environment));
  settings.tls.ca_file = config.ca_file;
  settings.registry.plain_http_registries = config.plain_http;
  settings.registry.max_concurrent_requests = config.limits.registry_requests;
  settings.accept_request_secrets = config.allow_request_credentials;
  settings.honour_request_access = false;
  // The agent's key passphrase comes only from agent.yaml, never from whatever its environment holds.
  PROMOTE_ASSIGN_OR_RETURN(settings.signing, promotion::LoadSigningKey(config.signing, std::nullopt, environment));
  settings.scanners = config.scanners;
  settings.max_jobs = config.limits.jobs;
  PROMOTE_ASSIGN_OR_RETURN(settings.policy, LoadPolicy(config));
  settings.shared_pool = std::make_shared<registry::RegistryPool>(settings.keychain, settings.tls, settings.registry);
  return settings;
}

// The addresses of agent.yaml as served, TCP ones with the port bound (`ports`, by address).
Result<std::vector<std::string>> ServedAddresses(const service::AgentConfig& config,
                                                 const std::vector<int>& ports) {
  std::vector<std::string> addresses;
  for (size_t i = 0; i < config.listen.size(); ++i) {
    const auto& a = config.listen[i];
    if (a.kind == service::ListenAddress::kUnix) {
      addresses.push_back("unix://" + a.path);
    } else {
      if (ports[i] == 0) return Unavailable("listen " + a.original + ": could not bind");
      service::ListenAddress bound = a;
      bound.port = ports[i];
      addresses.push_back((config.tls() ? "tls://" : "tcp://") + bound.GrpcAddress());
    }
  }
  return addresses;
}

}  // namespace

Result<std::unique_ptr<AgentServer>> AgentServer::Start(const service::AgentConfig& config,
                                                        const EnvironmentVariables& environment,
                                                        const std::vector<int>& activated_sockets) {
  std::unique_ptr<AgentServer> s(new AgentServer());
  s->config_ = config;
  s->log_ = std::make_unique<RequestLog>(config.log_json, config.log_level);
  s->log_->CaptureLibraryLog();
  for (const auto& w : config.warnings) s->log_->Warn("config", {{"warning", w}});
  DescriptorLimit descriptors = RaiseDescriptorLimit();
  s->log_->Info("descriptors", {{"limit", descriptors.after}, {"was", descriptors.before}, {"hard", descriptors.hard}});

  if (config.metrics_listen) s->metrics_ = std::make_shared<metrics::AgentMetrics>();
  PROMOTE_ASSIGN_OR_RETURN(service::ServiceSettings settings,
                           AgentServiceSettings(config, environment, s->metrics_));
  auto service = std::make_shared<const service::PromoteService>(std::move(settings));

  s->unix_peers_ = std::make_unique<UnixPeers>();
  PROMOTE_ASSIGN_OR_RETURN(CallerAuth auth, CallerAuth::Create(config.token_file, !config.tls_client_ca.empty(),
                                                               s->unix_peers_.get()));
  s->admission_ = std::make_unique<Admission>(config.limits.operations, config.limits.queue);
  s->grpc_service_ = std::make_unique<GrpcPromoteService>(service, std::move(auth), s->admission_.get(),
                                                          s->log_.get(), s->metrics_.get());
  if (s->metrics_) {
    Admission* admission = s->admission_.get();
    s->metrics_->WatchOperations([admission] { return admission->running(); },
                                 [admission] { return admission->queued(); }, config.limits.operations,
                                 config.limits.queue);
    PROMOTE_RETURN_IF_ERROR(s->metrics_->Serve(config.metrics_listen->GrpcAddress()));
  }

  PROMOTE_RETURN_IF_ERROR(s->Listen(config, activated_sockets));
  if (auto* health = s->server_->GetHealthCheckService()) health->SetServingStatus(true);
  nlohmann::json listening = {{"addresses", s->addresses_},
                              {"tls", config.tls()},
                              {"mtls", !config.tls_client_ca.empty()},
                              {"tokens", !config.token_file.empty()}};
  if (s->metrics_) listening["metrics"] = s->metrics_address();
  s->log_->Info("listening", listening);
  return s;
}

Status AgentServer::Listen(const service::AgentConfig& config, const std::vector<int>& activated_sockets) {
  PROMOTE_ASSIGN_OR_RETURN(auto tcp_credentials, TcpCredentials(config));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  std::vector<int> ports(config.listen.size(), 0);
  PROMOTE_ASSIGN_OR_RETURN(auto unix_listeners, ListenOnUnixSockets(config, activated_sockets));
  for (size_t i = 0; i < config.listen.size(); ++i) {
    const auto& a = config.listen[i];
    if (a.kind != service::ListenAddress::kUnix) builder.AddListeningPort(a.GrpcAddress(), tcp_credentials, &ports[i]);
  }
  builder.RegisterService(grpc_service_.get());
  builder.SetMaxReceiveMessageSize(8 << 20);
  BoundConnections(config.limits, &builder);
  server_ = builder.BuildAndStart();
  if (!server_) return Unavailable("the agent could not listen on its addresses (in use, or not permitted)");
  for (auto& listener : unix_listeners) listener->Start(server_.get(), unix_peers_.get());
  unix_listeners_ = std::move(unix_listeners);
  PROMOTE_ASSIGN_OR_RETURN(addresses_, ServedAddresses(config, ports));
  return OkStatus();
}

AgentServer::~AgentServer() {
  if (metrics_) metrics_->Stop();
  // Nothing may hand the server a connection while it goes away.
  for (auto& listener : unix_listeners_) listener->Stop();
}

void AgentServer::Shutdown() {
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
  log_->Info("shutting down", {{"grace_seconds", config_.shutdown_grace_seconds},
                               {"running", admission_->running()},
                               {"queued", admission_->queued()}});
  grpc_service_->BeginShutdown();
  for (auto& listener : unix_listeners_) listener->Stop();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(config_.shutdown_grace_seconds));
  log_->Info("stopped", nlohmann::json::object());
}

void AgentServer::Wait() { server_->Wait(); }

}  // namespace promote::server
