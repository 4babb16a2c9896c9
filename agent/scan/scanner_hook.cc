#include "scan/scanner_hook.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

#include "registry/docker_auth_file.h"
#include "scan/report_format.h"
#include "util/child_env.h"
#include "util/subprocess.h"
#include "util/temp_dir.h"

namespace promote::scan {

namespace {

constexpr size_t kStderrTailBytes = 600;

bool LooksLikeFlag(std::string_view s) { return !s.empty() && s.front() == '-'; }

// repo@sha256:… from the target, refusing anything not pinned by digest.
Result<std::string> PinnedReference(const ScanTarget& target) {
  if (target.image.empty()) return InvalidArgument("scan target has no image reference");
  if (LooksLikeFlag(target.image)) {
    return InvalidArgument("scan target \"" + target.image + "\" starts with '-'; give repo@sha256:<digest>");
  }
  if (!target.digest.empty() && target.digest.rfind("sha256:", 0) != 0) {
    return InvalidArgument("scan target digest \"" + target.digest + "\" is not a sha256:… digest");
  }
  const size_t at = target.image.find('@');
  if (at == std::string::npos) {
    if (target.digest.empty()) {
      return InvalidArgument("scan target \"" + target.image +
                             "\" is not pinned by digest; scan repo@sha256:<digest>, never a tag");
    }
    return target.image + "@" + target.digest;
  }
  const std::string_view pinned = std::string_view(target.image).substr(at + 1);
  if (pinned.rfind("sha256:", 0) != 0) {
    return InvalidArgument("scan target \"" + target.image + "\" is not pinned by a sha256 digest");
  }
  if (!target.digest.empty() && pinned != target.digest) {
    return InvalidArgument("scan target \"" + target.image + "\" names a different digest than " +
                           target.digest);
  }
  return target.image;
}

std::string DigestOf(const std::string& reference) {
  const size_t at = reference.find('@');
  return at == std::string::npos ? std::string() : reference.substr(at + 1);
}

std::string Substitute(std::string arg, const std::map<std::string, std::string>& values) {
  for (const auto& [placeholder, value] : values) {
    for (size_t pos = arg.find(placeholder); pos != std::string::npos;
         pos = arg.find(placeholder, pos + value.size())) {
      arg.replace(pos, placeholder.size(), value);
    }
  }
  return arg;
}

bool MentionsReport(const HookConfig& config) {
  return std::any_of(config.args.begin(), config.args.end(),
                     [](const std::string& a) { return a.find("{report}") != std::string::npos; });
}

// Where the report comes from: a file, or stdout for a command that prints it.
bool ReportOnStdout(const HookConfig& config) {
  return config.kind == HookConfig::kCommand && !MentionsReport(config);
}

std::string ReportFormat(const HookConfig& config) {
  switch (config.kind) {
    case HookConfig::kTrivy:
      return "trivy-json";
    case HookConfig::kGrype:
      return "grype-json";
    case HookConfig::kCommand:
      return config.format;
  }
  return config.format;
}

Status CheckConfig(const HookConfig& config) {
  if (config.kind == HookConfig::kCommand) {
    if (config.executable.empty()) return InvalidArgument("scanner hook of kind command has no executable");
    if (!IsKnownReportFormat(config.format)) {
      return InvalidArgument("scanner hook " + ScannerName(config) + ": report format \"" + config.format +
                             "\" is not known; use one of trivy-json, grype-json, sarif");
    }
  }
  if (config.timeout.count() <= 0) {
    return InvalidArgument("scanner hook " + ScannerName(config) + ": timeout must be positive");
  }
  return OkStatus();
}

// Printable tail of the scanner's stderr for error messages, with the password cut out in case a
// scanner echoes it back.
std::string StderrTail(std::string_view err, const ScanTarget& target) {
  std::string text(err.size() > kStderrTailBytes ? err.substr(err.size() - kStderrTailBytes) : err);
  if (target.credentials && !target.credentials->second.empty()) {
    const std::string_view secret = target.credentials->second.reveal();
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), "***");
    }
  }
  for (char& c : text) {
    if (c == '\n' || c == '\t')
      c = ' ';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (text.empty()) return "";
  return std::string("; stderr: ") + (err.size() > kStderrTailBytes ? "…" : "") + text;
}

Status ScannerFailure(const HookConfig& config, const std::string& what) {
  return Unavailable("scanner " + ScannerName(config) + " " + what);
}

std::string SignalName(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    case SIGKILL:
      return "SIGKILL";
    case SIGTERM:
      return "SIGTERM";
    case SIGBUS:
      return "SIGBUS";
    case SIGILL:
      return "SIGILL";
    case SIGFPE:
      return "SIGFPE";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal " + std::to_string(sig);
  }
}

Result<std::string> ReadReportFile(const HookConfig& config, const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return ScannerFailure(config, "printed no valid report: it wrote no report file");
  }
  if (!S_ISREG(st.st_mode))
    return ScannerFailure(config, "printed no valid report: the report is not a file");
  if (static_cast<size_t>(st.st_size) > config.max_output_bytes) {
    return ScannerFailure(config, "printed no valid report: the report is " + std::to_string(st.st_size) +
                                      " bytes, more than the limit of " +
                                      std::to_string(config.max_output_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return ScannerFailure(config, "printed no valid report: its report file cannot be read");
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

std::map<std::string, std::string> ScannerEnvironment(const HookConfig& config, const ScanTarget& target,
                                                     const std::string& home, const std::string& tmp,
                                                     const std::string& docker_config) {
  // The generic allow-list and the operator's pass-env names; never one of promote's secrets.
  std::map<std::string, std::string> env = ChildEnvironment(ChildKind::kScanner, config.host_environment, config.pass_env);
  if (env.find("PATH") == env.end()) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  env["HOME"] = home;
  env["TMPDIR"] = tmp;
  if (config.kind == HookConfig::kGrype && target.insecure_registry) {
    env["GRYPE_REGISTRY_INSECURE_USE_HTTP"] = "true";
    env["GRYPE_REGISTRY_INSECURE_SKIP_TLS_VERIFY"] = "true";
  }
  for (const auto& [name, value] : config.env) env[name] = value;
  // Set last: the credentials given for this target are the ones that apply.
  if (!docker_config.empty()) env["DOCKER_CONFIG"] = docker_config;
  return env;
}

// Where a scan runs, all under its temporary directory except an operator-given workdir.
struct ScanPaths {
  std::string home, tmpdir, workdir, report_path;
};

Result<ScanPaths> MakeScanPaths(const HookConfig& config, const std::string& root) {
  ScanPaths paths;
  paths.home = root + "/home";
  paths.tmpdir = root + "/tmp";
  paths.workdir = config.workdir.empty() ? root + "/work" : config.workdir;
  paths.report_path = root + "/report/" + (ReportFormat(config) == "sarif" ? "report.sarif" : "report.json");
  for (const std::string& dir : {paths.home, paths.tmpdir, root + "/report"}) {
    if (::mkdir(dir.c_str(), 0700) != 0)
      return Internal("cannot create " + dir + ": " + std::strerror(errno));
  }
  if (config.workdir.empty() && ::mkdir(paths.workdir.c_str(), 0700) != 0) {
    return Internal("cannot create " + paths.workdir + ": " + std::strerror(errno));
  }
  return paths;
}

// Why a scanner run that ended did not end as it should (cancelled, timed out, too much output,
// killed, an unexpected exit status); OK when it did. `tail` ends each message.
Status CheckScannerExit(const HookConfig& config, const ProcessResult& outcome, const std::string& tail) {
  if (outcome.cancelled) {
    return Status(Code::kCancelled,
                  "scanner " + ScannerName(config) + " was stopped: the operation was cancelled");
  }
  if (outcome.timed_out) {
    return ScannerFailure(config, "timed out after " + std::to_string(config.timeout.count()) + "s" + tail);
  }
  if (outcome.output_truncated) {
    return ScannerFailure(config, "printed more than " + std::to_string(config.max_output_bytes) +
                                      " bytes of output and was stopped" + tail);
  }
  if (outcome.signal != 0) {
    return ScannerFailure(config, "crashed: killed by " + SignalName(outcome.signal) + tail);
  }
  const std::vector<int> expected =
      config.kind == HookConfig::kCommand ? config.expected_exit_codes : std::vector<int>{0};
  if (std::find(expected.begin(), expected.end(), outcome.exit_code) == expected.end()) {
    return ScannerFailure(config, "exited with status " + std::to_string(outcome.exit_code) + tail);
  }
  return OkStatus();
}

// The scanner's report, from its stdout or its report file, parsed; `reference` names the
// artifact when the report does not.
Result<ScanReport> ParseScannerReport(const HookConfig& config, const ScanTarget& target,
                                      const std::string& reference, ProcessResult& outcome,
                                      const std::string& report_path, const std::string& tail) {
  // The report is held once: read (or taken from stdout), then moved into the parsed report.
  std::string bytes;
  if (ReportOnStdout(config)) {
    bytes = std::move(outcome.stdout_data);
  } else {
    PROMOTE_ASSIGN_OR_RETURN(bytes, ReadReportFile(config, report_path));
  }
  if (bytes.find_first_not_of(" \t\r\n") == std::string::npos) {
    return ScannerFailure(config, "printed no valid report: the report is empty" + tail);
  }
  Result<ScanReport> parsed = ParseOwnedReport(ReportFormat(config), std::move(bytes));
  if (!parsed.ok()) return ScannerFailure(config, "printed no valid report: " + parsed.status().message());
  ScanReport report = std::move(parsed).value();
  if (!target.platform.empty()) report.platform = target.platform;
  if (report.artifact.empty()) report.artifact = reference;
  return report;
}

}  // namespace

std::string ScannerName(const HookConfig& config) {
  switch (config.kind) {
    case HookConfig::kTrivy:
      return "trivy";
    case HookConfig::kGrype:
      return "grype";
    case HookConfig::kCommand:
      break;
  }
  const size_t slash = config.executable.rfind('/');
  return slash == std::string::npos ? config.executable : config.executable.substr(slash + 1);
}

Result<std::vector<std::string>> BuildScannerArgv(const HookConfig& config, const ScanTarget& target,
                                                  const std::string& report_path) {
  PROMOTE_RETURN_IF_ERROR(CheckConfig(config));
  PROMOTE_ASSIGN_OR_RETURN(std::string reference, PinnedReference(target));
  if (LooksLikeFlag(target.platform)) {
    return InvalidArgument("scan platform \"" + target.platform + "\" starts with '-'; write os/arch");
  }
  const std::map<std::string, std::string> values{{"{image}", reference},
                                                  {"{digest}", DigestOf(reference)},
                                                  {"{platform}", target.platform},
                                                  {"{report}", report_path}};
  std::vector<std::string> extra;
  for (const std::string& a : config.args) extra.push_back(Substitute(a, values));

  std::vector<std::string> argv;
  switch (config.kind) {
    case HookConfig::kTrivy:
      argv = {config.executable.empty() ? "trivy" : config.executable,
              "image",
              "--image-src",
              "remote",
              "--scanners",
              "vuln",
              "--format",
              "json",
              "--list-all-pkgs=false",
              "--output",
              report_path};
      if (!target.platform.empty()) argv.insert(argv.end(), {"--platform", target.platform});
      if (target.insecure_registry) argv.push_back("--insecure");
      argv.insert(argv.end(), extra.begin(), extra.end());
      argv.push_back(reference);
      break;
    case HookConfig::kGrype:
      argv = {config.executable.empty() ? "grype" : config.executable,
              "registry:" + reference,
              "-o",
              "json",
              "--file",
              report_path};
      if (!target.platform.empty()) argv.insert(argv.end(), {"--platform", target.platform});
      argv.insert(argv.end(), extra.begin(), extra.end());
      break;
    case HookConfig::kCommand:
      argv.push_back(config.executable);
      argv.insert(argv.end(), extra.begin(), extra.end());
      break;
  }
  return argv;
}

Result<ScanReport> RunHook(const HookConfig& config, const ScanTarget& target, const CancelToken* cancel) {
  PROMOTE_ASSIGN_OR_RETURN(std::string reference, PinnedReference(target));
  if (target.credentials && target.registry_host.empty()) {
    return InvalidArgument("scan target " + reference +
                           " has credentials but no registry host to use them for");
  }
  // Declared first so it is disarmed last, after the directories below are gone: if promote is
  // killed at any point in between, the watchdog kills the scanner's group and removes them.
  std::optional<OrphanWatchdog> watchdog;
  PROMOTE_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("promote-scan-", config.host_environment));
  // The registry password lives apart, in memory-backed storage (XDG_RUNTIME_DIR or /dev/shm).
  std::optional<TempDir> secrets;
  if (target.credentials) {
    PROMOTE_ASSIGN_OR_RETURN(TempDir dir, TempDir::CreateInMemory("promote-scan-auth-", config.host_environment));
    secrets.emplace(std::move(dir));
  }
  std::vector<std::string> watched = {tmp.path()};
  if (secrets) watched.push_back(secrets->path());
  PROMOTE_ASSIGN_OR_RETURN(OrphanWatchdog started, OrphanWatchdog::Start(watched));
  watchdog.emplace(std::move(started));

  PROMOTE_ASSIGN_OR_RETURN(ScanPaths paths, MakeScanPaths(config, tmp.path()));
  std::string docker_config;
  if (secrets) {
    docker_config = secrets->path() + "/docker";
    PROMOTE_RETURN_IF_ERROR(registry::WriteDockerAuthFile(docker_config, target.registry_host,
                                                target.credentials->first, target.credentials->second));
  }

  ProcessOptions spec;
  PROMOTE_ASSIGN_OR_RETURN(spec.argv, BuildScannerArgv(config, target, paths.report_path));
  spec.env = ScannerEnvironment(config, target, paths.home, paths.tmpdir, docker_config);
  spec.workdir = paths.workdir;
  spec.timeout = config.timeout;
  spec.max_output_bytes = config.max_output_bytes;
  spec.cancel = cancel;
  spec.watchdog = &*watchdog;

  Result<ProcessResult> run = RunProcess(spec);
  if (!run.ok()) return ScannerFailure(config, "could not be started: " + run.status().message());
  ProcessResult& outcome = *run;
  const std::string tail = StderrTail(outcome.stderr_data, target);
  PROMOTE_RETURN_IF_ERROR(CheckScannerExit(config, outcome, tail));
  return ParseScannerReport(config, target, reference, outcome, paths.report_path, tail);
}

}  // namespace promote::scan
