// The agent's Prometheus endpoint (agent.yaml metrics.listen) scraped around real promotions and a
// copy through the agent: the counters move by exactly what was done, the gauges return to rest,
// and promtool accepts the exposition.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sigstore/cosign_key.h"
#include "tests/support/http_fetch.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

std::string Scrape(const TestAgent& agent) {
  REQUIRE_FALSE(agent.metrics_url().empty());
  auto resp = Fetch({.url = agent.metrics_url()});
  INFO(resp.error);
  REQUIRE(resp.status == 200);
  CHECK(resp.Header("content-type").find("text/plain") == 0);
  return resp.body;
}

// The value of the sample `series` ("name{label=\"v\",…}", labels in Prometheus' sorted order);
// -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

// The sum of every sample of metric `name` whose line contains each of `parts`.
double Sum(const std::string& text, const std::string& name, const std::vector<std::string>& parts = {}) {
  std::istringstream in(text);
  std::string line;
  double sum = 0;
  while (std::getline(in, line)) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    bool all = true;
    for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
    if (all) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

}  // namespace

TEST_CASE("metrics scraped around promotions and a copy through the agent count what was done") {
  RegistryOptions token_auth;
  token_auth.auth = RegistryAuth::kToken;
  TestRegistry dev(token_auth), stage;
  SampleImage img = PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 2, 1500, 81});
  TempDir dir;
  const std::string password = "key-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
  REQUIRE(pair.ok());
  const std::string key = dir.Write("cosign.key", pair->private_key_pem, 0600);
  ::setenv("METRICS_TEST_KEY_PASSWORD", password.c_str(), 1);
  ::setenv("METRICS_TEST_DEV_PASSWORD", dev.options().password.c_str(), 1);
  TestAgent agent(
      "listen: [unix://{dir}/agent.sock]\nlog: {format: json, level: info}\n"
      "metrics: {listen: \"127.0.0.1:0\"}\n"
      "signing: {key: file:" +
      key +
      ", password: env:METRICS_TEST_KEY_PASSWORD}\n"
      "registries:\n  - {host: \"" +
      dev.host() + "\", username: " + dev.options().username +
      ", password: env:METRICS_TEST_DEV_PASSWORD}\n");
  ::unsetenv("METRICS_TEST_KEY_PASSWORD");
  ::unsetenv("METRICS_TEST_DEV_PASSWORD");
  const std::string addr = agent.Address("unix://");

  // Nothing done yet: the operation gauges are there, no call counted.
  const std::string before = Scrape(agent);
  INFO(before);
  CHECK(Sample(before, "promote_operations_in_flight") == 0);
  CHECK(Sample(before, "promote_operations_queued") == 0);
  CHECK(Sample(before, "promote_operations_limit") == 16);
  CHECK(Sum(before, "promote_calls_total") == 0);

  const std::string config = dir.Write("promote.yaml",
                                       "version: 1\nimage: app\nenvironments:\n"
                                       "  - name: dev\n    registry: " +
                                           dev.host() +
                                           "\n    repository: shop/app\n"
                                           "  - name: stage\n    registry: " +
                                           stage.host() +
                                           "\n    repository: shop/app\n"
                                           "    mutable-tags: [stage]\n    sign: true\n");
  const std::string sha = "2b2e927abcdef0123456789abcdef01234567890";
  auto in_dev =
      RunPromote({"--agent", addr, "-o", "json", "run", "-c", config, "--branch", "develop", "--sha", sha});
  INFO(in_dev.out << in_dev.err);
  REQUIRE(in_dev.exit_code == 0);
  auto to_stage = RunPromote(
      {"--agent", addr, "-o", "json", "run", "-c", config, "--branch", "release/1.0", "--sha", sha});
  INFO(to_stage.out << to_stage.err);
  REQUIRE(to_stage.exit_code == 0);
  REQUIRE(to_stage.Json()["status"] == "promoted");
  const auto stage_json = to_stage.Json();
  const int64_t stage_bytes = stage_json["bytes"]["copied"].get<int64_t>();
  auto copied = RunPromote({"--agent", addr, "-o", "json", "copy", dev.host() + "/shop/app:sha-2b2e927",
                            stage.host() + "/mirror/app:v1"});
  INFO(copied.out << copied.err);
  REQUIRE(copied.exit_code == 0);
  const int64_t copy_bytes = copied.Json()["bytes"]["copied"].get<int64_t>();
  // A refused copy: the immutable tag v1 already names another digest.
  SampleImage other = PushSampleImage(dev, "shop/other", "v1", {{"linux/amd64"}, 1, 700, 82});
  auto refused = RunPromote({"--agent", addr, "-o", "json", "copy", dev.host() + "/shop/other:v1",
                             stage.host() + "/mirror/app:v1"});
  REQUIRE(refused.exit_code == 3);

  const std::string after = Scrape(agent);
  INFO(after);
  CHECK(Sample(after, R"(promote_promotions_total{environment="dev",result="promoted"})") == 1);
  CHECK(Sample(after, R"(promote_promotions_total{environment="stage",result="promoted"})") == 1);
  CHECK(Sample(after, R"(promote_copies_total{result="ok"})") == 1);
  CHECK(Sample(after, R"(promote_copies_total{result="conflict"})") == 1);
  CHECK(Sample(after, R"(promote_calls_total{code="ok",method="Run"})") == 2);
  CHECK(Sample(after, R"(promote_calls_total{code="ok",method="Copy"})") == 1);
  CHECK(Sample(after, R"(promote_calls_total{code="conflict",method="Copy"})") == 1);
  CHECK(Sample(after, R"(promote_call_duration_seconds_count{method="Run"})") == 2);
  CHECK(Sample(after, R"(promote_call_duration_seconds_bucket{method="Run",le="+Inf"})") == 2);
  CHECK(Sum(after, "promote_gate_verdicts_total", {"verdict=\"passed\""}) >= 1);
  // The bytes are the ones the results reported, and there were some.
  CHECK(stage_bytes > 0);
  CHECK(copy_bytes > 0);
  CHECK(Sample(after, R"(promote_blob_bytes_total{disposition="copied"})") ==
        doctest::Approx(
            static_cast<double>(stage_bytes + copy_bytes + in_dev.Json()["bytes"]["copied"].get<int64_t>())));
  // Requests to both registries, by host; the token-auth one needed tokens, some from the cache.
  CHECK(Sum(after, "promote_registry_requests_total",
            {"host=\"" + dev.host() + "\"", "status_class=\"2xx\""}) > 0);
  CHECK(Sum(after, "promote_registry_requests_total",
            {"host=\"" + stage.host() + "\"", "status_class=\"2xx\""}) > 0);
  CHECK(Sum(after, "promote_registry_requests_total", {"status_class=\"5xx\""}) == 0);
  CHECK(Sum(after, "promote_registry_token_lookups_total",
            {"host=\"" + dev.host() + "\"", "result=\"miss\""}) > 0);
  CHECK(Sum(after, "promote_registry_token_lookups_total",
            {"host=\"" + dev.host() + "\"", "result=\"hit\""}) > 0);
  CHECK(Sum(after, "promote_registry_token_lookups_total", {"host=\"" + stage.host() + "\""}) == 0);
  CHECK(Sample(after, "promote_operations_in_flight") == 0);
  CHECK(Sample(after, "promote_operations_queued") == 0);

  // promtool (Debian's prometheus package) accepts the exposition as Prometheus would scrape it.
  const std::string scraped = dir.Write("scraped.txt", after);
  const std::string report = dir.path() + "/promtool.txt";
  int rc = std::system(("promtool check metrics < " + scraped + " > " + report + " 2>&1").c_str());
  std::ifstream in(report);
  std::string promtool((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  INFO("promtool: " << promtool);
  CHECK(rc == 0);
}

TEST_CASE("an agent without metrics.listen serves no metrics") {
  TestAgent agent("listen: [unix://{dir}/agent.sock]\n");
  CHECK(agent.metrics_url().empty());
  CHECK(agent.log().find("\"metrics\"") == std::string::npos);
}
