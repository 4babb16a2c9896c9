#include "registry/credentials.h"
#include "registry/docker_auth_file.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

using promote::registry::ResolveFromDockerConfig;

namespace {

// A docker-credential-<name> helper on the PATH of environment(), as a shell script printing
// `output` with `status`.
struct FakeHelper {
  std::filesystem::path dir;
  FakeHelper(const std::string& name, const std::string& output, int status) {
    dir = std::filesystem::temp_directory_path() / ("promote-cred-" + std::to_string(::getpid()) + name);
    std::filesystem::create_directories(dir);
    auto file = dir / ("docker-credential-" + name);
    std::ofstream(file) << "#!/bin/sh\nread -r server\n[ \"$server\" = \"reg.example.com:5000\" ] || exit 9\n"
                        << "printf '%s' '" << output << "'\nexit " << status << "\n";
    std::filesystem::permissions(file, std::filesystem::perms::owner_all);
  }
  ~FakeHelper() { std::filesystem::remove_all(dir); }
  // What promote is given as its environment: the helper is found only through this PATH.
  promote::EnvironmentVariables environment() const {
    return promote::EnvironmentVariables({{"PATH", dir.string() + ":/usr/bin:/bin"}, {"HOME", "/nonexistent"}});
  }
};

}  // namespace

TEST_CASE("docker config auths: base64 auth, username/password and identity tokens") {
  // "user:pa:ss" — the password may itself contain a colon.
  auto r = ResolveFromDockerConfig(R"({"auths":{"reg.example.com:5000":{"auth":"dXNlcjpwYTpzcw=="}}})",
                                   "reg.example.com:5000", "config.json");
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK((*r)->username == "user");
  CHECK((*r)->password.reveal() == "pa:ss");

  auto url_key = ResolveFromDockerConfig(R"({"auths":{"https://reg.example.com:5000":{"username":"u","password":"p"}}})",
                                         "reg.example.com:5000", "config.json");
  REQUIRE(url_key.ok());
  CHECK((*url_key)->username == "u");

  auto hub = ResolveFromDockerConfig(R"({"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnNlY3JldA=="}}})",
                                     "docker.io", "config.json");
  REQUIRE(hub.ok());
  CHECK((*hub)->username == "hub");

  auto token = ResolveFromDockerConfig(R"({"auths":{"r.io":{"identitytoken":"refresh-me"}}})", "r.io", "config.json");
  REQUIRE(token.ok());
  CHECK((*token)->identity_token.reveal() == "refresh-me");

  auto none = ResolveFromDockerConfig(R"({"auths":{"other.io":{"auth":"dTpw"}}})", "r.io", "config.json");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("credential helpers: credHelpers per registry, credsStore for the rest") {
  FakeHelper helper("promotetest", R"({"ServerURL":"reg.example.com:5000","Username":"robot","Secret":"s3cret"})", 0);
  auto r = ResolveFromDockerConfig(R"({"credHelpers":{"reg.example.com:5000":"promotetest"}})", "reg.example.com:5000",
                                   "config.json", "", helper.environment());
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK((*r)->username == "robot");
  CHECK((*r)->password.reveal() == "s3cret");

  auto store = ResolveFromDockerConfig(R"({"credsStore":"promotetest","auths":{"reg.example.com:5000":{}}})",
                                       "reg.example.com:5000", "config.json", "", helper.environment());
  REQUIRE(store.ok());
  CHECK((*store)->username == "robot");
}

TEST_CASE("a credential helper that fails or prints garbage is an error, never anonymous") {
  {
    FakeHelper helper("promotemiss", "credentials not found in native keychain", 1);
    auto miss = ResolveFromDockerConfig(R"({"credsStore":"promotemiss"})", "reg.example.com:5000", "config.json", "",
                                       helper.environment());
    REQUIRE(miss.ok());
    CHECK_FALSE(miss->has_value());
  }
  {
    FakeHelper helper("promotebroken", "{not json", 0);
    auto bad = ResolveFromDockerConfig(R"({"credsStore":"promotebroken"})", "reg.example.com:5000", "config.json", "",
                                       helper.environment());
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == promote::Code::kUnauthenticated);
  }
  {
    // A non-string Username used to throw out of the parser.
    FakeHelper helper("promotebadname", R"({"Username":5,"Secret":"s"})", 0);
    auto bad = ResolveFromDockerConfig(R"({"credsStore":"promotebadname"})", "reg.example.com:5000", "config.json", "",
                                       helper.environment());
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == promote::Code::kUnauthenticated);
  }
  auto missing = ResolveFromDockerConfig(R"({"credsStore":"promote-no-such-helper"})", "reg.example.com:5000", "c");
  CHECK_FALSE(missing.ok());
}

TEST_CASE("ParseDockerConfigEntry finds credentials or the helper to ask, running nothing") {
  using promote::registry::ParseDockerConfigEntry;
  auto creds = ParseDockerConfigEntry(R"({"auths":{"r.io":{"auth":"dTpw"}},"credsStore":"x"})", "r.io", "c");
  REQUIRE(creds.ok());
  REQUIRE(creds->credentials.has_value());
  CHECK(creds->credentials->username == "u");
  CHECK(creds->helper.empty());

  auto helper = ParseDockerConfigEntry(R"({"credHelpers":{"r.io":"ecr-login"},"auths":{"r.io":{"auth":"dTpw"}}})",
                                       "r.io", "c");
  REQUIRE(helper.ok());
  CHECK_FALSE(helper->credentials.has_value());
  CHECK(helper->helper == "ecr-login");

  auto store = ParseDockerConfigEntry(R"({"credsStore":"desktop","auths":{"r.io":{}}})", "r.io", "c");
  REQUIRE(store.ok());
  CHECK(store->helper == "desktop");

  auto none = ParseDockerConfigEntry(R"({"auths":{}})", "r.io", "c");
  REQUIRE(none.ok());
  CHECK_FALSE(none->credentials.has_value());
  CHECK(none->helper.empty());
}

TEST_CASE("malformed docker configs are refused with the file named") {
  const char* bad[] = {
      "not json",
      "[]",
      R"({"auths":[]})",
      R"({"auths":{"r.io":"x"}})",
      R"({"auths":{"r.io":{"auth":"!!!"}}})",
      R"({"auths":{"r.io":{"auth":"bm9jb2xvbg=="}}})",  // "nocolon"
      R"({"credHelpers":{"r.io":5}})",
      R"({"credHelpers":{"r.io":"../../bin/sh"}})",
      R"({"credsStore":7})",
      // Mistyped username/password threw out of the parser (found with scripts/fuzz's harness).
      R"({"auths":{"r.io":{"username":1,"password":"p"}}})",
      R"({"auths":{"r.io":{"username":"u","password":null}}})",
  };
  for (const char* b : bad) {
    CAPTURE(b);
    auto r = ResolveFromDockerConfig(b, "r.io", "/home/ci/.docker/config.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("/home/ci/.docker/config.json") != std::string::npos);
  }
}

TEST_CASE("a credential scope covers its host's repositories, or one namespace and what is under it") {
  using promote::registry::ScopeCovers;
  CHECK(ScopeCovers("reg.example", "reg.example", "team/app"));
  CHECK(ScopeCovers("reg.example/team", "reg.example", "team/app"));
  CHECK(ScopeCovers("reg.example/team", "reg.example", "team/sub/app"));
  CHECK(ScopeCovers("reg.example/team/app", "reg.example", "team/app"));
  CHECK_FALSE(ScopeCovers("reg.example/team", "reg.example", "teamx/app"));  // a segment, not a prefix
  CHECK_FALSE(ScopeCovers("reg.example/team/app", "reg.example", "team"));
  CHECK_FALSE(ScopeCovers("reg.example", "reg.example:5000", "team/app"));
  CHECK_FALSE(ScopeCovers("reg.example:5000", "reg.example", "team/app"));
  CHECK_FALSE(ScopeCovers("reg.examplex/team", "reg.example", "team/app"));
}

TEST_CASE("explicit credentials: the most specific entry wins, and says which it was") {
  promote::registry::StaticKeychain keychain;
  auto creds = [](const std::string& user) {
    promote::registry::Credentials c;
    c.username = user;
    c.password = promote::Secret("pw-" + user);
    return c;
  };
  keychain.Add("reg.example", creds("host-wide"));
  keychain.Add("reg.example/stage", creds("stage-robot"));
  keychain.Add("reg.example/stage/payments", creds("payments-robot"));

  auto user_for = [&](const std::string& repository) -> std::string {
    auto r = keychain.Resolve("reg.example", repository);
    REQUIRE(r.ok());
    return r->has_value() ? (*r)->username + " @ " + (*r)->scope : "anonymous";
  };
  CHECK(user_for("prod/app") == "host-wide @ reg.example");
  CHECK(user_for("stage/app") == "stage-robot @ reg.example/stage");
  CHECK(user_for("stage/payments") == "payments-robot @ reg.example/stage/payments");
  CHECK(user_for("stage/payments/worker") == "payments-robot @ reg.example/stage/payments");
  CHECK(user_for("stagex/app") == "host-wide @ reg.example");
  auto other = keychain.Resolve("other.example", "stage/app");
  REQUIRE(other.ok());
  CHECK_FALSE(other->has_value());
}

TEST_CASE("docker config: an auths entry for a namespace beats the host's helper and entry") {
  // As containers-auth.json (podman, skopeo) allows: "host/namespace" keys, most specific first.
  const std::string config = R"({
    "auths": {
      "reg.example.com:5000": {"auth": "aG9zdDpob3N0cHc="},
      "reg.example.com:5000/team": {"username": "team-robot", "password": "team-pw"},
      "reg.example.com:5000/team/app": {"username": "app-robot", "password": "app-pw"}
    },
    "credHelpers": {"reg.example.com:5000": "neverrun"}
  })";
  auto app = ResolveFromDockerConfig(config, "reg.example.com:5000", "config.json", "team/app");
  REQUIRE(app.ok());
  REQUIRE(app->has_value());
  CHECK((*app)->username == "app-robot");
  CHECK((*app)->scope == "reg.example.com:5000/team/app");
  auto team = ResolveFromDockerConfig(config, "reg.example.com:5000", "config.json", "team/other");
  REQUIRE(team.ok());
  REQUIRE(team->has_value());
  CHECK((*team)->username == "team-robot");
  CHECK((*team)->scope == "reg.example.com:5000/team");
  // Outside the namespaces the host's own rule applies: here its helper, which is not installed.
  auto entry = promote::registry::ParseDockerConfigEntry(config, "reg.example.com:5000", "config.json", "other/app");
  REQUIRE(entry.ok());
  CHECK(entry->helper == "neverrun");
  CHECK_FALSE(entry->credentials.has_value());
}

TEST_CASE("a credential helper is found only on the PATH promote was given") {
  FakeHelper helper("promotepath", R"({"ServerURL":"reg.example.com:5000","Username":"robot","Secret":"s3cret"})", 0);
  const std::string config = R"({"credsStore":"promotepath"})";
  // The process's own PATH does not count, even when it holds the helper.
  const std::string old_path = std::getenv("PATH");
  setenv("PATH", (helper.dir.string() + ":" + old_path).c_str(), 1);
  auto without = ResolveFromDockerConfig(config, "reg.example.com:5000", "config.json");
  setenv("PATH", old_path.c_str(), 1);
  CHECK_FALSE(without.ok());
  auto with = ResolveFromDockerConfig(config, "reg.example.com:5000", "config.json", "", helper.environment());
  REQUIRE_MESSAGE(with.ok(), with.status().ToString());
  CHECK((*with)->username == "robot");
}

TEST_CASE("the default docker config path comes from the environment given") {
  using promote::EnvironmentVariables;
  using promote::registry::DockerConfigKeychain;
  struct Case {
    std::map<std::string, std::string> env;
    std::string path;
  } cases[] = {
      {{{"DOCKER_CONFIG", "/etc/ci/docker"}, {"HOME", "/home/ci"}}, "/etc/ci/docker/config.json"},
      {{{"DOCKER_CONFIG", ""}, {"HOME", "/home/ci"}}, "/home/ci/.docker/config.json"},
      {{{"HOME", "/home/ci"}}, "/home/ci/.docker/config.json"},
      {{}, "/.docker/config.json"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    CHECK(DockerConfigKeychain::DefaultPath(EnvironmentVariables(c.env)) == c.path);
  }
}

// The key a scanner's throw-away config (registry/docker_auth_file.h) files credentials under.
TEST_CASE("Docker Hub credentials use Docker's index key") {
  CHECK(promote::registry::DockerConfigKey("docker.io") == "https://index.docker.io/v1/");
  CHECK(promote::registry::DockerConfigKey("registry-1.docker.io") == "https://index.docker.io/v1/");
  CHECK(promote::registry::DockerConfigKey("ghcr.io") == "ghcr.io");
  CHECK(promote::registry::DockerConfigKey("localhost:5000") == "localhost:5000");
}
