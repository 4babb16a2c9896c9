// What every operation of the service shares: the settings it runs under (who may bring which
// secrets, where credentials and keys come from), the context of one call (cancellation,
// progress) and its outcome (the JSON result and the text the CLI prints). The CLI in-process
// and the agent over gRPC run the very same operations; only the transport differs.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "copy/copy_progress.h"
#include "promote/v1/promote.pb.h"
#include "policy/server_policy.h"
#include "promotion/promotion_runner.h"
#include "registry/credentials.h"
#include "registry/http_client.h"
#include "registry/registry_client.h"
#include "registry/registry_pool.h"
#include "scan/scanner_hook.h"
#include "util/cancel.h"
#include "util/environment_variables.h"
#include "util/secret.h"
#include "util/status.h"

namespace promote::service {

namespace v1 = ::promote::v1;

struct ServiceSettings {
  // Registry credentials of the operator: the agent's hosts from agent.yaml, or the CLI user's
  // docker config. Consulted after anything a request may carry.
  std::shared_ptr<const registry::Keychain> keychain;
  registry::TlsOptions tls;
  registry::RegistryOptions registry;
  // One pool (connections, token caches) for every request that brings no credentials of its
  // own. Null: a pool per request (the CLI, which makes one request per process).
  std::shared_ptr<registry::RegistryPool> shared_pool;
  // Whether requests may carry secrets: registry credentials, private keys, and promote.yaml
  // secret references (env:/file: credentials and signing key), which would otherwise resolve in
  // the agent's own environment. True for the CLI in-process (its user is the operator); for the
  // agent, agent.yaml decides (default no).
  bool accept_request_secrets = false;
  // Whether the env:/file: references and paths in a request's promote.yaml may be resolved
  // here. Only in-process, where the caller's environment and files are this process's own; an
  // agent never resolves them (they would read the agent's secrets): the client resolves them
  // and sends what they point at.
  bool resolve_request_references = false;
  // Whether a request's RegistryAccess tuning (plain HTTP hosts, retries, request limit) applies.
  // The agent keeps its own.
  bool honour_request_access = true;
  // The signing key to use when a request brings none (the agent's). Empty: none.
  promotion::SigningKey signing;
  // The passphrase of promote.yaml's signing key when its `signing.password` names none, resolved
  // in-process only: the CLI's PROMOTE_KEY_PASSWORD or COSIGN_PASSWORD, as cosign reads them.
  std::optional<Secret> key_passphrase;
  // Scanners the operator allows, by name. nullopt: a request's promote.yaml scanners run as
  // written (CLI); otherwise the request's scanner names must be among these.
  std::optional<std::map<std::string, scan::HookConfig>> scanners;
  // The operator's policy (agent.yaml policy:), which promote.yaml may tighten but not loosen.
  // Null: none (the CLI in-process).
  std::shared_ptr<const policy::ServerPolicy> policy;
  // Upper bound on a request's concurrent blob transfers.
  int max_jobs = 256;
  // The environment of the process serving (the CLI's or the agent's own, passed in by its
  // command): scanners start from it and put their temporary directories where its TMPDIR and
  // XDG_RUNTIME_DIR say, and promote.yaml's env: references resolve in it when
  // resolve_request_references allows. Empty: no variables.
  EnvironmentVariables environment;
};

// One call: a cancel token the transport sets (client cancelled, deadline, shutdown) and the
// progress counters it reports from.
struct OperationContext {
  CancelToken cancel;
  copy::CopyProgress progress;
  std::string request_id;
  // Who asked, as the agent authenticated them ("token:ci-payments", "mtls:<subject>",
  // "unix-socket"); empty in-process. A promotion record carries it.
  std::string caller;
};

// The end of an operation, in every form a caller prints.
struct Outcome {
  std::string command;
  Status status;
  nlohmann::json json;      // the result object (docs/result-json.md)
  std::string text;         // human-readable result for stdout
  std::string diagnostics;  // for stderr; empty: "promote: <message>" when the status failed
  std::string application;  // promote.yaml's image: a run, rollback or history was about (audit line)

  // The wire form; `json` is rendered exactly as `promote --output json` prints it.
  v1::Result ToProto() const;
};

// An outcome for an operation that failed before producing its result: the standard envelope
// with `body`'s fields.
Outcome FailedOutcome(const std::string& command, const Status& status,
                      nlohmann::json body = nlohmann::json::object());

// "24.0 MiB"
std::string HumanBytes(int64_t bytes);

// "a, b, c", or "-" for none: lists in the text results.
std::string JoinOrDash(const std::vector<std::string>& items);

}  // namespace promote::service
