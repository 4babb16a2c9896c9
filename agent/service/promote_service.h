// PromoteService: every capability of promote as one transport-free service. Each method takes
// the API's request message, runs to completion (or until ctx->cancel is set) and returns the
// outcome. The CLI calls it in-process; the agent's gRPC server calls it for remote clients.
// Methods are safe to call concurrently.
#pragma once

#include <memory>

#include "service/operation.h"

namespace promote::service {

class PromoteService {
 public:
  explicit PromoteService(ServiceSettings settings);

  Outcome Copy(const v1::CopyRequest& request, OperationContext* ctx) const;
  Outcome Resolve(const v1::ResolveRequest& request, OperationContext* ctx) const;
  Outcome Run(const v1::RunRequest& request, OperationContext* ctx) const;
  Outcome Scan(const v1::ScanRequest& request, OperationContext* ctx) const;
  Outcome Sign(const v1::SignRequest& request, OperationContext* ctx) const;
  Outcome Verify(const v1::VerifyRequest& request, OperationContext* ctx) const;
  Outcome History(const v1::HistoryRequest& request, OperationContext* ctx) const;
  Outcome Rollback(const v1::RollbackRequest& request, OperationContext* ctx) const;
  Outcome Approve(const v1::ApproveRequest& request, OperationContext* ctx) const;

  const ServiceSettings& settings() const { return settings_; }

 private:
  ServiceSettings settings_;
};

}  // namespace promote::service
