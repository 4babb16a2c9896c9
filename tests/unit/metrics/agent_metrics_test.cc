#include "metrics/agent_metrics.h"

#include <doctest/doctest.h>

#include <sstream>

using promote::metrics::AgentMetrics;
using promote::metrics::BoundedLabel;

namespace {

// The value of the sample line `series` ("promote_copies_total{result=\"ok\"}") in `text`; -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

const auto kSecond = std::chrono::duration<double>(1.0);

}  // namespace

TEST_CASE("a promotion counts by environment and status, its gates and its bytes") {
  AgentMetrics m;
  nlohmann::json run = {
      {"schema", 1},
      {"command", "run"},
      {"ok", true},
      {"error", nullptr},
      {"status", "promoted"},
      {"to", {{"env", "stage"}, {"reference", "r/app@sha256:1"}}},
      {"bytes", {{"copied", 1000}, {"mounted", 20}, {"skipped", 3}}},
      {"gates", {{{"name", "branch"}, {"verdict", "passed"}}, {{"name", "scan"}, {"verdict", "refused"}}}}};
  m.RecordCall("Run", run, kSecond);
  m.RecordCall("Run", run, kSecond);
  nlohmann::json refused = {{"ok", false},
                            {"error", {{"code", "conflict"}, {"exit_code", 3}}},
                            {"status", "refused"},
                            {"to", {{"env", "stage"}}}};
  m.RecordCall("Run", refused, kSecond);
  const std::string text = m.Render();
  INFO(text);
  CHECK(Sample(text, R"(promote_promotions_total{environment="stage",result="promoted"})") == 2);
  CHECK(Sample(text, R"(promote_promotions_total{environment="stage",result="refused"})") == 1);
  CHECK(Sample(text, R"(promote_gate_verdicts_total{gate="scan",verdict="refused"})") == 2);
  CHECK(Sample(text, R"(promote_blob_bytes_total{disposition="copied"})") == 2000);
  CHECK(Sample(text, R"(promote_blob_bytes_total{disposition="mounted"})") == 40);
  CHECK(Sample(text, R"(promote_calls_total{code="ok",method="Run"})") == 2);
  CHECK(Sample(text, R"(promote_calls_total{code="conflict",method="Run"})") == 1);
  CHECK(Sample(text, R"(promote_call_duration_seconds_count{method="Run"})") == 3);
}

TEST_CASE("copies count by result, each source of a multi-source copy once") {
  AgentMetrics m;
  m.RecordCall("Copy",
               {{"ok", false},
                {"error", {{"code", "registry_error"}}},
                {"results",
                 {{{"ok", true}, {"bytes", {{"copied", 5}}}},
                  {{"ok", false}, {"error", {{"code", "registry_error"}}}}}}},
               kSecond);
  const std::string text = m.Render();
  INFO(text);
  CHECK(Sample(text, R"(promote_copies_total{result="ok"})") == 1);
  CHECK(Sample(text, R"(promote_copies_total{result="registry_error"})") == 1);
  CHECK(Sample(text, R"(promote_blob_bytes_total{disposition="copied"})") == 5);
}

TEST_CASE("registry requests by host, status class and retry; token lookups") {
  AgentMetrics m;
  m.OnRequest({"reg:5000", 200, false});
  m.OnRequest({"reg:5000", 503, false});
  m.OnRequest({"reg:5000", 201, true});
  m.OnRequest({"reg:5000", 0, true});
  m.OnTokenLookup("reg:5000", true);
  m.OnTokenLookup("reg:5000", false);
  const std::string text = m.Render();
  INFO(text);
  CHECK(Sample(text,
               R"(promote_registry_requests_total{host="reg:5000",retry="false",status_class="2xx"})") == 1);
  CHECK(Sample(text,
               R"(promote_registry_requests_total{host="reg:5000",retry="false",status_class="5xx"})") == 1);
  CHECK(Sample(text, R"(promote_registry_requests_total{host="reg:5000",retry="true",status_class="2xx"})") ==
        1);
  CHECK(Sample(text,
               R"(promote_registry_requests_total{host="reg:5000",retry="true",status_class="error"})") == 1);
  CHECK(Sample(text, R"(promote_registry_token_lookups_total{host="reg:5000",result="hit"})") == 1);
}

TEST_CASE("operation gauges are read at each scrape") {
  AgentMetrics m;
  int running = 3;
  m.WatchOperations([&] { return running; }, [] { return 1; }, 16, 256);
  CHECK(Sample(m.Render(), "promote_operations_in_flight") == 3);
  running = 0;
  CHECK(Sample(m.Render(), "promote_operations_in_flight") == 0);
  CHECK(Sample(m.Render(), "promote_operations_queued") == 1);
  CHECK(Sample(m.Render(), "promote_operations_limit") == 16);
  m.Stop();
  CHECK(Sample(m.Render(), "promote_operations_in_flight") == -1);
}

TEST_CASE("label values from callers are bounded in number and form") {
  BoundedLabel label(2, "-_");
  CHECK(label("dev") == "dev");
  CHECK(label("Prod") == "other");  // not a valid environment name
  CHECK(label("stage\"} 1\n") == "other");
  CHECK(label(std::string(65, 'a')) == "other");
  CHECK(label("stage") == "stage");
  CHECK(label("prod") == "other");  // a third distinct value
  CHECK(label("dev") == "dev");     // the first ones stay
  CHECK(label("") == "none");

  AgentMetrics m;
  for (int i = 0; i < 200; ++i) {
    m.RecordCall("Run", {{"ok", true}, {"status", "promoted"}, {"to", {{"env", "env-" + std::to_string(i)}}}},
                 kSecond);
  }
  const std::string text = m.Render();
  CHECK(Sample(text, R"(promote_promotions_total{environment="env-0",result="promoted"})") == 1);
  CHECK(Sample(text, R"(promote_promotions_total{environment="other",result="promoted"})") == 200 - 32);
}

TEST_CASE("serving on a port already taken is an error naming the address") {
  AgentMetrics a, b;
  REQUIRE(a.Serve("127.0.0.1:0").ok());
  const std::string bound = a.address();
  REQUIRE(bound.rfind("127.0.0.1:", 0) == 0);
  CHECK(bound != "127.0.0.1:0");
  auto st = b.Serve(bound);
  REQUIRE_FALSE(st.ok());
  CHECK(st.message().find("metrics.listen " + bound) != std::string::npos);
}
