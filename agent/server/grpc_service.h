// The gRPC face of PromoteService: authenticates each call, admits it under the agent's limits,
// runs the operation while streaming progress and watching for cancellation (client cancel,
// deadline, shutdown), then sends the result and the matching status.
#pragma once

#include <atomic>
#include <memory>

#include "metrics/agent_metrics.h"
#include "promote/v1/promote.grpc.pb.h"
#include "server/admission.h"
#include "server/caller_auth.h"
#include "server/request_log.h"
#include "service/promote_service.h"

namespace promote::server {

class GrpcPromoteService final : public v1::Promote::Service {
 public:
  // `metrics` (may be null: no metrics listener) counts every call; it must outlive this.
  GrpcPromoteService(std::shared_ptr<const service::PromoteService> service, CallerAuth auth,
                     Admission* admission, const RequestLog* log, metrics::AgentMetrics* metrics = nullptr);

  grpc::Status Copy(grpc::ServerContext* ctx, const v1::CopyRequest* req, grpc::ServerWriter<v1::Event>* w) override;
  grpc::Status Resolve(grpc::ServerContext* ctx, const v1::ResolveRequest* req,
                       grpc::ServerWriter<v1::Event>* w) override;
  grpc::Status Run(grpc::ServerContext* ctx, const v1::RunRequest* req, grpc::ServerWriter<v1::Event>* w) override;
  grpc::Status Scan(grpc::ServerContext* ctx, const v1::ScanRequest* req, grpc::ServerWriter<v1::Event>* w) override;
  grpc::Status Sign(grpc::ServerContext* ctx, const v1::SignRequest* req, grpc::ServerWriter<v1::Event>* w) override;
  grpc::Status Verify(grpc::ServerContext* ctx, const v1::VerifyRequest* req,
                      grpc::ServerWriter<v1::Event>* w) override;
  grpc::Status History(grpc::ServerContext* ctx, const v1::HistoryRequest* req,
                       grpc::ServerWriter<v1::Event>* w) override;
  grpc::Status Rollback(grpc::ServerContext* ctx, const v1::RollbackRequest* req,
                        grpc::ServerWriter<v1::Event>* w) override;
  grpc::Status Approve(grpc::ServerContext* ctx, const v1::ApproveRequest* req,
                       grpc::ServerWriter<v1::Event>* w) override;

  // Calls still waiting for admission give up (the agent is shutting down).
  void BeginShutdown() { shutting_down_ = true; }

 private:
  template <typename Request>
  grpc::Status Serve(grpc::ServerContext* ctx, const Request& request, grpc::ServerWriter<v1::Event>* writer,
                     const char* method,
                     service::Outcome (service::PromoteService::*operation)(const Request&,
                                                                           service::OperationContext*) const);

  std::shared_ptr<const service::PromoteService> service_;
  CallerAuth auth_;
  Admission* admission_;
  const RequestLog* log_;
  metrics::AgentMetrics* metrics_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace promote::server
