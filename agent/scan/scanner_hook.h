// Scanner hooks: run Trivy, Grype or a configured command against one image digest in a
// controlled environment and return its parsed report. A scanner that fails (crash, timeout,
// unexpected exit status, missing or invalid report) is an error, never "no findings".
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scan/finding.h"
#include "util/cancel.h"
#include "util/environment_variables.h"
#include "util/secret.h"
#include "util/status.h"

namespace promote::scan {

struct ScanTarget {
  // The image by digest, "repo@sha256:…". A bare repository is accepted only together with
  // `digest` (it becomes repo@digest); tags are never scanned, so what is scanned is what is
  // promoted.
  std::string image;
  std::string digest;         // "sha256:…"; when set it must be the digest in `image`
  std::string platform;       // "linux/arm64", or empty for the scanner's default
  std::string registry_host;  // host[:port] the credentials are for
  std::optional<std::pair<std::string, Secret>> credentials;  // username, password
  bool insecure_registry = false;                             // plain HTTP or an untrusted certificate
};

struct HookConfig {
  enum Kind { kTrivy, kGrype, kCommand };
  Kind kind = kTrivy;
  // Program to run. Empty means "trivy" / "grype" on PATH for the built-in kinds; required for
  // kCommand.
  std::string executable;
  // kCommand: the whole argument list (after argv[0]). kTrivy/kGrype: extra arguments placed
  // before the image reference (e.g. --cache-dir, --skip-db-update, --db-repository).
  // Placeholders {image} {digest} {platform} {report} are replaced anywhere in an argument.
  std::vector<std::string> args;
  // kCommand: the report format ("trivy-json", "grype-json", "sarif"). The report is read from
  // the {report} file when an argument mentions {report}, else from stdout.
  std::string format;
  std::chrono::seconds timeout{300};
  // Working directory; empty means a fresh, empty temporary one (so a stray trivy.yaml or
  // .grype.yaml cannot change the scan).
  std::string workdir;
  // Added to the scrubbed environment; may set e.g. TRIVY_CACHE_DIR or XDG_CACHE_HOME to keep a
  // vulnerability DB between runs (HOME is a temporary directory).
  std::map<std::string, std::string> env;
  // Variables inherited from promote's environment by name (`pass-env:`), beyond the generic
  // allow-list of util/child_env.h (PATH, LANG, LC_*, TZ, SSL_CERT_*, proxies). Promote's own
  // secrets (PROMOTE_*, COSIGN_*, variables its configs name as env: secrets) are never passed.
  std::vector<std::string> pass_env;
  size_t max_output_bytes = 64u << 20;  // bound on stdout, stderr and the report file each
  // kCommand only: exit statuses that mean "the scan ran" (a wrapper that exits 1 on findings can
  // list 1). Trivy and Grype must exit 0: we never pass --exit-code/--fail-on, and both use 1 for
  // fatal errors.
  std::vector<int> expected_exit_codes{0};
  // What a scanner failure means for the promotion; RunHook reports the failure either way and
  // the caller applies this (kWarn: record the failure and go on without this scan's verdict).
  enum OnError { kFail, kWarn };
  OnError on_error = kFail;
  // The environment of the process that runs the scanner, never a config file's: the generic
  // allow-list and `pass_env` names are taken from it, and its TMPDIR and XDG_RUNTIME_DIR place
  // the temporary directories. The service sets it from ServiceSettings::environment (the CLI's
  // or the agent's own environment); empty, the scanner sees none of promote's variables.
  EnvironmentVariables host_environment;
};

// "trivy", "grype", or the executable's file name for kCommand: how messages name the scanner.
std::string ScannerName(const HookConfig& config);

// The argv RunHook will execute (argv[0] = the executable), with `report_path` for {report}.
//   trivy: trivy image --image-src remote --scanners vuln --format json --list-all-pkgs=false
//          --output REPORT [--platform P] [--insecure] [args…] IMAGE@DIGEST
//   grype: grype registry:IMAGE@DIGEST -o json --file REPORT [--platform P] [args…]
//          (Grype has no insecure flag: insecure_registry sets GRYPE_REGISTRY_INSECURE_USE_HTTP
//          and GRYPE_REGISTRY_INSECURE_SKIP_TLS_VERIFY in its environment instead.)
// --severity/--exit-code/--fail-on are never added: the report is complete and the gate decides.
// InvalidArgument for a target that is not pinned by digest, a value starting with '-' (it
// would be read as a flag), or a kCommand without executable or with an unknown format.
Result<std::vector<std::string>> BuildScannerArgv(const HookConfig& config, const ScanTarget& target,
                                                  const std::string& report_path);

// Runs the scanner and parses its report.
// Environment: the generic allow-list of util/child_env.h (PATH, LANG, LC_*, TZ, SSL_CERT_*,
// proxies) and the hook's `pass_env` names, from config.host_environment, HOME and TMPDIR (inside a temporary directory), the
// hook's `env`, and, with credentials, DOCKER_CONFIG pointing at a 0600 config.json that holds
// only target.registry_host's credentials, in a 0700 directory in memory-backed storage
// (the host environment's XDG_RUNTIME_DIR, else /dev/shm). No TRIVY_*/GRYPE_*/DOCKER_* variable is inherited unless
// named in pass_env, and none of promote's secrets ever is.
// The temporary directories (report, home, docker config) are removed before returning; a
// watchdog process removes them and kills the scanner's process group if promote dies first.
// `cancel` (may be null) stops the scanner's process group within a second: kCancelled.
//
// Errors:
// - InvalidArgument: the config or target is unusable (see BuildScannerArgv).
// - Unavailable: the scanner failed — it could not be started, was killed by a signal, timed
//   out, exited with an unexpected status, printed more than max_output_bytes, or left no valid
//   report. RunHook returns Unavailable for nothing else, so callers can tell a failed scan from
//   a refused one. Messages start "scanner <name> …", e.g. "scanner trivy timed out after 5s",
//   "scanner trivy exited with status 2", "scanner grype printed no valid report: …", and end
//   with the tail of its stderr; the password is never in them.
// - Internal: the temporary directory or docker config could not be written.
// On success the report's platform is target.platform when that is set, and its artifact the
// scanned reference when the scanner did not name one.
Result<ScanReport> RunHook(const HookConfig& config, const ScanTarget& target, const CancelToken* cancel = nullptr);

}  // namespace promote::scan
