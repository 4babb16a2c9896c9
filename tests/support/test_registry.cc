#include "tests/support/test_registry.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/digest.h"
#include "tests/support/http_fetch.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ca.h"

namespace promote::testing {
namespace {

constexpr auto kRegistryStartDeadline = std::chrono::seconds(15);
constexpr auto kMarkerDeadline = std::chrono::seconds(10);
constexpr auto kRegistryPollInterval = std::chrono::milliseconds(10);
constexpr int kPortAttempts = 5;
// Query parameter that tags the support library's own requests, so the access log can tell
// them from the test's requests.
constexpr std::string_view kProbeTag = "promote-test-support=";

std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string ReadFrom(const std::string& path, size_t offset) {
  std::string all;
  try {
    all = ReadFile(path);
  } catch (const std::runtime_error&) {
    return "";
  }
  return offset < all.size() ? all.substr(offset) : "";
}

size_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

// One access-log line in Apache combined format, as gorilla/handlers writes it for distribution:
// 127.0.0.1 - - [23/Nov/2026:12:58:33 +0000] "GET /v2/ HTTP/1.1" 401 87 "" "curl/7.88.1"
bool ParseAccessLine(const std::string& line, AccessLogEntry& entry) {
  size_t open = line.find("] \"");
  if (line.empty() || line[0] == ' ' || open == std::string::npos) return false;
  size_t method_end = line.find(' ', open + 3);
  if (method_end == std::string::npos) return false;
  size_t target_end = line.find(' ', method_end + 1);
  if (target_end == std::string::npos || line.compare(target_end + 1, 5, "HTTP/") != 0) return false;
  size_t quote = line.find("\" ", target_end);
  if (quote == std::string::npos || quote + 5 > line.size()) return false;
  std::string method = line.substr(open + 3, method_end - open - 3);
  std::string status = line.substr(quote + 2, 3);
  if (method.empty() || method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos ||
      status.find_first_not_of("0123456789") != std::string::npos || line[quote + 5] != ' ') {
    return false;
  }
  entry.method = std::move(method);
  entry.target = line.substr(method_end + 1, target_end - method_end - 1);
  entry.status = std::stoi(status);
  return true;
}

}  // namespace

std::string RandomPassword() { return "pw-" + RandomHex(16); }

TestRegistry::TestRegistry(RegistryOptions options)
    : options_(std::move(options)), dir_(std::make_unique<TempDir>()) {
  dir_->MakeDir("storage");
  if (options_.auth == RegistryAuth::kBasic) {
    // bcrypt is the only hash distribution accepts; cost 4 keeps each authenticated request cheap.
    // The password goes through stdin (-i), never onto a command line.
    CommandResult r =
        RunCommandOrThrow({"htpasswd", "-n", "-i", "-B", "-C", "4", options_.username}, options_.password);
    std::string entry = r.out.substr(0, r.out.find('\n'));
    dir_->Write("htpasswd", entry + "\n", 0600);
  } else if (options_.auth == RegistryAuth::kToken) {
    TokenServerOptions t;
    t.username = options_.username;
    t.password = options_.password;
    t.actions = options_.token_actions;
    t.more_accounts = options_.token_accounts;
    t.ttl_seconds = options_.token_ttl_seconds;
    t.reject_anonymous = options_.token_reject_anonymous;
    t.tls = options_.tls;
    token_server_ = std::make_unique<TokenServer>(t, dir_->path());
  }
  Start();
}

TestRegistry::~TestRegistry() {
  Stop();
  token_server_.reset();
}

std::string TestRegistry::host() const { return "127.0.0.1:" + std::to_string(port_); }

std::string TestRegistry::base_url() const {
  return std::string(options_.tls ? "https://" : "http://") + host();
}

std::string TestRegistry::ca_file() const { return options_.tls ? TestCa::Get().ca_cert_path() : ""; }

std::string TestRegistry::cert_dir() const { return options_.tls ? TestCa::Get().cert_dir() : ""; }

std::string TestRegistry::storage_root() const { return dir_->path() + "/storage"; }

std::string TestRegistry::BlobDataPath(const std::string& digest) const {
  if (digest.size() != 71 || digest.rfind("sha256:", 0) != 0 ||
      digest.find_first_not_of("0123456789abcdef", 7) != std::string::npos) {
    throw std::invalid_argument("BlobDataPath: not a sha256 digest: '" + digest + "'");
  }
  std::string hex = digest.substr(7);
  return storage_root() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
}

std::string TestRegistry::log() const { return ReadFrom(dir_->path() + "/registry.log", 0); }

std::string TestRegistry::WriteDockerConfig() const {
  std::string auths;
  if (options_.auth != RegistryAuth::kNone) {
    auths = "\"" + host() + "\": {\"auth\": \"" + Base64(options_.username + ":" + options_.password) + "\"}";
  }
  return dir_->Write("docker-config/config.json", "{\"auths\": {" + auths + "}}\n", 0600);
}

void TestRegistry::WriteConfig() const {
  std::ostringstream y;
  y << "version: 0.1\n"
    << "log:\n"
    << "  level: info\n"
    << "  formatter: text\n"
    << "  accesslog:\n"
    << "    disabled: false\n"
    << "storage:\n"
    << "  filesystem:\n"
    << "    rootdirectory: '" << storage_root() << "'\n"
    << "  delete:\n"
    << "    enabled: true\n"
    // No blob descriptor cache: a test that corrupts or deletes a file under storage_root() must
    // see the registry serve exactly what is on disk.
    << "  maintenance:\n"
    << "    uploadpurging:\n"
    << "      enabled: false\n"
    << "http:\n"
    << "  addr: 127.0.0.1:" << port_ << "\n"
    << "  secret: '" << RandomHex(16) << "'\n";
  if (options_.tls) {
    const TestCa& ca = TestCa::Get();
    y << "  tls:\n"
      << "    certificate: '" << ca.server_cert_path() << "'\n"
      << "    key: '" << ca.server_key_path() << "'\n";
  }
  // The storage-driver health check would make /v2/ answer 503 if the storage root had trouble;
  // tests that break storage on purpose want to see the real error on the real request instead.
  y << "health:\n"
    << "  storagedriver:\n"
    << "    enabled: false\n";
  if (options_.auth == RegistryAuth::kBasic) {
    y << "auth:\n"
      << "  htpasswd:\n"
      << "    realm: promote-test\n"
      << "    path: '" << dir_->path() << "/htpasswd'\n";
  } else if (options_.auth == RegistryAuth::kToken) {
    y << "auth:\n"
      << "  token:\n"
      << "    realm: '" << (options_.token_realm ? options_.token_realm(token_server_->realm()) : token_server_->realm())
      << "'\n"
      << "    service: '" << token_server_->options().service << "'\n"
      << "    issuer: '" << token_server_->options().issuer << "'\n"
      << "    rootcertbundle: '" << token_server_->signing_cert_path() << "'\n";
  }
  dir_->Write("registry.yml", y.str(), 0600);
}

void TestRegistry::Start() {
  const bool fixed_port = port_ != 0;
  const std::string log_path = dir_->path() + "/registry.log";
  const std::string registry = FindExecutable("docker-registry");
  auto deadline = std::chrono::steady_clock::now() + kRegistryStartDeadline;
  std::string last_error;
  for (int attempt = 1;; ++attempt) {
    if (!fixed_port) port_ = PickFreeLoopbackPort();
    WriteConfig();
    size_t log_offset = FileSize(log_path);
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{registry, "serve", dir_->path() + "/registry.yml"}, log_path);

    HttpRequest probe;
    probe.url = base_url() + "/v2/?" + std::string(kProbeTag) + "ready";
    probe.ca_file = ca_file();
    probe.timeout_ms = 2000;
    const auto started = std::chrono::steady_clock::now();
    bool listening = false;
    for (bool retry_port = false; !retry_port;) {
      if (!process_->Running()) {
        std::string log_text = ReadFrom(log_path, log_offset);
        std::string exit = process_->DescribeExit();
        process_.reset();
        // A port picked a moment ago may have been taken by someone else since: pick another.
        // A restart keeps its port (clients hold URLs with it), so there the error is final; a
        // SIGKILLed registry's listener is closed before Stop() returns, so only another process
        // can be holding it.
        bool in_use = log_text.find("address already in use") != std::string::npos;
        if (in_use && !fixed_port && attempt < kPortAttempts) {
          retry_port = true;
          continue;
        }
        throw std::runtime_error("docker-registry on " + host() + " " + exit + " during start-up; log:\n" +
                                 log_text);
      }
      // Probe once the registry says it listens, so a foreign server that holds the port (the
      // registry then exits) is not mistaken for it. After a second, probe anyway in case a
      // future registry words that line differently.
      if (!listening) {
        listening = ReadFrom(log_path, log_offset).find("listening on " + host()) != std::string::npos ||
                    std::chrono::steady_clock::now() > started + std::chrono::seconds(1);
      }
      if (listening) {
        HttpResponse r = Fetch(probe);
        if ((r.status == 200 || r.status == 401) && process_->Running()) return;
        last_error = r.status != 0 ? "status " + std::to_string(r.status) : r.error;
      } else {
        last_error = "no \"listening on " + host() + "\" in the log yet";
      }
      if (std::chrono::steady_clock::now() > deadline) {
        process_->Kill();
        process_.reset();
        throw std::runtime_error("docker-registry on " + host() +
                                 " did not answer GET /v2/ within 15 s (last: " + last_error + "); log:\n" +
                                 ReadFrom(log_path, log_offset));
      }
      std::this_thread::sleep_for(kRegistryPollInterval);
    }
  }
}

void TestRegistry::Stop() {
  if (process_) {
    process_->Kill();
    process_.reset();
  }
}

void TestRegistry::Restart() {
  Stop();
  Start();
}

bool TestRegistry::running() const { return process_ != nullptr && process_->Running(); }

std::vector<AccessLogEntry> TestRegistry::AccessLog() const {
  const std::string log_path = dir_->path() + "/registry.log";
  if (running()) {
    // distribution writes a request's access-log line when its handler returns, which can be just
    // after the client has read the last byte of the response. A marker request made now is logged
    // after those lines in practice, so waiting for it makes the log complete up to this call.
    std::string marker = std::string(kProbeTag) + "marker-" + std::to_string(++next_marker_);
    HttpRequest req;
    req.url = base_url() + "/v2/?" + marker;
    req.ca_file = ca_file();
    HttpResponse r = Fetch(req);
    if (r.status == 0)
      throw std::runtime_error("access-log marker request failed: " + r.error + "; log:\n" + log());
    auto deadline = std::chrono::steady_clock::now() + kMarkerDeadline;
    while (ReadFrom(log_path, 0).find(marker + " HTTP/") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("access-log line for " + marker + " did not appear within 10 s; log:\n" +
                                 log());
      }
      std::this_thread::sleep_for(kRegistryPollInterval);
    }
  }
  std::vector<AccessLogEntry> entries;
  std::istringstream in(ReadFrom(log_path, 0));
  std::string line;
  while (std::getline(in, line)) {
    AccessLogEntry e;
    if (ParseAccessLine(line, e) && e.target.find(kProbeTag) == std::string::npos)
      entries.push_back(std::move(e));
  }
  return entries;
}

uint64_t TestRegistry::RequestCount(std::string_view method, std::string_view target_substring) const {
  uint64_t n = 0;
  for (const auto& e : AccessLog()) {
    if (e.method == method && e.target.find(target_substring) != std::string::npos) ++n;
  }
  return n;
}

uint64_t Writes(const TestRegistry& registry) {
  return registry.RequestCount("PUT", "") + registry.RequestCount("POST", "") +
         registry.RequestCount("PATCH", "");
}

}  // namespace promote::testing
