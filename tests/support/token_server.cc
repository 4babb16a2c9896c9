#include "tests/support/token_server.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/http_fetch.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ca.h"

namespace promote::testing {
namespace {

constexpr auto kTokenServerStartDeadline = std::chrono::seconds(15);
constexpr auto kTokenServerPollInterval = std::chrono::milliseconds(10);

std::string ReadIfExists(const std::string& path) {
  try {
    return ReadFile(path);
  } catch (const std::runtime_error&) {
    return "";
  }
}

}  // namespace

std::string TokenServerPython() {
  if (const char* env = std::getenv("PROMOTE_TEST_PYTHON"); env != nullptr && *env != '\0') return env;
  if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return FindExecutable("python3");
}

TokenServer::TokenServer(TokenServerOptions options, const std::string& dir)
    : options_(std::move(options)),
      dir_(dir),
      log_path_(dir + "/token-server.log"),
      signing_cert_path_(dir + "/token-signing.crt") {
  nlohmann::json config = {
      {"issuer", options_.issuer},
      {"service", options_.service},
      {"signing_cert_out", signing_cert_path_},
      {"ttl_seconds", options_.ttl_seconds},
      {"users", {{options_.username, {{"password", options_.password}, {"actions", options_.actions}}}}},
      {"anonymous", options_.reject_anonymous ? "reject" : "token"},
  };
  for (const auto& account : options_.more_accounts) {
    nlohmann::json entry = {{"password", account.password}, {"actions", account.actions}};
    if (!account.repositories.empty()) entry["repositories"] = account.repositories;
    config["users"][account.username] = entry;
  }
  if (options_.tls) {
    const TestCa& ca = TestCa::Get();
    config["tls_cert"] = ca.server_cert_path();
    config["tls_key"] = ca.server_key_path();
  }
  // The password lives in a 0600 file, not on the command line where `ps` would show it.
  std::string config_path = dir + "/token-server.json";
  WriteFile(config_path, config.dump(2), 0600);

  const std::string script = std::string(PROMOTE_TEST_SUPPORT_DIR) + "/token_server.py";
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{TokenServerPython(), "-u", script, config_path}, log_path_);
  static constexpr std::string_view kListening = "token server listening on ";
  auto deadline = std::chrono::steady_clock::now() + kTokenServerStartDeadline;
  for (;;) {
    std::string log_text = ReadIfExists(log_path_);
    if (size_t at = log_text.find(kListening); at != std::string::npos) {
      size_t colon = log_text.find("127.0.0.1:", at);
      size_t end = log_text.find('\n', at);
      if (colon != std::string::npos && end != std::string::npos && colon < end) {
        port_ = std::stoi(log_text.substr(colon + 10, end - colon - 10));
        break;
      }
    }
    if (!process_->Running()) {
      throw std::runtime_error("token server " + process_->DescribeExit() + " before listening; log " +
                               log_path_ + ":\n" + log_text);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("token server did not listen within 15 s; log " + log_path_ + ":\n" +
                               log_text);
    }
    std::this_thread::sleep_for(kTokenServerPollInterval);
  }
}

TokenServer::~TokenServer() = default;

std::string TokenServer::base_url() const {
  return std::string(options_.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::string TokenServer::realm() const { return base_url() + "/token"; }

std::string TokenServer::log() const { return ReadIfExists(log_path_); }

TokenServerStats TokenServer::Stats() const {
  HttpRequest req;
  req.url = base_url() + "/stats";
  if (options_.tls) req.ca_file = TestCa::Get().ca_cert_path();
  HttpResponse resp = Fetch(req);
  if (resp.status != 200) {
    throw std::runtime_error("GET " + req.url + " failed: status " + std::to_string(resp.status) + " " +
                             resp.error + "; token server log:\n" + log());
  }
  nlohmann::json j = nlohmann::json::parse(resp.body);
  TokenServerStats s;
  s.requests = j.at("requests").get<uint64_t>();
  s.issued = j.at("issued").get<uint64_t>();
  s.issued_anonymous = j.at("issued_anonymous").get<uint64_t>();
  s.rejected = j.at("rejected").get<uint64_t>();
  s.bad_request = j.at("bad_request").get<uint64_t>();
  s.scopes = j.at("scopes").get<std::vector<std::string>>();
  return s;
}

}  // namespace promote::testing
