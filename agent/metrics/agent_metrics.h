// AgentMetrics: what `promote agent` has done, in Prometheus form, served on its own HTTP listener
// (agent.yaml `metrics: {listen: …}`): calls by method with their latency, promotions and copies by
// environment and result, gate verdicts, bytes copied/mounted/skipped, registry requests by host,
// status class and retry, token cache lookups, and operations running and queued. The metric names
// and labels are listed in docs/agent.md. Every label value a caller can influence is bounded
// (BoundedLabel). Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "metrics/bounded_label.h"
#include "registry/request_observer.h"
#include "util/status.h"

namespace prometheus {
class Counter;
class Exposer;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace promote::metrics {

class AgentMetrics final : public registry::RequestObserver {
 public:
  AgentMetrics();
  ~AgentMetrics() override;
  AgentMetrics(const AgentMetrics&) = delete;
  AgentMetrics& operator=(const AgentMetrics&) = delete;

  // Serves GET /metrics over plain HTTP on `address` ("127.0.0.1:9464", "[::1]:9464"; the host an
  // IP address, port 0 for any free one). kUnavailable naming the address when it cannot bind.
  Status Serve(const std::string& address);
  // The address served, with the port actually bound ("127.0.0.1:40312"); "" when not serving.
  std::string address() const;
  // Stops serving (scrapes end before this returns); after it the operation gauges read nothing.
  void Stop();

  // The operation gauges: read at each scrape from these functions, which must stay callable
  // until Stop() or destruction.
  void WatchOperations(std::function<int()> running, std::function<int()> queued, int max_running,
                       int max_queued);

  // One call of `method` ("Run", "Copy", …; a fixed set, not a caller's string) ended with the
  // result object `result` (docs/result-json.md) after `elapsed`.
  void RecordCall(std::string_view method, const nlohmann::json& result,
                  std::chrono::duration<double> elapsed);
  // A call refused before it ran: "unauthenticated", "not_admitted", "cancelled".
  void RecordRefusedCall(std::string_view method, std::string_view code,
                         std::chrono::duration<double> elapsed);

  void OnRequest(const registry::RequestEvent& event) override;
  void OnTokenLookup(std::string_view host, bool cached) override;

  // The exposition text a scrape gets now.
  std::string Render() const;

 private:
  class OperationGauges;
  void RecordCopy(const nlohmann::json& result);
  void RecordRun(const nlohmann::json& result);
  void RecordBytes(const nlohmann::json& result);

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<OperationGauges> operations_;
  prometheus::Family<prometheus::Counter>* calls_;
  prometheus::Family<prometheus::Histogram>* call_seconds_;
  prometheus::Family<prometheus::Counter>* promotions_;
  prometheus::Family<prometheus::Counter>* copies_;
  prometheus::Family<prometheus::Counter>* gate_verdicts_;
  prometheus::Family<prometheus::Counter>* bytes_;
  prometheus::Family<prometheus::Counter>* registry_requests_;
  prometheus::Family<prometheus::Counter>* token_lookups_;

  BoundedLabel environments_{32, "-_"};
  BoundedLabel hosts_{64, ".-:[]_"};
  BoundedLabel gates_{16, "-_"};
  BoundedLabel words_{64, "_"};  // results, verdicts and error codes: the product's own words

  mutable std::mutex mu_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string address_;
};

}  // namespace promote::metrics
