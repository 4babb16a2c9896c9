// Self-test of tests/support: every kind of TestRegistry answers the way the registry protocol
// says, using libcurl directly (not the product's client), and nothing is left running afterwards.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/digest.h"
#include "tests/support/http_fetch.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_registry.h"
#include "tests/support/token_server.h"

namespace {

using promote::testing::Fetch;
using promote::testing::HttpRequest;
using promote::testing::HttpResponse;
using promote::testing::RegistryAuth;
using promote::testing::RegistryOptions;
using promote::testing::Sha256Digest;
using promote::testing::TestRegistry;

// How a request authenticates: nothing, Basic, or a bearer token.
struct Credentials {
  std::optional<std::pair<std::string, std::string>> basic;
  std::string bearer;
};

Credentials BasicOf(const TestRegistry& r) {
  return {std::make_pair(r.options().username, r.options().password), ""};
}

HttpResponse Send(const TestRegistry& registry, const std::string& method, const std::string& path_or_url,
                  const Credentials& creds = {}, std::optional<std::string> body = std::nullopt,
                  std::vector<std::string> headers = {}) {
  HttpRequest req;
  req.method = method;
  req.url = path_or_url.rfind("http", 0) == 0 ? path_or_url : registry.base_url() + path_or_url;
  req.ca_file = registry.ca_file();
  req.basic_auth = creds.basic;
  req.bearer_token = creds.bearer;
  req.body = std::move(body);
  req.headers = std::move(headers);
  return Fetch(req);
}

// Monolithic upload: POST to start, PUT the bytes with ?digest=. Returns the final response.
HttpResponse PushBlob(const TestRegistry& registry, const std::string& repo, const std::string& content,
                      const Credentials& creds = {}) {
  HttpResponse start = Send(registry, "POST", "/v2/" + repo + "/blobs/uploads/", creds, std::string());
  if (start.status != 202) return start;
  std::string location = start.Header("Location");
  location += (location.find('?') == std::string::npos ? "?" : "&");
  location += "digest=" + Sha256Digest(content);
  return Send(registry, "PUT", location, creds, content);
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Parameters of a `WWW-Authenticate: Bearer k="v",k="v"` challenge (values without quotes or
// commas, which is all distribution sends).
std::map<std::string, std::string> ChallengeParams(const std::string& header) {
  std::map<std::string, std::string> params;
  size_t pos = header.find(' ');
  while (pos != std::string::npos && pos < header.size()) {
    size_t eq = header.find("=\"", pos);
    if (eq == std::string::npos) break;
    size_t close = header.find('"', eq + 2);
    if (close == std::string::npos) break;
    std::string key = header.substr(pos + 1, eq - pos - 1);
    params[key] = header.substr(eq + 2, close - eq - 2);
    pos = close + 1;  // at ',' or the end
  }
  return params;
}

bool IsRfc3339Utc(const std::string& s) {  // 2026-11-23T12:58:34Z
  if (s.size() != 20) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char want = i == 4 || i == 7 ? '-' : i == 10 ? 'T' : i == 13 || i == 16 ? ':' : i == 19 ? 'Z' : '0';
    if (want == '0' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != want) return false;
  }
  return true;
}

HttpResponse RequestToken(const TestRegistry& registry, const std::vector<std::string>& scopes,
                          std::optional<std::pair<std::string, std::string>> basic) {
  const auto* ts = registry.token_server();
  REQUIRE(ts != nullptr);
  HttpRequest req;
  req.url = ts->realm() + "?service=" + UrlEncode(ts->options().service);
  for (const auto& s : scopes) req.url += "&scope=" + UrlEncode(s);
  req.ca_file = registry.ca_file();
  req.basic_auth = std::move(basic);
  return Fetch(req);
}

std::string TokenFor(const TestRegistry& registry, const std::vector<std::string>& scopes) {
  HttpResponse r = RequestToken(registry, scopes, BasicOf(registry).basic);
  REQUIRE_MESSAGE(r.status == 200, r.body, registry.token_server()->log());
  return nlohmann::json::parse(r.body).at("token").get<std::string>();
}

// Our children, zombies included, read from /proc (what `pgrep -P $$` would list).
std::vector<std::string> ChildProcesses() {
  std::vector<std::string> found;
  const std::string self = std::to_string(::getpid());
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...; comm may hold spaces, so parse after the last ')'.
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == self) found.push_back(name + " " + line.substr(0, close + 1) + " state " + state);
  }
  return found;
}

// Processes whose command line mentions `needle` (what `pgrep -f needle` would list).
std::vector<std::string> ProcessesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) != std::string::npos) found.push_back(name);
  }
  return found;
}

}  // namespace

TEST_CASE("plain registry answers 200 on /v2/ over HTTP") {
  TestRegistry registry;
  CHECK(registry.host().rfind("127.0.0.1:", 0) == 0);
  CHECK(registry.base_url() == "http://" + registry.host());
  CHECK(registry.ca_file().empty());
  CHECK(registry.token_server() == nullptr);
  HttpResponse r = Send(registry, "GET", "/v2/");
  CHECK_MESSAGE(r.status == 200, r.error, registry.log());
  CHECK(r.Header("Docker-Distribution-Api-Version") == "registry/2.0");
}

TEST_CASE("TLS registry is trusted with the test CA and refused without it") {
  TestRegistry registry(RegistryOptions{.tls = true});
  CHECK(registry.base_url() == "https://" + registry.host());
  CHECK(registry.ca_file() == promote::testing::TestCa::Get().ca_cert_path());
  CHECK(std::filesystem::exists(registry.cert_dir() + "/ca.crt"));
  CHECK(Send(registry, "GET", "/v2/").status == 200);

  HttpRequest untrusted;
  untrusted.url = registry.base_url() + "/v2/";
  HttpResponse r = Fetch(untrusted);
  CHECK(r.status == 0);
  CHECK_MESSAGE(r.error.find("certificate") != std::string::npos, r.error);

  HttpRequest plain;  // speaking HTTP to the TLS port gets no registry answer
  plain.url = "http://" + registry.host() + "/v2/";
  CHECK(Fetch(plain).status != 200);
}

TEST_CASE("basic-auth registry: 401 with a Basic challenge, 200 with the password, 401 with a wrong one") {
  TestRegistry registry(RegistryOptions{.auth = RegistryAuth::kBasic});
  HttpResponse anon = Send(registry, "GET", "/v2/");
  CHECK(anon.status == 401);
  CHECK(anon.Header("WWW-Authenticate").rfind("Basic ", 0) == 0);
  CHECK(Send(registry, "GET", "/v2/", BasicOf(registry)).status == 200);
  Credentials wrong{std::make_pair(registry.options().username, registry.options().password + "x"), ""};
  CHECK(Send(registry, "GET", "/v2/", wrong).status == 401);
  CHECK(PushBlob(registry, "test/repo", "basic blob", BasicOf(registry)).status == 201);
  // The password is never in the registry's log.
  CHECK(registry.log().find(registry.options().password) == std::string::npos);
}

TEST_CASE("two registries get different ports and passwords") {
  TestRegistry a(RegistryOptions{.auth = RegistryAuth::kBasic});
  TestRegistry b(RegistryOptions{.auth = RegistryAuth::kBasic});
  CHECK(a.host() != b.host());
  CHECK(a.options().password != b.options().password);
  CHECK(Send(a, "GET", "/v2/", BasicOf(b)).status == 401);
}

TEST_CASE("token registry: Bearer challenge, token with credentials, push and HEAD of a blob") {
  TestRegistry registry(RegistryOptions{.auth = RegistryAuth::kToken});
  const auto* ts = registry.token_server();
  REQUIRE(ts != nullptr);

  HttpResponse challenge = Send(registry, "GET", "/v2/");
  REQUIRE(challenge.status == 401);
  std::string www = challenge.Header("WWW-Authenticate");
  CHECK(www.rfind("Bearer ", 0) == 0);
  auto params = ChallengeParams(www);
  CHECK(params["realm"] == ts->realm());
  CHECK(params["service"] == ts->options().service);

  HttpResponse token_response =
      RequestToken(registry, {"repository:test/repo:pull,push"}, BasicOf(registry).basic);
  REQUIRE_MESSAGE(token_response.status == 200, token_response.body);
  auto body = nlohmann::json::parse(token_response.body);
  CHECK(body.at("token") == body.at("access_token"));
  CHECK(body.at("expires_in") == 300);
  CHECK(IsRfc3339Utc(body.at("issued_at").get<std::string>()));
  Credentials bearer{std::nullopt, body.at("token").get<std::string>()};

  CHECK_MESSAGE(Send(registry, "GET", "/v2/", bearer).status == 200, registry.log());
  const std::string blob = "token-auth blob";
  HttpResponse pushed = PushBlob(registry, "test/repo", blob, bearer);
  CHECK_MESSAGE(pushed.status == 201, pushed.body, registry.log());
  HttpResponse head = Send(registry, "HEAD", "/v2/test/repo/blobs/" + Sha256Digest(blob), bearer);
  CHECK(head.status == 200);
  CHECK(head.Header("Docker-Content-Digest") == Sha256Digest(blob));

  // The challenge for a repository operation names the scope a client must ask for.
  HttpResponse scoped = Send(registry, "HEAD", "/v2/test/repo/blobs/" + Sha256Digest(blob));
  CHECK(scoped.status == 401);
  CHECK(ChallengeParams(scoped.Header("WWW-Authenticate"))["scope"] == "repository:test/repo:pull");

  // A token for one repository is no good for another.
  CHECK(PushBlob(registry, "other/repo", blob, bearer).status == 401);

  auto stats = ts->Stats();
  CHECK(stats.requests == 1);
  CHECK(stats.issued == 1);
  CHECK(stats.scopes == std::vector<std::string>{"repository:test/repo:pull,push"});
}

TEST_CASE("token registry: a pull-only token cannot push, and a read-only account only gets pull") {
  TestRegistry registry(RegistryOptions{.auth = RegistryAuth::kToken});
  const std::string blob = "pushed with a push token";
  REQUIRE(PushBlob(registry, "test/repo", blob,
                   {std::nullopt, TokenFor(registry, {"repository:test/repo:pull,push"})})
              .status == 201);

  Credentials pull_only{std::nullopt, TokenFor(registry, {"repository:test/repo:pull"})};
  CHECK(Send(registry, "HEAD", "/v2/test/repo/blobs/" + Sha256Digest(blob), pull_only).status == 200);
  HttpResponse refused = PushBlob(registry, "test/repo", "another blob", pull_only);
  CHECK((refused.status == 401 || refused.status == 403));
  CHECK(refused.Header("WWW-Authenticate").find("insufficient_scope") != std::string::npos);

  TestRegistry read_only(RegistryOptions{.auth = RegistryAuth::kToken, .token_actions = {"pull"}});
  std::string token = TokenFor(read_only, {"repository:test/repo:pull,push"});
  HttpResponse push = PushBlob(read_only, "test/repo", blob, {std::nullopt, token});
  CHECK((push.status == 401 || push.status == 403));
}

TEST_CASE("token server: wrong credentials get 401, anonymous gets a token with no access") {
  TestRegistry registry(RegistryOptions{.auth = RegistryAuth::kToken});
  HttpResponse wrong = RequestToken(registry, {"repository:test/repo:pull"},
                                    std::make_pair(registry.options().username, "nope"));
  CHECK(wrong.status == 401);
  HttpResponse unknown_user =
      RequestToken(registry, {"repository:test/repo:pull"}, std::make_pair("who", "nope"));
  CHECK(unknown_user.status == 401);

  HttpResponse anon = RequestToken(registry, {"repository:test/repo:pull"}, std::nullopt);
  REQUIRE(anon.status == 200);
  Credentials anon_token{std::nullopt, nlohmann::json::parse(anon.body).at("token").get<std::string>()};
  CHECK(Send(registry, "GET", "/v2/", anon_token).status == 200);  // authenticated, but...
  CHECK(Send(registry, "HEAD", "/v2/test/repo/blobs/" + Sha256Digest("x"), anon_token).status ==
        401);  // no access

  auto stats = registry.token_server()->Stats();
  CHECK(stats.requests == 3);
  CHECK(stats.rejected == 2);
  CHECK(stats.issued_anonymous == 1);
  CHECK(stats.issued == 0);

  TestRegistry strict(RegistryOptions{.auth = RegistryAuth::kToken, .token_reject_anonymous = true});
  CHECK(RequestToken(strict, {"repository:test/repo:pull"}, std::nullopt).status == 401);
}

TEST_CASE("token registry with TLS: the token server is HTTPS with the test CA too") {
  TestRegistry registry(RegistryOptions{.auth = RegistryAuth::kToken, .tls = true});
  CHECK(registry.token_server()->realm().rfind("https://127.0.0.1:", 0) == 0);
  Credentials bearer{std::nullopt, TokenFor(registry, {"repository:test/repo:pull,push"})};
  CHECK(PushBlob(registry, "test/repo", "tls token blob", bearer).status == 201);
}

TEST_CASE("token expiry: distribution allows 60 s of leeway past exp") {
  // This is why refresh tests count token requests (TokenServer::Stats) instead of waiting for the
  // registry to refuse an old token.
  TestRegistry recent(RegistryOptions{.auth = RegistryAuth::kToken, .token_ttl_seconds = -30});
  CHECK(Send(recent, "GET", "/v2/", {std::nullopt, TokenFor(recent, {})}).status == 200);
  TestRegistry stale(RegistryOptions{.auth = RegistryAuth::kToken, .token_ttl_seconds = -120});
  CHECK(Send(stale, "GET", "/v2/", {std::nullopt, TokenFor(stale, {})}).status == 401);
}

TEST_CASE("Stop makes connections fail; Restart brings the same data back on the same port") {
  TestRegistry registry;
  const std::string blob = "survives a restart";
  REQUIRE(PushBlob(registry, "test/repo", blob).status == 201);
  const std::string host = registry.host();
  CHECK(registry.running());

  registry.Stop();
  registry.Stop();  // idempotent
  CHECK_FALSE(registry.running());
  HttpResponse down = Send(registry, "GET", "/v2/");
  CHECK(down.status == 0);
  CHECK_FALSE(down.error.empty());

  registry.Restart();
  CHECK(registry.running());
  CHECK(registry.host() == host);
  CHECK(Send(registry, "HEAD", "/v2/test/repo/blobs/" + Sha256Digest(blob)).status == 200);
}

TEST_CASE("Restart fails loudly, with the registry's log, when its port has been taken") {
  TestRegistry registry;
  registry.Stop();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(registry.host().substr(10))));
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  std::string message;
  try {
    registry.Restart();
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  ::close(fd);
  CHECK_MESSAGE(message.find("address already in use") != std::string::npos, message);
  CHECK_FALSE(registry.running());
}

TEST_CASE("access log: RequestCount sees each request, not the support library's probes") {
  TestRegistry registry;
  const std::string blob = "counted";
  const std::string digest = Sha256Digest(blob);
  CHECK(registry.RequestCount("GET", "/v2/") == 0);
  REQUIRE(PushBlob(registry, "test/repo", blob).status == 201);
  CHECK(Send(registry, "HEAD", "/v2/test/repo/blobs/" + digest).status == 200);
  CHECK(registry.RequestCount("GET", "/blobs/" + digest) == 0);
  HttpResponse get = Send(registry, "GET", "/v2/test/repo/blobs/" + digest);
  CHECK(get.body == blob);

  CHECK(registry.RequestCount("POST", "/v2/test/repo/blobs/uploads/") == 1);
  CHECK(registry.RequestCount("PUT", "digest=" + digest) == 1);
  CHECK(registry.RequestCount("HEAD", "/blobs/" + digest) == 1);
  CHECK(registry.RequestCount("GET", "/blobs/" + digest) == 1);
  CHECK(registry.RequestCount("GET", "/v2/") == 1);  // the readiness probe and the markers are not counted
  auto log = registry.AccessLog();
  REQUIRE(log.size() == 4);
  CHECK(log[0].method == "POST");
  CHECK(log[0].status == 202);
  CHECK(log[3].target == "/v2/test/repo/blobs/" + digest);
  CHECK(log[3].status == 200);

  // Counts survive a restart (one log across runs) and are readable while stopped.
  registry.Restart();
  CHECK(Send(registry, "GET", "/v2/test/repo/blobs/" + digest).status == 200);
  registry.Stop();
  CHECK(registry.RequestCount("GET", "/blobs/" + digest) == 2);
}

TEST_CASE("BlobDataPath points at the bytes the registry serves, uncached") {
  TestRegistry registry;
  const std::string blob = "original bytes";
  REQUIRE(PushBlob(registry, "test/repo", blob).status == 201);
  std::string path = registry.BlobDataPath(Sha256Digest(blob));
  CHECK(path.rfind(registry.storage_root() + "/docker/registry/v2/blobs/sha256/", 0) == 0);
  REQUIRE(promote::testing::ReadFile(path) == blob);
  promote::testing::WriteFile(path, "corrupt bytes!");
  CHECK(Send(registry, "GET", "/v2/test/repo/blobs/" + Sha256Digest(blob)).body == "corrupt bytes!");
  CHECK_THROWS_AS(registry.BlobDataPath("sha512:abc"), std::invalid_argument);
}

TEST_CASE("skopeo pushes an image into a TLS basic-auth registry") {
  using promote::testing::RunCommandOrThrow;
  using promote::testing::TempDir;
  TestRegistry registry(RegistryOptions{.auth = RegistryAuth::kBasic, .tls = true});
  TempDir work;

  // A one-layer OCI image layout, built by hand so the test needs nothing but skopeo.
  work.Write("rootfs/hello.txt", "hello from promote\n");
  RunCommandOrThrow({"tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf",
                     work.path() + "/layer.tar", "-C", work.path() + "/rootfs", "hello.txt"});
  std::string tar = promote::testing::ReadFile(work.path() + "/layer.tar");
  std::string layer = RunCommandOrThrow({"gzip", "-n", "-c", work.path() + "/layer.tar"}).out;
  std::string config = nlohmann::json{{"architecture", "amd64"},
                                      {"os", "linux"},
                                      {"rootfs", {{"type", "layers"}, {"diff_ids", {Sha256Digest(tar)}}}}}
                           .dump();
  std::string manifest = nlohmann::json{{"schemaVersion", 2},
                                        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                        {"config",
                                         {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                          {"digest", Sha256Digest(config)},
                                          {"size", config.size()}}},
                                        {"layers",
                                         {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                           {"digest", Sha256Digest(layer)},
                                           {"size", layer.size()}}}}}
                             .dump();
  for (const std::string* b : {&layer, &config, &manifest}) {
    work.Write("layout/blobs/sha256/" + Sha256Digest(*b).substr(7), *b);
  }
  work.Write("layout/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  work.Write("layout/index.json",
             nlohmann::json{{"schemaVersion", 2},
                            {"manifests",
                             {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                               {"digest", Sha256Digest(manifest)},
                               {"size", manifest.size()},
                               {"annotations", {{"org.opencontainers.image.ref.name", "v1"}}}}}}}
                 .dump());

  // Credentials travel in an auth file, not on skopeo's command line.
  RunCommandOrThrow({"skopeo", "copy", "--insecure-policy", "--preserve-digests", "--dest-authfile",
                     registry.WriteDockerConfig(), "--dest-cert-dir", registry.cert_dir(), "--digestfile",
                     work.path() + "/digest", "oci:" + work.path() + "/layout:v1",
                     "docker://" + registry.host() + "/test/skopeo:v1"});
  CHECK(promote::testing::ReadFile(work.path() + "/digest") == Sha256Digest(manifest));

  HttpResponse got = Send(registry, "GET", "/v2/test/skopeo/manifests/v1", BasicOf(registry), std::nullopt,
                          {"Accept: application/vnd.oci.image.manifest.v1+json"});
  CHECK(got.status == 200);
  CHECK(got.body == manifest);
  CHECK(got.Header("Docker-Content-Digest") == Sha256Digest(manifest));
  CHECK(registry.RequestCount("PUT", "/v2/test/skopeo/manifests/v1") == 1);
}

TEST_CASE("ChildProcess reports how a server exited and keeps its output in the log") {
  promote::testing::TempDir dir;
  promote::testing::ChildProcess child({"docker-registry", "serve", dir.path() + "/missing.yml"},
                                       dir.path() + "/log");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (child.Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(child.DescribeExit() == "exited with 1");
  CHECK(promote::testing::ReadFile(dir.path() + "/log").find("missing.yml") != std::string::npos);
  child.Kill();  // after exit: a no-op
}

TEST_CASE("RunCommand feeds stdin and captures stdout, stderr and the exit code") {
  auto r = promote::testing::RunCommand({"sh", "-c", "cat; echo oops >&2; exit 3"}, "fed through stdin");
  CHECK(r.exit_code == 3);
  CHECK(r.out == "fed through stdin");
  CHECK(r.err == "oops\n");
  CHECK_THROWS_AS(promote::testing::RunCommandOrThrow({"false"}), std::runtime_error);
  CHECK_THROWS_AS(promote::testing::RunCommand({"no-such-program-promote"}), std::runtime_error);
}

TEST_CASE("no registry or token server outlives its TestRegistry, and no zombie is left") {
  REQUIRE(ChildProcesses().empty());
  std::string dir_marker;
  {
    TestRegistry registry(RegistryOptions{.auth = RegistryAuth::kToken, .tls = true});
    CHECK(ChildProcesses().size() == 2);  // docker-registry and the token server
    dir_marker = registry.storage_root();
    dir_marker = dir_marker.substr(0, dir_marker.rfind('/'));
    CHECK(ProcessesMentioning(dir_marker).size() == 2);
    registry.Stop();
    CHECK(ChildProcesses().size() == 1);
  }
  CHECK_MESSAGE(ChildProcesses().empty(), ChildProcesses().size());
  CHECK(ProcessesMentioning(dir_marker).empty());
  CHECK_FALSE(std::filesystem::exists(dir_marker));
}
