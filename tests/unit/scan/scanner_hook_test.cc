#include "scan/scanner_hook.h"
#include "util/child_env.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>
#include <nlohmann/json.hpp>

#include "util/temp_dir.h"
#include "scan_test_files.h"
#include "util/base64.h"

using namespace promote;
using namespace promote::scan;
using promote::scan::testing::FixturePath;
using promote::scan::testing::ReadFileOrThrow;
using promote::scan::testing::StubPath;

namespace {

constexpr const char* kDigest = "sha256:3c9a2b5e6d0f4c1e8a7b9d2f0e1c3a5b7d9f1e3c5a7b9d1f3e5c7a9b1d3f0978";

ScanTarget Target() {
  ScanTarget t;
  t.image = std::string("prod.registry:5000/shop/payment-svc@") + kDigest;
  t.digest = kDigest;
  t.registry_host = "prod.registry:5000";
  return t;
}

HookConfig Command(const std::string& stub, std::vector<std::string> args = {"{report}"},
                   const std::string& format = "trivy-json") {
  HookConfig c;
  c.kind = HookConfig::kCommand;
  c.executable = StubPath(stub);
  c.args = std::move(args);
  c.format = format;
  c.timeout = std::chrono::seconds(20);
  c.env["STUB_FIXTURE"] = FixturePath("trivy-photon30-high-critical.json");
  return c;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void CheckScannerFailure(const Result<ScanReport>& r, const std::string& message_has) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kUnavailable);
  CHECK_MESSAGE(r.status().message().find(message_has) != std::string::npos, r.status().message());
}

}  // namespace

TEST_CASE("a command hook reads the report from {report}") {
  auto r = RunHook(Command("fake_scanner.sh"), Target());
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->scanner == "trivy");
  CHECK(r->findings.size() == 3);
  CHECK(r->raw == ReadFileOrThrow(FixturePath("trivy-photon30-high-critical.json")));
}

TEST_CASE("a command hook without {report} in its args is read from stdout") {
  HookConfig c = Command("fake_scanner.sh", {"{image}"}, "grype-json");
  c.env["STUB_FIXTURE"] = FixturePath("grype-chainguard-ruby.json");
  c.env["STUB_TO_STDOUT"] = "1";
  ScanTarget t = Target();
  t.platform = "linux/arm64";
  auto r = RunHook(c, t);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->scanner == "grype");
  CHECK(r->findings.size() == 3);
  CHECK(r->platform == "linux/arm64");  // the platform asked for, not the one in the report
}

TEST_CASE("scanner failures are errors that say what happened, never an empty report") {
  struct Case {
    const char* name;
    HookConfig config;
    const char* message_has;
  } cases[] = {
      {"crash", Command("crash.sh"), "scanner crash.sh crashed: killed by SIGSEGV"},
      {"garbage report", Command("garbage.sh"),
       "scanner garbage.sh printed no valid report: trivy-json report"},
      {"garbage on stdout", Command("garbage.sh", {}), "printed no valid report"},
      {"exit 2 with a valid report", Command("exit2.sh"), "scanner exit2.sh exited with status 2"},
      {"empty report", Command("empty_report.sh"), "printed no valid report: the report is empty"},
      {"no report", Command("no_report.sh"), "printed no valid report: it wrote no report file"},
      {"wrong format", Command("fake_scanner.sh", {"{report}"}, "grype-json"),
       "printed no valid report: grype-json"},
      {"missing executable", Command("does-not-exist.sh"), "could not be started"},
  };
  for (Case& c : cases) {
    CAPTURE(c.name);
    CheckScannerFailure(RunHook(c.config, Target()), c.message_has);
  }
}

TEST_CASE("the scanner's stderr tail is in the failure message") {
  auto r = RunHook(Command("exit2.sh"), Target());
  CheckScannerFailure(r, "stderr: stub scanner: failing with status 2");
}

TEST_CASE("a hanging scanner times out quickly and is reported as timed out") {
  HookConfig c = Command("hang.sh");
  c.timeout = std::chrono::seconds(1);
  const auto start = std::chrono::steady_clock::now();
  auto r = RunHook(c, Target());
  const auto took = std::chrono::steady_clock::now() - start;
  CheckScannerFailure(r, "scanner hang.sh timed out after 1s");
  CHECK(took < std::chrono::seconds(10));
}

TEST_CASE("a scanner flooding its output is stopped at the bound") {
  HookConfig c = Command("huge_output.sh");
  c.max_output_bytes = 1 << 20;
  CheckScannerFailure(RunHook(c, Target()), "printed more than 1048576 bytes of output");
}

TEST_CASE("a report file over the bound is refused") {
  HookConfig c = Command("fake_scanner.sh");
  c.max_output_bytes = 1000;  // the photon fixture is ~13 KB
  CheckScannerFailure(RunHook(c, Target()), "more than the limit of 1000");
}

TEST_CASE("scrubbed environment, fresh working directory, per-registry docker config, no password in argv") {
  auto record = TempDir::Create("promote-hook-record-", EnvironmentVariables());
  REQUIRE(record.ok());
  // The runtime directory the hook is given holds the credentials (memory-backed on a real host).
  auto runtime = TempDir::Create("promote-hook-runtime-", EnvironmentVariables());
  REQUIRE(runtime.ok());
  const std::string password = "s3cr3t-Pa55-do-not-leak";

  HookConfig c = Command("inspect_env.sh", {"{report}", "{image}", "--platform={platform}"});
  c.host_environment = EnvironmentVariables({{"PATH", "/usr/bin:/bin"},
                                    {"TRIVY_SEVERITY", "CRITICAL"},
                                    {"GRYPE_DB_AUTO_UPDATE", "false"},
                                    {"PROMOTE_TEST_SECRET", password},
                                    {"XDG_RUNTIME_DIR", runtime->path()}});
  c.env["STUB_RECORD_DIR"] = record->path();
  c.env["STUB_EXPECT_REGISTRY"] = "prod.registry:5000";
  ScanTarget t = Target();
  t.platform = "linux/arm64";
  t.credentials.emplace("promoter", Secret(password));
  auto r = RunHook(c, t);

  const std::string violation_file = record->path() + "/violation";
  if (std::filesystem::exists(violation_file)) FAIL("stub saw: " << ReadFileOrThrow(violation_file));
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->findings.size() == 3);

  const std::string env = ReadFileOrThrow(record->path() + "/env");
  const std::string argv = ReadFileOrThrow(record->path() + "/argv");
  const std::string config = ReadFileOrThrow(record->path() + "/config.json");
  CHECK(env.find(password) == std::string::npos);
  CHECK(argv.find(password) == std::string::npos);
  CHECK(config.find(password) == std::string::npos);  // base64 of user:password, not the password
  CHECK(ReadFileOrThrow(record->path() + "/config_mode") == "600\n");
  auto json = nlohmann::json::parse(config);
  REQUIRE(json["auths"].size() == 1);
  CHECK(json["auths"].contains("prod.registry:5000"));
  CHECK(Base64Decode(json["auths"]["prod.registry:5000"]["auth"].get<std::string>()) ==
        "promoter:" + password);
  auto args = Lines(argv);
  REQUIRE(args.size() == 3);
  CHECK(args[0].find("/report/report.json") != std::string::npos);
  CHECK(args[1] == Target().image);
  CHECK(args[2] == "--platform=linux/arm64");

  for (const std::string& line : Lines(env)) {
    const std::string name = line.substr(0, line.find('='));
    CAPTURE(line);
    // What the hook sets, what sh adds itself, and the generic allow-list of util/child_env.h.
    CHECK((name == "PATH" || name == "HOME" || name == "TMPDIR" || name == "DOCKER_CONFIG" || name == "PWD" ||
           name == "SHLVL" || name == "OLDPWD" || name == "_" || name.rfind("STUB_", 0) == 0 ||
           promote::IsGenericChildVariable(name)));
  }
  // Everything the scanner was given lived in temporary directories, which are gone now; the
  // credentials in memory-backed storage, apart from the scanner's files.
  const std::string cwd = Lines(ReadFileOrThrow(record->path() + "/cwd")).at(0);
  const std::string docker_dir = Lines(ReadFileOrThrow(record->path() + "/docker_config_dir")).at(0);
  CHECK(std::filesystem::path(docker_dir).parent_path().parent_path() == std::filesystem::path(runtime->path()));
  CHECK_FALSE(std::filesystem::exists(cwd));
  CHECK_FALSE(std::filesystem::exists(docker_dir));
  CHECK(env.find("HOME=" + std::filesystem::path(cwd).parent_path().string() + "/home") != std::string::npos);
}

TEST_CASE("built-in trivy and grype kinds run the documented command lines") {
  auto record = TempDir::Create("promote-hook-argv-", EnvironmentVariables());
  REQUIRE(record.ok());
  struct Case {
    const char* name;
    HookConfig::Kind kind;
    const char* fixture;
    bool insecure;
    std::string platform;
    std::vector<std::string> extra;
    std::vector<std::string> want;  // "REPORT" stands for the report path
  } cases[] = {
      {"trivy",
       HookConfig::kTrivy,
       "trivy-photon30-high-critical.json",
       false,
       "",
       {},
       {"image", "--image-src", "remote", "--scanners", "vuln", "--format", "json", "--list-all-pkgs=false",
        "--output", "REPORT", Target().image}},
      {"trivy, platform, insecure, extra args",
       HookConfig::kTrivy,
       "trivy-photon30-high-critical.json",
       true,
       "linux/arm64",
       {"--cache-dir", "/var/cache/trivy"},
       {"image", "--image-src", "remote", "--scanners", "vuln", "--format", "json", "--list-all-pkgs=false",
        "--output", "REPORT", "--platform", "linux/arm64", "--insecure", "--cache-dir", "/var/cache/trivy",
        Target().image}},
      {"grype",
       HookConfig::kGrype,
       "grype-chainguard-ruby.json",
       false,
       "",
       {},
       {"registry:" + Target().image, "-o", "json", "--file", "REPORT"}},
      {"grype with platform",
       HookConfig::kGrype,
       "grype-chainguard-ruby.json",
       true,
       "linux/arm/v7",
       {},
       {"registry:" + Target().image, "-o", "json", "--file", "REPORT", "--platform", "linux/arm/v7"}},
  };
  for (Case& c : cases) {
    CAPTURE(c.name);
    HookConfig config;
    config.kind = c.kind;
    config.executable = StubPath("fake_scanner.sh");
    config.args = c.extra;
    config.env["STUB_FIXTURE"] = FixturePath(c.fixture);
    config.env["STUB_RECORD_DIR"] = record->path();
    ScanTarget t = Target();
    t.insecure_registry = c.insecure;
    t.platform = c.platform;
    auto r = RunHook(config, t);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->scanner == (c.kind == HookConfig::kTrivy ? "trivy" : "grype"));
    std::vector<std::string> got = Lines(ReadFileOrThrow(record->path() + "/argv"));
    for (std::string& a : got) {
      if (a.find("/report/report.json") != std::string::npos) a = "REPORT";
    }
    CHECK(got == c.want);
  }
}

TEST_CASE("grype insecure registries are configured through its environment") {
  HookConfig c;
  c.kind = HookConfig::kGrype;
  ScanTarget t = Target();
  t.insecure_registry = true;
  auto argv = BuildScannerArgv(c, t, "/r.json");
  REQUIRE(argv.ok());
  CHECK(argv->at(0) == "grype");
  for (const std::string& a : *argv) CHECK(a.find("insecure") == std::string::npos);
}

TEST_CASE("targets must be pinned by digest and must not look like flags") {
  struct Case {
    const char* name;
    std::string image;
    std::string digest;
    std::string platform;
    const char* message_has;  // empty: accepted
    std::string reference;
  } cases[] = {
      {"repo@digest", std::string("r/app@") + kDigest, kDigest, "", "", std::string("r/app@") + kDigest},
      {"repo + digest", "r/app", kDigest, "", "", std::string("r/app@") + kDigest},
      {"repo@digest, no separate digest", std::string("r/app@") + kDigest, "", "", "",
       std::string("r/app@") + kDigest},
      {"tag only", "r/app:latest", "", "", "is not pinned by digest", ""},
      {"different digests", "r/app@sha256:aaaa", kDigest, "", "names a different digest", ""},
      {"not sha256", "r/app@md5:abcd", "", "", "not pinned by a sha256 digest", ""},
      {"flag as image", "--config=/etc/evil.yaml", "", "", "starts with '-'", ""},
      {"flag as platform", std::string("r/app@") + kDigest, "", "--debug", "starts with '-'", ""},
      {"empty", "", "", "", "no image reference", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    ScanTarget t;
    t.image = c.image;
    t.digest = c.digest;
    t.platform = c.platform;
    HookConfig config;
    config.kind = HookConfig::kCommand;
    config.executable = "/bin/echo";
    config.format = "sarif";
    config.args = {"{image}", "{digest}", "x{platform}x"};
    auto argv = BuildScannerArgv(config, t, "/r");
    if (std::string(c.message_has).empty()) {
      REQUIRE_MESSAGE(argv.ok(), argv.status().ToString());
      CHECK(*argv == std::vector<std::string>{"/bin/echo", c.reference, kDigest, "x" + c.platform + "x"});
    } else {
      REQUIRE_FALSE(argv.ok());
      CHECK(argv.status().code() == Code::kInvalidArgument);
      CHECK_MESSAGE(argv.status().message().find(c.message_has) != std::string::npos,
                    argv.status().message());
      // RunHook refuses the same targets before starting anything.
      CHECK(RunHook(config, t).status().code() == Code::kInvalidArgument);
    }
  }
}

TEST_CASE("hook configuration errors are InvalidArgument, not scanner failures") {
  HookConfig no_exe;
  no_exe.kind = HookConfig::kCommand;
  no_exe.format = "trivy-json";
  CHECK(RunHook(no_exe, Target()).status().code() == Code::kInvalidArgument);
  HookConfig bad_format = Command("fake_scanner.sh", {"{report}"}, "table");
  CHECK(RunHook(bad_format, Target()).status().code() == Code::kInvalidArgument);
  HookConfig zero_timeout = Command("fake_scanner.sh");
  zero_timeout.timeout = std::chrono::seconds(0);
  CHECK(RunHook(zero_timeout, Target()).status().code() == Code::kInvalidArgument);
  ScanTarget creds_without_host = Target();
  creds_without_host.registry_host.clear();
  creds_without_host.credentials.emplace("u", Secret("p"));
  CHECK(RunHook(Command("fake_scanner.sh"), creds_without_host).status().code() == Code::kInvalidArgument);
}

TEST_CASE("a kCommand hook may accept more exit statuses; built-ins never do") {
  HookConfig c = Command("exit2.sh");
  c.expected_exit_codes = {0, 2};
  auto r = RunHook(c, Target());
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->findings.size() == 3);

  HookConfig builtin = c;
  builtin.kind = HookConfig::kTrivy;  // trivy exits 1 on fatal errors and never 2 without --exit-code
  CheckScannerFailure(RunHook(builtin, Target()), "scanner trivy exited with status 2");
}

TEST_CASE("pass-env inherits the named variables, never one of promote's secrets") {
  auto record = TempDir::Create("promote-hook-pass-env-", EnvironmentVariables());
  REQUIRE(record.ok());
  HookConfig c;
  c.host_environment = EnvironmentVariables({{"PATH", "/usr/bin:/bin"},
                                    {"TRIVY_DB_REPOSITORY", "mirror.example/trivy-db"},
                                    {"TRIVY_PASSWORD", "not-for-the-scanner"},
                                    {"PROMOTE_KEY_PASSWORD", "passphrase-not-for-the-scanner"}});
  c.kind = HookConfig::kCommand;
  c.executable = "/bin/sh";
  c.args = {"-c", "tr '\\0' '\\n' < /proc/$$/environ > \"$STUB_RECORD_DIR/env\"; cat \"$STUB_FIXTURE\""};
  c.format = "trivy-json";
  c.env["STUB_FIXTURE"] = FixturePath("trivy-photon30-high-critical.json");
  c.env["STUB_RECORD_DIR"] = record->path();
  c.pass_env = {"TRIVY_DB_REPOSITORY", "PROMOTE_KEY_PASSWORD"};
  auto r = RunHook(c, Target());
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  const std::string env = ReadFileOrThrow(record->path() + "/env");
  CHECK(env.find("TRIVY_DB_REPOSITORY=mirror.example/trivy-db\n") != std::string::npos);
  CHECK(env.find("TRIVY_PASSWORD") == std::string::npos);  // not named: not inherited
  CHECK(env.find("PROMOTE_KEY_PASSWORD") == std::string::npos);  // named, but promote's own secret
}

TEST_CASE("a cancel stops a running scanner within a second and is reported as cancelled") {
  HookConfig c = Command("hang.sh");
  c.timeout = std::chrono::seconds(60);
  CancelToken cancel;
  std::thread canceller([&] {
    // Not a synchronisation: a cancel before the scanner starts must end the same way.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.Cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = RunHook(c, Target(), &cancel);
  const auto took = std::chrono::steady_clock::now() - start;
  canceller.join();
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kCancelled);
  CHECK(took < std::chrono::milliseconds(300) + std::chrono::seconds(1));
}

TEST_CASE("temporary directories go where the environment given says, not where the process's says") {
  auto base = TempDir::Create("promote-tmpdir-base-", EnvironmentVariables());
  REQUIRE(base.ok());
  auto inside = TempDir::Create("promote-tmp-", EnvironmentVariables({{"TMPDIR", base->path()}}));
  REQUIRE(inside.ok());
  CHECK(std::filesystem::path(inside->path()).parent_path() == std::filesystem::path(base->path()));
  auto in_memory = TempDir::CreateInMemory("promote-mem-", EnvironmentVariables({{"XDG_RUNTIME_DIR", base->path()}}));
  REQUIRE(in_memory.ok());
  CHECK(std::filesystem::path(in_memory->path()).parent_path() == std::filesystem::path(base->path()));
  // The process's own TMPDIR is not consulted: an empty environment means /tmp.
  setenv("TMPDIR", base->path().c_str(), 1);
  auto plain = TempDir::Create("promote-tmp-", EnvironmentVariables());
  unsetenv("TMPDIR");
  REQUIRE(plain.ok());
  CHECK(std::filesystem::path(plain->path()).parent_path() == std::filesystem::path("/tmp"));
}
