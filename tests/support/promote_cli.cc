#include "tests/support/promote_cli.h"

#include <cstdlib>
#include <latch>
#include <stdexcept>
#include <thread>

#include "tests/support/temp_dir.h"
#include "util/subprocess.h"

namespace promote::testing {

nlohmann::json CliRun::Json() const {
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded()) {
    throw std::runtime_error("promote printed no JSON (exit " + std::to_string(exit_code) + ")\nstdout:\n" +
                             out + "\nstderr:\n" + err);
  }
  return j;
}

std::string PromoteBinary() { return std::string(PROMOTE_BINARY_DIR) + "/agent/cli/promote"; }

CliRun RunPromote(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                  int timeout_seconds) {
  TempDir home;
  ProcessOptions p;
  p.argv = {PromoteBinary()};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> e = {
      {"HOME", home.path()}, {"PATH", std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin"}};
  // Sanitizer settings reach the CLI too, so a finding in it is reported the same way.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) e[name] = value;
  }
  for (const auto& [k, v] : env) e[k] = v;
  p.env = e;
  p.timeout = std::chrono::seconds(timeout_seconds);
  p.max_output_bytes = 64 * 1024 * 1024;
  auto r = RunProcess(p);
  if (!r.ok()) throw std::runtime_error("cannot run promote: " + r.status().ToString());
  if (r->timed_out) throw std::runtime_error("promote timed out; stderr:\n" + r->stderr_data);
  // A sanitizer finding fails the test that ran the CLI even when the test expected a failure.
  for (const char* report : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                             "WARNING: ThreadSanitizer"}) {
    if (r->stderr_data.find(report) != std::string::npos) {
      throw std::runtime_error("promote reported a sanitizer finding; stderr:\n" + r->stderr_data);
    }
  }
  CliRun run;
  run.exit_code = r->signal != 0 ? 128 + r->signal : r->exit_code;
  run.out = std::move(r->stdout_data);
  run.err = std::move(r->stderr_data);
  return run;
}

std::pair<CliRun, CliRun> RunTogether(const std::function<CliRun()>& a, const std::function<CliRun()>& b) {
  std::pair<CliRun, CliRun> out;
  std::latch start(2);
  std::thread ta([&] {
    start.arrive_and_wait();
    out.first = a();
  });
  std::thread tb([&] {
    start.arrive_and_wait();
    out.second = b();
  });
  ta.join();
  tb.join();
  return out;
}

}  // namespace promote::testing
