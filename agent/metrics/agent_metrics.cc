#include "metrics/agent_metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <sstream>

#include "util/json_fields.h"

namespace promote::metrics {
namespace {

// From a quick Resolve to a large promotion over a slow link.
const prometheus::Histogram::BucketBoundaries kCallBuckets = {0.01, 0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                                              5,    10,   30,  60,   120, 300, 900};

std::string StatusClass(long status) {
  if (status == 0) return "error";  // no HTTP answer: connect, TLS, reset, timeout
  if (status < 100 || status > 599) return "other";
  return std::to_string(status / 100) + "xx";
}

double Number(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number() && it->get<double>() > 0 ? it->get<double>() : 0;
}

const nlohmann::json& Member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it != j.end() ? *it : kNull;
}

// "ok", or the result's error code ("conflict", "gate_refused", …).
std::string ResultCode(const nlohmann::json& result) {
  if (Member(result, "ok") == true) return "ok";
  std::string code = StringMember(Member(result, "error"), "code");
  return code.empty() ? "internal" : code;
}

}  // namespace

// Operations running and waiting for a slot, read when scraped rather than tracked as they change.
class AgentMetrics::OperationGauges : public prometheus::Collectable {
 public:
  void Watch(std::function<int()> running, std::function<int()> queued, int max_running, int max_queued) {
    std::lock_guard lock(mu_);
    running_ = std::move(running);
    queued_ = std::move(queued);
    max_running_ = max_running;
    max_queued_ = max_queued;
  }
  void Forget() { Watch(nullptr, nullptr, 0, 0); }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::lock_guard lock(mu_);
    if (!running_ || !queued_) return {};
    return {Gauge("promote_operations_in_flight", "Operations running now.", running_()),
            Gauge("promote_operations_queued", "Operations waiting for a slot (limits.queue).", queued_()),
            Gauge("promote_operations_limit", "Operations that may run at once (limits.operations).",
                  max_running_),
            Gauge("promote_operations_queue_limit", "Operations that may wait for a slot (limits.queue).",
                  max_queued_)};
  }

 private:
  static prometheus::MetricFamily Gauge(const char* name, const char* help, double value) {
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric m;
    m.gauge.value = value;
    f.metric.push_back(m);
    return f;
  }

  mutable std::mutex mu_;
  std::function<int()> running_, queued_;
  int max_running_ = 0, max_queued_ = 0;
};

AgentMetrics::AgentMetrics()
    : registry_(std::make_shared<prometheus::Registry>()), operations_(std::make_shared<OperationGauges>()) {
  calls_ = &prometheus::BuildCounter()
                .Name("promote_calls_total")
                .Help("gRPC calls by method and result code (ok, or the error code of the JSON result).")
                .Register(*registry_);
  call_seconds_ =
      &prometheus::BuildHistogram()
           .Name("promote_call_duration_seconds")
           .Help("Duration of gRPC calls by method, from arrival (queueing included) to the result.")
           .Register(*registry_);
  promotions_ = &prometheus::BuildCounter()
                     .Name("promote_promotions_total")
                     .Help(
                         "Promotions (Run) by target environment and status: promoted, unchanged, planned, "
                         "refused, failed.")
                     .Register(*registry_);
  copies_ = &prometheus::BuildCounter()
                 .Name("promote_copies_total")
                 .Help("Image copies (Copy) by result: ok, or the error code.")
                 .Register(*registry_);
  gate_verdicts_ = &prometheus::BuildCounter()
                        .Name("promote_gate_verdicts_total")
                        .Help("Gate verdicts of promotions by gate and verdict.")
                        .Register(*registry_);
  bytes_ = &prometheus::BuildCounter()
                .Name("promote_blob_bytes_total")
                .Help(
                    "Blob bytes of copies and promotions by disposition: copied (streamed), mounted, skipped "
                    "(already there).")
                .Register(*registry_);
  registry_requests_ =
      &prometheus::BuildCounter()
           .Name("promote_registry_requests_total")
           .Help(
               "HTTP requests to registries (and their token services) by registry host, status "
               "class (2xx…5xx, error: no answer) and whether it was a retry.")
           .Register(*registry_);
  token_lookups_ =
      &prometheus::BuildCounter()
           .Name("promote_registry_token_lookups_total")
           .Help("Bearer tokens needed by registry host, served from the cache (hit) or fetched (miss).")
           .Register(*registry_);
}

AgentMetrics::~AgentMetrics() { Stop(); }

Status AgentMetrics::Serve(const std::string& address) {
  std::lock_guard lock(mu_);
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(address, 2);
    exposer->RegisterCollectable(registry_);
    exposer->RegisterCollectable(operations_);
    auto ports = exposer->GetListeningPorts();
    if (ports.empty()) return Unavailable("metrics.listen " + address + ": could not listen");
    address_ = address.substr(0, address.rfind(':')) + ":" + std::to_string(ports.front());
    exposer_ = std::move(exposer);
  } catch (const std::exception& e) {
    return Unavailable("metrics.listen " + address +
                       ": could not listen (in use, or not permitted): " + e.what());
  }
  return OkStatus();
}

std::string AgentMetrics::address() const {
  std::lock_guard lock(mu_);
  return address_;
}

void AgentMetrics::Stop() {
  std::unique_ptr<prometheus::Exposer> exposer;
  {
    std::lock_guard lock(mu_);
    exposer = std::move(exposer_);
    address_.clear();
  }
  exposer.reset();  // joins the HTTP threads
  operations_->Forget();
}

void AgentMetrics::WatchOperations(std::function<int()> running, std::function<int()> queued, int max_running,
                                   int max_queued) {
  operations_->Watch(std::move(running), std::move(queued), max_running, max_queued);
}

void AgentMetrics::RecordCall(std::string_view method, const nlohmann::json& result,
                              std::chrono::duration<double> elapsed) {
  const std::string m(method);
  calls_->Add({{"method", m}, {"code", words_(ResultCode(result))}}).Increment();
  call_seconds_->Add({{"method", m}}, kCallBuckets).Observe(elapsed.count());
  if (method == "Copy") RecordCopy(result);
  if (method == "Run") RecordRun(result);
}

void AgentMetrics::RecordRefusedCall(std::string_view method, std::string_view code,
                                     std::chrono::duration<double> elapsed) {
  const std::string m(method);
  calls_->Add({{"method", m}, {"code", words_(code)}}).Increment();
  call_seconds_->Add({{"method", m}}, kCallBuckets).Observe(elapsed.count());
}

void AgentMetrics::RecordCopy(const nlohmann::json& result) {
  const nlohmann::json& each = Member(result, "results");
  if (each.is_array()) {
    for (const auto& r : each) RecordCopy(r);
    return;
  }
  copies_->Add({{"result", words_(ResultCode(result))}}).Increment();
  RecordBytes(result);
}

void AgentMetrics::RecordRun(const nlohmann::json& result) {
  std::string env = environments_(StringMember(Member(result, "to"), "env"));
  std::string status = StringMember(result, "status");
  promotions_->Add({{"environment", env}, {"result", words_(status.empty() ? "failed" : status)}})
      .Increment();
  const nlohmann::json& gates = Member(result, "gates");
  if (gates.is_array()) {
    for (const auto& g : gates) {
      gate_verdicts_
          ->Add({{"gate", gates_(StringMember(g, "name"))}, {"verdict", words_(StringMember(g, "verdict"))}})
          .Increment();
    }
  }
  RecordBytes(result);
}

void AgentMetrics::RecordBytes(const nlohmann::json& result) {
  const nlohmann::json& bytes = Member(result, "bytes");
  for (const char* disposition : {"copied", "mounted", "skipped"}) {
    // Every disposition is there from the first copy on, so rate() sees zeros rather than gaps.
    bytes_->Add({{"disposition", disposition}}).Increment(Number(bytes, disposition));
  }
}

void AgentMetrics::OnRequest(const registry::RequestEvent& event) {
  registry_requests_
      ->Add({{"host", hosts_(event.host)},
             {"status_class", StatusClass(event.status)},
             {"retry", event.retry ? "true" : "false"}})
      .Increment();
}

void AgentMetrics::OnTokenLookup(std::string_view host, bool cached) {
  token_lookups_->Add({{"host", hosts_(host)}, {"result", cached ? "hit" : "miss"}}).Increment();
}

std::string AgentMetrics::Render() const {
  auto families = registry_->Collect();
  auto gauges = operations_->Collect();
  families.insert(families.end(), gauges.begin(), gauges.end());
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace promote::metrics
