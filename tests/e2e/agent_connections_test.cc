// The agent under a flood of idle connections (issue #20, hole 5b): 1,100 TCP peers that connect
// and never call must not lock a legitimate caller out, and the agent closes them once the
// handshake or idle timeout of agent.yaml has passed. The agent is started with the soft
// descriptor limit services commonly get (1024, under a higher hard limit). An agent left short
// of descriptors refuses new operations up front.
#include <doctest/doctest.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;
using Clock = std::chrono::steady_clock;

namespace {

constexpr rlim_t kServiceSoftLimit = 1024;

// Sets this process's soft RLIMIT_NOFILE for as long as it lives (children started meanwhile
// inherit it), then puts the previous one back.
class ScopedSoftLimit {
 public:
  explicit ScopedSoftLimit(rlim_t soft) {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    struct rlimit lim = saved_;
    lim.rlim_cur = soft;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lim) == 0);
  }
  ~ScopedSoftLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  ScopedSoftLimit(const ScopedSoftLimit&) = delete;
  ScopedSoftLimit& operator=(const ScopedSoftLimit&) = delete;

 private:
  struct rlimit saved_ {};
};

// How many descriptors process `pid` holds.
size_t OpenDescriptors(int pid) {
  size_t n = 0;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return 0;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n;
}

// One hostile peer: a TCP connection to the agent that never makes a call. It may stop after
// connecting, after the TLS handshake, or after the HTTP/2 preface and an empty SETTINGS frame
// (a complete gRPC connection, just idle).
class IdlePeer {
 public:
  enum Stage { kConnected, kTls, kHttp2 };

  IdlePeer(int port, Stage stage, SSL_CTX* tls) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    // A peer the agent does not accept must fail the test, not hang it.
    struct timeval tv = {5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE_MESSAGE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, std::strerror(errno));
    if (stage == kConnected) return;
    ssl_ = SSL_new(tls);
    REQUIRE(ssl_ != nullptr);
    SSL_set_fd(ssl_, fd_);
    REQUIRE_MESSAGE(SSL_connect(ssl_) == 1, "TLS handshake with the agent failed");
    if (stage == kTls) return;
    static const char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    static const unsigned char kEmptySettings[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    REQUIRE(SSL_write(ssl_, kPreface, sizeof kPreface - 1) == static_cast<int>(sizeof kPreface - 1));
    REQUIRE(SSL_write(ssl_, kEmptySettings, sizeof kEmptySettings) == static_cast<int>(sizeof kEmptySettings));
  }
  ~IdlePeer() {
    if (ssl_ != nullptr) SSL_free(ssl_);  // no close_notify: the peer just goes
    if (fd_ >= 0) ::close(fd_);
  }
  IdlePeer(const IdlePeer&) = delete;
  IdlePeer& operator=(const IdlePeer&) = delete;

  // True once the agent has closed the connection (end of stream or reset). Whatever it sent
  // before (its SETTINGS, a GOAWAY) is read and dropped.
  bool ClosedByAgent() {
    if (closed_) return true;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) closed_ = true;
      return closed_;
    }
  }

 private:
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool closed_ = false;
};

size_t CountClosed(std::vector<std::unique_ptr<IdlePeer>>& peers) {
  size_t closed = 0;
  for (auto& p : peers) closed += p->ClosedByAgent() ? 1 : 0;
  return closed;
}

long long MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace

TEST_CASE("1,100 idle connections do not lock a caller out, and the agent closes them after its timeouts") {
  // This process holds the 1,100 connections itself: it needs the descriptors the agent needs.
  struct rlimit own {};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &own) == 0);
  REQUIRE_MESSAGE(own.rlim_max >= 4096, "the hard descriptor limit (" << own.rlim_max
                                                                       << ") is too low to open 1,100 connections");
  own.rlim_cur = own.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &own) == 0);

  TestRegistry dev;
  SampleImage img = PushSampleImage(dev, "shop/app", "v1", {{"linux/amd64"}, 1, 1000, 51});
  TempDir dir;
  const std::string token = "tok-" + RandomPassword() + RandomPassword();
  const std::string token_file = dir.Write("tokens", token + "\n", 0600);
  const TestCa& ca = TestCa::Get();
  constexpr int kTimeoutSeconds = 8;  // handshake and idle; long enough for the calls below
  const std::string yaml = "listen: [tcp://127.0.0.1:0]\ntls: {cert: " + ca.server_cert_path() +
                           ", key: " + ca.server_key_path() + "}\nauth: {token-file: " + token_file +
                           "}\nlog: {format: json}\nlimits: {handshake-timeout-seconds: " +
                           std::to_string(kTimeoutSeconds) +
                           ", idle-connection-seconds: " + std::to_string(kTimeoutSeconds) + "}\n";
  std::unique_ptr<TestAgent> agent;
  {
    ScopedSoftLimit service_default(kServiceSoftLimit);
    agent = std::make_unique<TestAgent>(yaml);
  }
  const std::string addr = agent->Address("tls://");
  const int port = std::stoi(addr.substr(addr.rfind(':') + 1));

  // The agent raised its soft limit to the hard one and said so.
  bool logged = false;
  {
    std::istringstream lines(agent->log());
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || j.value("event", "") != "descriptors") continue;
      logged = true;
      CHECK(j["was"] == kServiceSoftLimit);
      CHECK(j["limit"] == own.rlim_max);
    }
  }
  CHECK_MESSAGE(logged, agent->log());
  const size_t baseline = OpenDescriptors(agent->pid());

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  REQUIRE(tls != nullptr);
  SSL_CTX_set_verify(tls.get(), SSL_VERIFY_NONE, nullptr);  // a hostile peer does not care whom it floods
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(tls.get(), kAlpn, sizeof kAlpn);

  // Complete connections first (each needs the agent to answer), then the ones that only connect.
  constexpr int kPeers = 1100, kHttp2Peers = 50, kTlsPeers = 50;
  std::vector<std::unique_ptr<IdlePeer>> peers;
  auto flood_start = Clock::now();
  for (int i = 0; i < kPeers; ++i) {
    IdlePeer::Stage stage = i < kHttp2Peers               ? IdlePeer::kHttp2
                            : i < kHttp2Peers + kTlsPeers ? IdlePeer::kTls
                                                          : IdlePeer::kConnected;
    peers.push_back(std::make_unique<IdlePeer>(port, stage, tls.get()));
  }
  // The agent has accepted every one of them: it holds more descriptors than 1024 would allow.
  bool all_accepted =
      WaitUntil([&] { return OpenDescriptors(agent->pid()) >= baseline + kPeers; }, std::chrono::seconds(kTimeoutSeconds / 2));
  const size_t held = OpenDescriptors(agent->pid());
  MESSAGE("flood of " << kPeers << " opened in " << MillisecondsSince(flood_start) << " ms; the agent holds " << held
                      << " descriptors (" << baseline << " before)");
  CHECK_MESSAGE(all_accepted, "the agent holds " << held << " descriptors, " << baseline << " before the flood");

  // A legitimate caller is served while they are all open.
  const std::map<std::string, std::string> env = {
      {"PROMOTE_AGENT", addr}, {"PROMOTE_AGENT_CA", ca.ca_cert_path()}, {"PROMOTE_AGENT_TOKEN", token}};
  auto calls_start = Clock::now();
  auto health = RunPromote({"-o", "json", "health"}, env, 30);
  const long long health_ms = MillisecondsSince(calls_start);
  INFO(health.out << health.err);
  CHECK(health.exit_code == 0);
  CHECK(health.Json()["serving"] == "SERVING");
  auto resolve_start = Clock::now();
  auto resolve = RunPromote({"-o", "json", "--timeout", "10", "resolve", dev.host() + "/shop/app:v1"}, env, 30);
  const long long resolve_ms = MillisecondsSince(resolve_start);
  INFO(resolve.out << resolve.err);
  REQUIRE(resolve.exit_code == 0);
  CHECK(resolve.Json()["digest"] == img.digest);
  MESSAGE("during the flood: health " << health_ms << " ms, resolve " << resolve_ms << " ms");
  // The calls fell inside the timeouts: nothing was closed yet, so they were served beside all 1,100.
  CHECK(MillisecondsSince(calls_start) < kTimeoutSeconds * 1000);
  CHECK(CountClosed(peers) == 0);

  // Each kind of idle peer is closed by the agent once its timeout has passed.
  bool all_closed = WaitUntil([&] { return CountClosed(peers) == peers.size(); },
                              std::chrono::seconds(kTimeoutSeconds * 3));
  const long long closed_after_ms = MillisecondsSince(flood_start);
  std::map<int, size_t> open_by_kind;
  for (int i = 0; i < kPeers; ++i) {
    if (!peers[i]->ClosedByAgent()) ++open_by_kind[i < kHttp2Peers ? 2 : i < kHttp2Peers + kTlsPeers ? 1 : 0];
  }
  CHECK_MESSAGE(all_closed, "still open: " << open_by_kind[0] << " connect-only, " << open_by_kind[1]
                                           << " after TLS, " << open_by_kind[2] << " after HTTP/2 settings");
  MESSAGE("all idle connections closed by the agent " << closed_after_ms << " ms after the flood began");
  // And the descriptors are the agent's again.
  CHECK(WaitUntil([&] { return OpenDescriptors(agent->pid()) <= baseline + 10; }, std::chrono::seconds(10)));
  peers.clear();
  CHECK(RunPromote({"-o", "json", "health"}, env, 30).exit_code == 0);
}

TEST_CASE("short of descriptors, the agent refuses a new operation up front, and serves it once they are freed") {
  struct rlimit own {};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &own) == 0);
  own.rlim_cur = own.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &own) == 0);

  TestRegistry dev;
  SampleImage img = PushSampleImage(dev, "shop/app", "v1", {{"linux/amd64"}, 1, 1000, 52});
  TempDir dir;
  const std::string token = "tok-" + RandomPassword() + RandomPassword();
  const std::string token_file = dir.Write("tokens", token + "\n", 0600);
  const TestCa& ca = TestCa::Get();
  TestAgent agent("listen: [tcp://127.0.0.1:0]\ntls: {cert: " + ca.server_cert_path() + ", key: " +
                  ca.server_key_path() + "}\nauth: {token-file: " + token_file + "}\nlog: {format: json}\n");
  // An agent whose operator left it few descriptors: 256, hard and soft.
  constexpr rlim_t kLimit = 256;
  struct rlimit small = {kLimit, kLimit};
  REQUIRE(::prlimit(static_cast<pid_t>(agent.pid()), RLIMIT_NOFILE, &small, nullptr) == 0);
  const std::string addr = agent.Address("tls://");
  const int port = std::stoi(addr.substr(addr.rfind(':') + 1));
  const std::map<std::string, std::string> env = {
      {"PROMOTE_AGENT", addr}, {"PROMOTE_AGENT_CA", ca.ca_cert_path()}, {"PROMOTE_AGENT_TOKEN", token}};
  const std::vector<std::string> resolve = {"-o", "json", "--timeout", "10", "resolve", dev.host() + "/shop/app:v1"};

  // Idle peers take all but about 30 of them: enough to connect and ask, too few to be sure an
  // operation can finish.
  const size_t baseline = OpenDescriptors(agent.pid());
  const size_t flood = kLimit - baseline - 30;
  std::vector<std::unique_ptr<IdlePeer>> peers;
  for (size_t i = 0; i < flood; ++i) peers.push_back(std::make_unique<IdlePeer>(port, IdlePeer::kConnected, nullptr));
  REQUIRE(WaitUntil([&] { return OpenDescriptors(agent.pid()) >= baseline + flood; }, std::chrono::seconds(10)));

  auto refused = RunPromote(resolve, env, 30);
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 4);
  CHECK(refused.err.find("short of file descriptors") != std::string::npos);
  CHECK(agent.log().find("\"verdict\":\"not_admitted\"") != std::string::npos);

  // The peers go; the same call is served.
  peers.clear();
  REQUIRE(WaitUntil([&] { return OpenDescriptors(agent.pid()) <= baseline + 5; }, std::chrono::seconds(10)));
  auto served = RunPromote(resolve, env, 30);
  INFO(served.out << served.err);
  REQUIRE(served.exit_code == 0);
  CHECK(served.Json()["digest"] == img.digest);
}
