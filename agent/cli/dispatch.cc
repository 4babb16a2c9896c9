#include "cli/dispatch.h"

#include <cstdlib>
#include <iostream>
#include <mutex>

#include "cli/cancel_watch.h"
#include "cli/process_environment.h"
#include "cli/signing_key.h"
#include "oci/reference.h"
#include "service/result_envelope.h"
#include "util/error_category.h"
#include "util/one_line.h"
#include "util/read_file.h"

namespace promote::cli {

int PrintResult(const GlobalFlags& global, const v1::Result& result) {
  if (global.format() == OutputFormat::kJson) {
    std::cout << result.json() << std::endl;
  } else {
    std::cout << result.text() << std::flush;
  }
  if (!result.diagnostics().empty()) std::cerr << result.diagnostics() << std::flush;
  return result.exit_code();
}

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// A result that failed because --timeout cancelled it, reported as what it is: deadline_exceeded
// (exit 4) naming the phase that was running, not "cancelled" (exit 5) or whatever error the
// cancel surfaced as. A result that succeeded regardless stays as it is, and so does a definite
// answer reached before the cancel could matter (a usage error or a gate's refusal, exit 2 or 3).
void ReportTimeout(v1::Result* result, int timeout_s, const std::string& phase) {
  const int exit_code = result->exit_code();
  if (exit_code == 0 || exit_code == ExitCodeFor(Code::kInvalidArgument) ||
      exit_code == ExitCodeFor(Code::kGateRefused)) {
    return;
  }
  const Status status(Code::kDeadlineExceeded,
                      "timed out after " + std::to_string(timeout_s) + " s in phase " + phase);
  nlohmann::json j = nlohmann::json::parse(result->json(), nullptr, false);
  if (!j.is_object()) j = service::ResultEnvelope(result->command(), status, nlohmann::json::object());
  j["ok"] = false;
  j["error"] = {{"code", CodeName(status.code())},
                {"category", CategoryName(status.code())},
                {"exit_code", ExitCodeFor(status.code())},
                {"message", status.message()},
                {"phase", phase}};
  result->set_json(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  result->set_exit_code(ExitCodeFor(status.code()));
  result->set_error_code(CodeName(status.code()));
  result->set_message(status.message());
  result->set_diagnostics("promote: " + status.message() + "\n");
}

// Remembers the phase an operation was in when --timeout or a signal cancelled it.
class CancelRecord {
 public:
  void Note(const copy::CopyProgress& progress) {
    std::lock_guard lock(mu_);
    phase_ = progress.phase.load();
  }
  std::string phase() const {
    std::lock_guard lock(mu_);
    return phase_;
  }

 private:
  mutable std::mutex mu_;
  std::string phase_ = "start";
};

bool TimedOut(const CancelWatch& watch) { return std::string(watch.reason()) == "timed out"; }

}  // namespace

Result<client::AgentEndpoint> AgentEndpointFromFlags(const GlobalFlags& global) {
  client::AgentEndpoint e;
  e.address = global.agent;
  e.ca_file = !global.agent_ca.empty() ? global.agent_ca : Env("PROMOTE_AGENT_CA");
  e.cert_file = !global.agent_cert.empty() ? global.agent_cert : Env("PROMOTE_AGENT_CERT");
  e.key_file = !global.agent_key.empty() ? global.agent_key : Env("PROMOTE_AGENT_KEY");
  std::string token_file = !global.agent_token_file.empty() ? global.agent_token_file : Env("PROMOTE_AGENT_TOKEN_FILE");
  if (!token_file.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(e.token, ReadSecretLine(token_file, "agent token file"));
  } else if (const char* t = std::getenv("PROMOTE_AGENT_TOKEN")) {
    e.token = Secret(t);
  }
  return e;
}

service::ServiceSettings LocalSettings(const RegistryFlags* registry) {
  service::ServiceSettings s;
  // The user of the CLI is its operator: their flags, files and environment are trusted.
  s.accept_request_secrets = true;
  s.resolve_request_references = true;
  s.honour_request_access = true;
  s.environment = ProcessEnvironment();
  // Never fails without a file: only the environment is read.
  if (auto passphrase = FindKeyPassphrase(""); passphrase.ok()) s.key_passphrase = std::move(*passphrase);
  if (registry != nullptr) {
    s.keychain = registry->Keychain(nullptr);
    s.tls.ca_file = registry->ca_file;
  } else {
    s.keychain = std::make_shared<registry::DockerConfigKeychain>(registry::DockerConfigKeychain::DefaultPath(s.environment),
                                                                s.environment);
  }
  return s;
}

int Execute(const GlobalFlags& global, const std::string& command,
            const std::function<service::Outcome(const service::PromoteService&, service::OperationContext*)>& local,
            const RegistryFlags* registry, const client::StartCall& remote) {
  const bool show_progress = global.progress_interval_s > 0;
  const auto interval = std::chrono::seconds(std::max(global.progress_interval_s, 1));
  if (global.agent.empty()) {
    service::PromoteService service(LocalSettings(registry));
    service::OperationContext ctx;
    service::Outcome outcome;
    CancelRecord record;
    bool timed_out = false;
    {
      CancelWatch watch(global.timeout_s, [&] {
        record.Note(ctx.progress);
        ctx.cancel.Cancel();
      });
      ProgressPrinter printer(&ctx.progress, show_progress, interval);
      outcome = local(service, &ctx);
      timed_out = TimedOut(watch);
    }
    v1::Result result = outcome.ToProto();
    if (timed_out) ReportTimeout(&result, global.timeout_s, record.phase());
    return PrintResult(global, result);
  }
  auto endpoint = AgentEndpointFromFlags(global);
  if (!endpoint.ok()) return PrintFailure(global, command, endpoint.status());
  auto agent = client::AgentClient::Create(*endpoint);
  if (!agent.ok()) return PrintFailure(global, command, agent.status());
  copy::CopyProgress progress;
  client::CallControl control;
  Result<v1::Result> result = Status(Code::kInternal, "not called");
  CancelRecord record;
  bool timed_out = false;
  {
    CancelWatch watch(global.timeout_s, [&] {
      record.Note(progress);
      control.Cancel();
    });
    ProgressPrinter printer(&progress, show_progress, interval);
    result = (*agent)->Call(command, remote, &progress, &control);
    timed_out = TimedOut(watch);
  }
  if (!result.ok()) {
    if (!timed_out) return PrintFailure(global, command, result.status());
    result = service::FailedOutcome(command, result.status()).ToProto();
  }
  if (timed_out) ReportTimeout(&*result, global.timeout_s, record.phase());
  return PrintResult(global, *result);
}

int PrintFailure(const GlobalFlags& global, const std::string& command, const Status& status, nlohmann::json body) {
  return PrintResult(global, service::FailedOutcome(command, status, std::move(body)).ToProto());
}

int PrintLocalResult(const GlobalFlags& global, const std::string& command, const Status& status,
                     const nlohmann::json& body, const std::string& text) {
  if (global.format() == OutputFormat::kJson) {
    PrintJson(service::ResultEnvelope(command, status, status.ok() ? body : nlohmann::json::object()));
  }
  if (!status.ok()) {
    std::cerr << "promote: " << command << ": " << OneLine(status.message()) << "\n";
  } else if (global.format() == OutputFormat::kText) {
    std::cout << text;
  }
  return ExitCodeFor(status.code());
}

Result<v1::File> ReadRequestFile(const std::string& path, const std::string& what) {
  // Bounded: these are configs and keys, never images.
  PROMOTE_ASSIGN_OR_RETURN(std::string content, ReadSmallFile(path, what));
  v1::File f;
  f.set_name(path);
  f.set_content(std::move(content));
  return f;
}

std::vector<std::string> HostOf(const std::string& ref) {
  auto parsed = oci::ParseReference(ref);
  if (!parsed.ok()) return {};
  return {parsed->registry};
}

}  // namespace promote::cli
