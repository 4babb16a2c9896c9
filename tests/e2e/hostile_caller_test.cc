// Hostile callers of the agent. Every path and secret-reference field a request can carry is aimed
// at what only the agent may read: its environment (/proc/self/environ), its signing key, a file
// only it holds, the variables its agent.yaml resolves. Requests go over gRPC raw, as a hostile
// pipeline would send them, without the CLI's client-side resolution. For each: the request is
// refused before anything is written, and none of the agent's secrets reaches the caller (result
// JSON, text, diagnostics, message), the agent's log, or the registry the request chose.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "client/agent_client.h"
#include "sigstore/cosign_key.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_registry.h"
#include "util/base64.h"

using namespace promote::testing;
namespace v1 = ::promote::v1;

namespace {

const std::string kSha = "2b2e927abcdef0123456789abcdef01234567890";

// The stub scanner reports this fixture: one fixed CRITICAL (CVE-2019-18224), which the default
// gate (fail on HIGH) refuses unless an ignore file accepts it.
std::string Fixture(const std::string& name) { return std::string(PROMOTE_FIXTURES_DIR) + "/scanners/" + name; }

std::string ReadOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return in ? std::string(std::istreambuf_iterator<char>(in), {}) : std::string();
}

// dev (plain) and stage (Basic auth, the agent's credentials) registries, an agent holding stage's
// password and a signing key, and a file only the agent was given.
struct HostileSetup {
  TempDir dir;
  TestRegistry dev;
  TestRegistry stage{[] {
    RegistryOptions basic;
    basic.auth = RegistryAuth::kBasic;
    return basic;
  }()};
  RequestRecorder caller_registry;  // "the caller's own registry"
  std::string key_password = "keypass-" + RandomPassword();
  std::string agent_only_secret = "agent-only-" + RandomPassword();
  std::string key_path, agent_only_path, record_dir;
  std::string private_key_pem;
  SampleImage image;

  HostileSetup() {
    image = PushSampleImage(dev, "shop/app", "sha-2b2e927", {{"linux/amd64"}, 1, 1500, 21});
    auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(key_password));
    REQUIRE(pair.ok());
    private_key_pem = std::string(pair->private_key_pem);
    key_path = dir.Write("agent-cosign.key", private_key_pem, 0600);
    agent_only_path = dir.Write("agent-only.txt", agent_only_secret + "\n", 0600);
    record_dir = dir.MakeDir("record");
  }

  std::string AgentYaml(bool allow_request_credentials) const {
    return "listen: [unix://{dir}/agent.sock]\nlog: {format: json, level: debug}\n"
           "registries:\n  - {host: " + stage.host() + ", username: " + stage.options().username +
           ", password: env:HOSTILE_STAGE_PASSWORD}\n"
           "signing: {key: file:" + key_path + ", password: env:HOSTILE_KEY_PASSWORD}\n"
           "scanners:\n  stub:\n    kind: command\n    executable: \"" + std::string(PROMOTE_SOURCE_DIR) +
           "/tests/e2e/stubs/report_stub.sh\"\n    args: [\"{platform}\", \"{image}\"]\n    format: trivy-json\n"
           "    env:\n      STUB_FIXTURE: \"" + Fixture("trivy-debian-buster-unfixed.json") + "\"\n      STUB_RECORD_DIR: \"" +
           record_dir + "\"\n" +
           "allow-request-credentials: " + (allow_request_credentials ? "true" : "false") + "\n";
  }

  // The agent, given its secrets in its environment (which the test process does not keep).
  std::unique_ptr<TestAgent> StartAgent(bool allow_request_credentials) const {
    ::setenv("HOSTILE_STAGE_PASSWORD", stage.options().password.c_str(), 1);
    ::setenv("HOSTILE_KEY_PASSWORD", key_password.c_str(), 1);
    auto agent = std::make_unique<TestAgent>(AgentYaml(allow_request_credentials));
    ::unsetenv("HOSTILE_STAGE_PASSWORD");
    ::unsetenv("HOSTILE_KEY_PASSWORD");
    return agent;
  }

  // promote.yaml with dev and stage; `stage_extra` goes under stage (indented by 4).
  std::string Config(const std::string& stage_extra, const std::string& top_extra = "",
                     const std::string& stage_registry = "") const {
    return "version: 1\nimage: app\n" + top_extra +
           "scanners:\n  stub: {kind: command, executable: /bin/true, format: trivy-json}\n"
           "environments:\n  - name: dev\n    registry: " + dev.host() + "\n    repository: shop/app\n"
           "  - name: stage\n    registry: " + (stage_registry.empty() ? stage.host() : stage_registry) +
           "\n    repository: shop/app\n    stage-order: false\n" + stage_extra;
  }

  // The secrets of the agent, each as it could leak: as text, and inside Basic credentials.
  std::vector<std::string> Secrets() const {
    std::vector<std::string> out = {stage.options().password, key_password, agent_only_secret};
    // A line from the middle of the private key's PEM body.
    size_t body = private_key_pem.find('\n') + 1;
    out.push_back(private_key_pem.substr(body, 40));
    return out;
  }
};

struct Answer {
  int exit_code = -1;
  std::string error_code, everything;
};

template <typename Request>
Answer Send(const TestAgent& agent, const std::string& command, const Request& request,
            std::unique_ptr<grpc::ClientReader<v1::Event>> (v1::Promote::Stub::*method)(grpc::ClientContext*,
                                                                                      const Request&)) {
  promote::client::AgentEndpoint endpoint;
  endpoint.address = agent.Address("unix://");
  auto client = promote::client::AgentClient::Create(endpoint);
  REQUIRE(client.ok());
  promote::copy::CopyProgress progress;
  promote::client::CallControl control;
  auto result = (*client)->Call(
      command, [&](v1::Promote::Stub* stub, grpc::ClientContext* ctx) { return (stub->*method)(ctx, request); },
      &progress, &control);
  Answer a;
  if (!result.ok()) {
    a.everything = result.status().message();
    return a;
  }
  a.exit_code = result->exit_code();
  a.error_code = result->error_code();
  a.everything = result->json() + "\n" + result->text() + "\n" + result->diagnostics() + "\n" + result->message();
  return a;
}

v1::RunRequest RunTo(const std::string& config, const std::string& branch = "release/1.0") {
  v1::RunRequest r;
  r.mutable_config()->set_name("promote.yaml");
  r.mutable_config()->set_content(config);
  r.set_to("stage");
  r.set_sha(kSha);
  r.set_branch(branch);
  return r;
}

void CheckNoSecret(const std::string& where, const std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    INFO(where << " holds a secret of the agent: " << s);
    CHECK(text.find(s) == std::string::npos);
  }
}

// Every Authorization header the recorder saw, decoded where it is Basic.
std::string CredentialsSeenBy(const RequestRecorder& recorder) {
  std::string seen;
  for (const auto& r : recorder.Requests()) {
    for (const auto& [name, value] : r["headers"].items()) {
      std::string v = value.get<std::string>();
      seen += name + ": " + v + "\n";
      if (v.rfind("Basic ", 0) == 0) {
        if (auto decoded = promote::Base64Decode(v.substr(6))) seen += *decoded + "\n";
      }
    }
    seen += r["body"].get<std::string>() + "\n";
  }
  return seen;
}

}  // namespace

TEST_CASE("hostile caller: no path or secret reference in a request makes the agent read its own secrets") {
  HostileSetup s;
  auto strict_agent = s.StartAgent(false);
  auto lenient_agent = s.StartAgent(true);  // allow-request-credentials: true
  const TestAgent& strict = *strict_agent;
  const TestAgent& lenient = *lenient_agent;
  const auto secrets = s.Secrets();
  const std::string recorder = s.caller_registry.host();

  struct Case {
    std::string name;
    std::string stage_extra;
    std::string top_extra;
    std::string stage_registry;  // "" = the real stage registry
  };
  const std::string scan = "    gates:\n      scan:\n        scanners: [stub]\n        trivyignore: ";
  const std::string sig = "    gates:\n      signature:\n        key: ";
  const std::vector<Case> cases = {
      {"trivyignore names the agent's environment", scan + "/proc/self/environ\n", "", ""},
      {"trivyignore names an agent-only file", scan + s.agent_only_path + "\n", "", ""},
      {"trivyignore names the agent's key", scan + s.key_path + "\n", "", ""},
      {"signature key names the agent's environment", sig + "/proc/self/environ\n", "", ""},
      {"signature key as file: reference", sig + "file:" + s.agent_only_path + "\n", "", ""},
      {"signature key as env: reference", sig + "env:HOSTILE_STAGE_PASSWORD\n", "", ""},
      {"signing: names the agent's key and passphrase variable", "",
       "signing: {key: file:" + s.key_path + ", password: env:HOSTILE_KEY_PASSWORD}\n", ""},
      {"credentials: send the agent's password to the caller's registry",
       "    credentials: {username: thief, password: env:HOSTILE_STAGE_PASSWORD}\n", "", recorder},
      {"credentials: send an agent-only file to the caller's registry",
       "    credentials: {username: thief, password: file:" + s.agent_only_path + "}\n", "", recorder},
  };
  for (const TestAgent* agent : {&strict, &lenient}) {
    for (const auto& c : cases) {
      CAPTURE(c.name);
      CAPTURE(agent == &strict ? "allow-request-credentials: false" : "allow-request-credentials: true");
      Answer a = Send(*agent, "run", RunTo(s.Config(c.stage_extra, c.top_extra, c.stage_registry)),
                      &v1::Promote::Stub::Run);
      INFO(a.everything);
      CHECK(a.exit_code == 2);
      CHECK(a.error_code == "invalid_argument");
      CheckNoSecret("the result", a.everything, secrets);
    }
  }

  // The standalone scan gate: a policy's and a promote.yaml's ignore file.
  v1::ScanRequest by_policy;
  by_policy.set_reference(s.dev.host() + "/shop/app:sha-2b2e927");
  by_policy.mutable_policy()->set_name("policy.yaml");
  by_policy.mutable_policy()->set_content("scanners:\n  stub: {kind: command, executable: /bin/true, format: "
                                          "trivy-json}\nscan:\n  scanners: [stub]\n  trivyignore: /proc/self/environ\n");
  v1::ScanRequest by_config;
  by_config.set_reference(s.dev.host() + "/shop/app:sha-2b2e927");
  by_config.mutable_config()->set_name("promote.yaml");
  by_config.mutable_config()->set_content(s.Config(scan + s.agent_only_path + "\n"));
  by_config.set_env("stage");
  for (const auto* request : {&by_policy, &by_config}) {
    Answer a = Send(strict, "scan", *request, &v1::Promote::Stub::Scan);
    INFO(a.everything);
    CHECK(a.exit_code == 2);
    CheckNoSecret("the scan result", a.everything, secrets);
  }

  // Nothing was written, nothing of the agent's reached the caller's registry or the logs.
  CHECK(s.stage.RequestCount("PUT", "") == 0);
  CheckNoSecret("what the caller's registry received", CredentialsSeenBy(s.caller_registry), secrets);
  CheckNoSecret("the strict agent's log", strict.log(), secrets);
  CheckNoSecret("the lenient agent's log", lenient.log(), secrets);
  CHECK(ReadOrEmpty(s.record_dir + "/scans").empty());  // no scan ran for a refused request
}

TEST_CASE("hostile caller: a file is what the request carries under its name, never the agent's file") {
  HostileSetup s;
  auto started = s.StartAgent(false);
  const TestAgent& agent = *started;

  // The name is the agent's environment, the content the caller's own ignore file: the gate
  // runs with the caller's content and the promotion lands.
  v1::RunRequest r = RunTo(s.Config(
      "    gates:\n      scan:\n        scanners: [stub]\n        trivyignore: /proc/self/environ\n"));
  v1::File* carried = r.add_files();
  carried->set_name("/proc/self/environ");
  carried->set_content("CVE-2019-18224 # accepted by the caller\n");
  Answer a = Send(agent, "run", r, &v1::Promote::Stub::Run);
  INFO(a.everything);
  REQUIRE(a.exit_code == 0);
  CHECK(a.everything.find("accepted by the caller") != std::string::npos);  // the allowlist it used
  CheckNoSecret("the result", a.everything, s.Secrets());
  CHECK(ReadOrEmpty(s.record_dir + "/scans").find(s.image.digest) != std::string::npos);

  // Carried content is parsed as what it claims to be: garbage is a clear error, not an echo.
  v1::RunRequest garbage = RunTo(s.Config(
      "    gates:\n      scan:\n        scanners: [stub]\n        trivyignore: ignore.yaml\n"));
  v1::File* g = garbage.add_files();
  g->set_name("ignore.yaml");
  g->set_content("vulnerabilities: [{nope: 1}]\n");
  Answer bad = Send(agent, "run", garbage, &v1::Promote::Stub::Run);
  INFO(bad.everything);
  CHECK(bad.exit_code == 2);
  CHECK(bad.everything.find("ignore.yaml") != std::string::npos);
}

TEST_CASE("hostile caller: with allow_request_credentials, literal credentials go only where the request says") {
  HostileSetup s;
  auto started = s.StartAgent(true);
  const TestAgent& agent = *started;

  // The caller's own literal credentials for its own registry reach it (the recorder works and
  // the agent did talk to it); the agent's stage password never does.
  const std::string callers_own = "callers-own-" + RandomPassword();
  v1::RunRequest r = RunTo(s.Config("", "", s.caller_registry.host()));
  v1::Credential* c = r.mutable_access()->add_credentials();
  c->set_registry(s.caller_registry.host());
  c->set_username("caller");
  c->set_password(callers_own);
  Answer a = Send(agent, "run", r, &v1::Promote::Stub::Run);
  INFO(a.everything);
  CHECK(a.exit_code == 4);  // the recorder refuses everything
  const std::string seen = CredentialsSeenBy(s.caller_registry);
  CHECK(seen.find("caller:" + callers_own) != std::string::npos);
  CheckNoSecret("what the caller's registry received", seen, s.Secrets());
  CheckNoSecret("the result", a.everything, s.Secrets());
}

TEST_CASE("the CLI attaches the files promote.yaml names and resolves its references where it runs") {
  HostileSetup s;
  auto started = s.StartAgent(false);
  const TestAgent& agent = *started;
  TempDir pipeline;
  std::string ignore = pipeline.Write(".trivyignore", "CVE-2019-18224 # accepted in the pipeline\n");
  std::string config = pipeline.Write(
      "promote.yaml", s.Config("    gates:\n      scan:\n        scanners: [stub]\n        trivyignore: " + ignore + "\n"));
  auto run = RunPromote({"--agent", agent.Address("unix://"), "-o", "json", "run", "-c", config, "--branch",
                         "release/1.0", "--sha", kSha});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("accepted in the pipeline") != std::string::npos);

  // A named file the pipeline does not have is a config error (exit 2) naming promote.yaml's line.
  std::string missing = pipeline.Write(
      "missing.yaml",
      s.Config("    gates:\n      scan:\n        scanners: [stub]\n        trivyignore: " + pipeline.path() + "/nope\n"));
  auto refused = RunPromote({"--agent", agent.Address("unix://"), "-o", "json", "run", "-c", missing, "--branch",
                             "release/1.0", "--sha", kSha});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 2);
  CHECK(refused.out.find("missing.yaml:") != std::string::npos);

  // promote.yaml signing: through an agent that accepts no request secrets: refused, saying so.
  std::string with_signing = pipeline.Write(
      "signing.yaml", s.Config("", "signing: {key: file:" + s.key_path + ", password: env:PIPELINE_KEY_PASSWORD}\n"));
  auto signing = RunPromote({"--agent", agent.Address("unix://"), "-o", "json", "run", "-c", with_signing, "--branch",
                             "release/1.0", "--sha", kSha},
                            {{"PIPELINE_KEY_PASSWORD", s.key_password}});
  INFO(signing.out << signing.err);
  CHECK(signing.exit_code == 2);
  CHECK(signing.out.find("allow-request-credentials: false") != std::string::npos);
}
