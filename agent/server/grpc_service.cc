#include "server/grpc_service.h"

#include <openssl/rand.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/status_mapping.h"
#include "server/audit_line.h"
#include "server/descriptor_limit.h"
#include "util/log_context.h"

namespace promote::server {
namespace {

using Clock = std::chrono::steady_clock;

// The caller's x-request-id when it is a sane token, else a fresh random one.
std::string RequestId(const grpc::ServerContext& ctx) {
  auto it = ctx.client_metadata().find("x-request-id");
  if (it != ctx.client_metadata().end() && !it->second.empty() && it->second.size() <= 64) {
    std::string id(it->second.data(), it->second.size());
    if (id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
        std::string::npos) {
      return id;
    }
  }
  unsigned char bytes[8];
  RAND_bytes(bytes, sizeof bytes);
  static const char* kHex = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

v1::Event ProgressEvent(const service::OperationContext& op) {
  v1::Event e;
  auto* p = e.mutable_progress();
  const auto& c = op.progress;
  p->set_phase(c.phase.load());
  p->set_images_done(c.images_done.load());
  p->set_images_total(c.images_total.load());
  p->set_blobs_done(c.blobs_done.load());
  p->set_blobs_total(c.blobs_total.load());
  p->set_bytes_done(c.bytes_done.load());
  p->set_bytes_total(c.bytes_total.load());
  p->set_bytes_streamed(c.bytes_streamed.load());
  int64_t total = c.bytes_total.load();
  p->set_percent(total > 0 ? static_cast<int>(100 * c.bytes_done.load() / total) : 0);
  p->set_request_id(op.request_id);
  for (const auto& digest : c.BlobsInFlight()) p->add_blobs_in_flight(digest);
  return e;
}

// While an operation runs: turns the caller's cancellation (or deadline, or the agent's
// shutdown deadline) into the operation's cancel token, and streams a progress event when the
// phase changes and at least once a second.
class CallPump {
 public:
  CallPump(grpc::ServerContext* ctx, grpc::ServerWriter<v1::Event>* writer, service::OperationContext* op)
      : ctx_(ctx), writer_(writer), op_(op), thread_([this] { Loop(); }) {}
  ~CallPump() { Stop(); }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // Writes an event (serialised with the pump's own writes). False when the stream is gone.
  bool Write(const v1::Event& e) {
    std::lock_guard lock(write_mu_);
    return writer_->Write(e);
  }

 private:
  void Loop() {
    const char* last_phase = nullptr;
    auto last_sent = Clock::now();
    std::unique_lock lock(mu_);
    while (!stop_) {
      // The context offers no callback for cancellation in the synchronous API: poll it.
      cv_.wait_for(lock, std::chrono::milliseconds(50));
      if (stop_) break;
      if (ctx_->IsCancelled()) op_->cancel.Cancel();
      const char* phase = op_->progress.phase.load();
      if (phase != last_phase || Clock::now() - last_sent >= std::chrono::seconds(1)) {
        last_phase = phase;
        last_sent = Clock::now();
        lock.unlock();
        Write(ProgressEvent(*op_));
        lock.lock();
      }
    }
  }

  grpc::ServerContext* ctx_;
  grpc::ServerWriter<v1::Event>* writer_;
  service::OperationContext* op_;
  std::mutex mu_, write_mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

GrpcPromoteService::GrpcPromoteService(std::shared_ptr<const service::PromoteService> service,
                                       CallerAuth auth, Admission* admission, const RequestLog* log,
                                       metrics::AgentMetrics* metrics)
    : service_(std::move(service)),
      auth_(std::move(auth)),
      admission_(admission),
      log_(log),
      metrics_(metrics) {}

template <typename Request>
grpc::Status GrpcPromoteService::Serve(grpc::ServerContext* ctx, const Request& request,
                                       grpc::ServerWriter<v1::Event>* writer, const char* method,
                                       service::Outcome (service::PromoteService::*operation)(
                                           const Request&, service::OperationContext*) const) {
  auto start = Clock::now();
  service::OperationContext op;
  op.request_id = RequestId(*ctx);
  ctx->AddInitialMetadata("x-request-id", op.request_id);
  nlohmann::json who = {{"request_id", op.request_id}, {"method", method}, {"peer", ctx->peer()}};
  // Every call ends with one audit line: who (as authenticated), what, and how it ended.
  auto audit = [&](const nlohmann::json& what) {
    nlohmann::json line = {{"request_id", op.request_id}, {"method", method}, {"peer", ctx->peer()},
                           {"caller", who.value("caller", "unauthenticated")}};
    for (const auto& [k, v] : what.items()) line[k] = v;
    log_->Audit(line);
  };

  auto caller = auth_.Identify(*ctx);
  if (!caller.ok()) {
    who["reason"] = caller.status().message();
    log_->Warn("unauthenticated", who);
    audit({{"verdict", "unauthenticated"}});
    if (metrics_ != nullptr) metrics_->RecordRefusedCall(method, "unauthenticated", Clock::now() - start);
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, caller.status().message());
  }
  who["caller"] = *caller;
  op.caller = *caller;
  Status admitted = CheckDescriptorsFree(kDescriptorsPerOperation);
  if (admitted.ok()) admitted = admission_->Enter([&] { return ctx->IsCancelled() || shutting_down_.load(); });
  if (!admitted.ok()) {
    who["reason"] = admitted.message();
    log_->Warn("not admitted", who);
    const char* verdict = admitted.code() == Code::kCancelled ? "cancelled" : "not_admitted";
    audit({{"verdict", verdict}});
    if (metrics_ != nullptr) metrics_->RecordRefusedCall(method, verdict, Clock::now() - start);
    return grpc::Status(admitted.code() == Code::kCancelled ? grpc::StatusCode::CANCELLED
                                                            : grpc::StatusCode::RESOURCE_EXHAUSTED,
                        admitted.message());
  }
  log_->Info("started", who);

  service::Outcome outcome;
  {
    ScopedRequestId scope(op.request_id);
    CallPump pump(ctx, writer, &op);
    outcome = ((*service_).*operation)(request, &op);
    pump.Stop();
    admission_->Leave();
    // Counted before the caller hears the result, so a scrape after it sees the call.
    if (metrics_ != nullptr) metrics_->RecordCall(method, outcome.json, Clock::now() - start);
    if (ctx->IsCancelled() && outcome.status.ok()) {
      // Finished in the same instant the caller left: report what happened, the caller is gone.
      log_->Info("finished after the caller cancelled", who);
    }
    v1::Result result = outcome.ToProto();
    result.set_request_id(op.request_id);
    v1::Event event;
    *event.mutable_result() = result;
    pump.Write(event);

    nlohmann::json did = AuditFields(outcome);
    did["exit_code"] = result.exit_code();
    audit(did);
    who["exit_code"] = result.exit_code();
    who["duration_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    if (outcome.status.ok()) {
      log_->Info("finished", who);
      return grpc::Status::OK;
    }
    who["error_code"] = result.error_code();
    who["message"] = result.message();
    log_->Warn("failed", who);
    return grpc::Status(api::GrpcCodeFor(outcome.status.code()), outcome.status.message(), result.SerializeAsString());
  }
}

grpc::Status GrpcPromoteService::Copy(grpc::ServerContext* ctx, const v1::CopyRequest* req,
                                      grpc::ServerWriter<v1::Event>* w) {
  return Serve(ctx, *req, w, "Copy", &service::PromoteService::Copy);
}
grpc::Status GrpcPromoteService::Resolve(grpc::ServerContext* ctx, const v1::ResolveRequest* req,
                                         grpc::ServerWriter<v1::Event>* w) {
  return Serve(ctx, *req, w, "Resolve", &service::PromoteService::Resolve);
}
grpc::Status GrpcPromoteService::Run(grpc::ServerContext* ctx, const v1::RunRequest* req,
                                     grpc::ServerWriter<v1::Event>* w) {
  return Serve(ctx, *req, w, "Run", &service::PromoteService::Run);
}
grpc::Status GrpcPromoteService::Scan(grpc::ServerContext* ctx, const v1::ScanRequest* req,
                                      grpc::ServerWriter<v1::Event>* w) {
  return Serve(ctx, *req, w, "Scan", &service::PromoteService::Scan);
}
grpc::Status GrpcPromoteService::Sign(grpc::ServerContext* ctx, const v1::SignRequest* req,
                                      grpc::ServerWriter<v1::Event>* w) {
  return Serve(ctx, *req, w, "Sign", &service::PromoteService::Sign);
}
grpc::Status GrpcPromoteService::Verify(grpc::ServerContext* ctx, const v1::VerifyRequest* req,
                                        grpc::ServerWriter<v1::Event>* w) {
  return Serve(ctx, *req, w, "Verify", &service::PromoteService::Verify);
}
grpc::Status GrpcPromoteService::History(grpc::ServerContext* ctx, const v1::HistoryRequest* req,
                                         grpc::ServerWriter<v1::Event>* w) {
  return Serve(ctx, *req, w, "History", &service::PromoteService::History);
}
grpc::Status GrpcPromoteService::Rollback(grpc::ServerContext* ctx, const v1::RollbackRequest* req,
                                          grpc::ServerWriter<v1::Event>* w) {
  return Serve(ctx, *req, w, "Rollback", &service::PromoteService::Rollback);
}
grpc::Status GrpcPromoteService::Approve(grpc::ServerContext* ctx, const v1::ApproveRequest* req,
                                         grpc::ServerWriter<v1::Event>* w) {
  return Serve(ctx, *req, w, "Approve", &service::PromoteService::Approve);
}

}  // namespace promote::server
