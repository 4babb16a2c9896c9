// promote copy against registries that need TLS, Basic auth and the Bearer token flow.
#include <doctest/doctest.h>

#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

TEST_CASE("TLS registries are verified against the given CA, and refused without it") {
  RegistryOptions tls;
  tls.tls = true;
  TestRegistry dev(tls), prod(tls);
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 1000, 5});

  auto untrusted = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", prod.host() + "/app"});
  CHECK(untrusted.exit_code == 4);
  auto e = untrusted.Json();
  CHECK(e["error"]["code"] == "unavailable");
  CHECK(e["error"]["message"].get<std::string>().find("certificate") != std::string::npos);

  auto run = RunPromote({"-o", "json", "copy", "--ca-file", dev.ca_file(), dev.host() + "/app:v1", prod.host() + "/app"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.Json()["digest"] == img.digest);
  // TLS was really used: the registry saw the requests on its HTTPS port.
  CHECK(prod.RequestCount("PUT", "/manifests/v1") == 1);
}

TEST_CASE("Basic auth: credentials from a docker config, from flags with env, and wrong ones") {
  RegistryOptions basic;
  basic.auth = RegistryAuth::kBasic;
  basic.tls = true;
  TestRegistry dev(basic), prod(basic);
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 1000, 6});

  SUBCASE("docker config.json with both registries") {
    TempDir dir;
    std::string auth_dev = dev.WriteDockerConfig();
    std::string auth_prod = prod.WriteDockerConfig();
    // Merge both registries' "auths" into one config, as `docker login` twice would.
    auto a = nlohmann::json::parse(ReadFile(auth_dev));
    auto b = nlohmann::json::parse(ReadFile(auth_prod));
    a["auths"].update(b["auths"]);
    std::string config = dir.Write("config.json", a.dump(), 0600);
    auto run = RunPromote({"-o", "json", "copy", "--ca-file", dev.ca_file(), "--authfile", config,
                           dev.host() + "/app:v1", prod.host() + "/app"});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.Json()["digest"] == img.digest);

    // DOCKER_CONFIG is honoured when no --authfile is given.
    auto via_env = RunPromote({"-o", "json", "resolve", "--ca-file", dev.ca_file(), prod.host() + "/app:v1"},
                              {{"DOCKER_CONFIG", dir.path()}});
    CHECK(via_env.exit_code == 0);
  }

  SUBCASE("usernames as flags, passwords from the environment") {
    auto run = RunPromote({"-o", "json", "copy", "--ca-file", dev.ca_file(), "--src-username", dev.options().username,
                           "--dst-username", prod.options().username, dev.host() + "/app:v1", prod.host() + "/app"},
                          {{"PROMOTE_SRC_PASSWORD", dev.options().password},
                           {"PROMOTE_DST_PASSWORD", prod.options().password}});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find(prod.options().password) == std::string::npos);
  }

  SUBCASE("a wrong password fails clearly and never shows the password") {
    std::string wrong = "wrong-" + RandomPassword();
    auto run = RunPromote({"-o", "json", "--log-level", "debug", "copy", "--ca-file", dev.ca_file(), "--src-username",
                           dev.options().username, "--dst-username", prod.options().username,
                           dev.host() + "/app:v1", prod.host() + "/app"},
                          {{"PROMOTE_SRC_PASSWORD", wrong}, {"PROMOTE_DST_PASSWORD", prod.options().password}});
    CHECK(run.exit_code == 4);
    auto j = run.Json();
    CHECK(j["error"]["code"] == "unauthenticated");
    CHECK(run.out.find(wrong) == std::string::npos);
    CHECK(run.err.find(wrong) == std::string::npos);
  }

  SUBCASE("no credentials at all") {
    auto run = RunPromote({"-o", "json", "resolve", "--ca-file", dev.ca_file(), dev.host() + "/app:v1"});
    CHECK(run.exit_code == 4);
    CHECK(run.Json()["error"]["code"] == "unauthenticated");
  }
}

TEST_CASE("Bearer tokens: scoped, cached across requests, refused for a read-only account") {
  RegistryOptions token;
  token.auth = RegistryAuth::kToken;
  TestRegistry dev(token), prod(token);
  SampleImage img = PushSampleImage(dev, "shop/app", "v1", {{"linux/amd64", "linux/arm64"}, 3, 1000, 7});
  uint64_t dev_tokens_before = dev.token_server()->Stats().requests;

  TempDir dir;
  auto a = nlohmann::json::parse(ReadFile(dev.WriteDockerConfig()));
  a["auths"].update(nlohmann::json::parse(ReadFile(prod.WriteDockerConfig()))["auths"]);
  std::string config = dir.Write("config.json", a.dump(), 0600);

  auto run = RunPromote({"-o", "json", "copy", "--authfile", config, dev.host() + "/shop/app:v1",
                         prod.host() + "/prod/app"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.Json()["digest"] == img.digest);

  // One token per scope set, not one per request: pull on the source, push+pull on the target.
  auto dev_stats = dev.token_server()->Stats();
  auto prod_stats = prod.token_server()->Stats();
  CHECK(dev_stats.requests - dev_tokens_before == 1);
  CHECK(prod_stats.requests == 1);
  CHECK(dev_stats.scopes.back() == "repository:shop/app:pull");
  CHECK(prod_stats.scopes.back() == "repository:prod/app:pull,push");

  RegistryOptions readonly = token;
  readonly.token_actions = {"pull"};
  TestRegistry locked(readonly);
  auto c = nlohmann::json::parse(ReadFile(dev.WriteDockerConfig()));
  c["auths"].update(nlohmann::json::parse(ReadFile(locked.WriteDockerConfig()))["auths"]);
  std::string config2 = dir.Write("config2.json", c.dump(), 0600);
  auto refused = RunPromote({"-o", "json", "copy", "--authfile", config2, dev.host() + "/shop/app:v1",
                             locked.host() + "/prod/app"});
  CHECK(refused.exit_code == 4);
  std::string code = refused.Json()["error"]["code"];
  CHECK((code == "unauthenticated" || code == "permission_denied"));
}

TEST_CASE("same-registry mounts with bearer auth ask for both repositories in one token") {
  RegistryOptions token;
  token.auth = RegistryAuth::kToken;
  TestRegistry shared(token);
  SampleImage img = PushSampleImage(shared, "dev/app", "v1", {{"linux/amd64"}, 2, 1000, 8});
  std::string config = shared.WriteDockerConfig();
  auto run = RunPromote({"-o", "json", "copy", "--authfile", config, shared.host() + "/dev/app:v1",
                         shared.host() + "/prod/app"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto j = run.Json();
  CHECK(j["blobs"]["mounted"] == img.blob_digests.size());
  auto scopes = shared.token_server()->Stats().scopes;
  bool combined = false;
  for (size_t i = 0; i + 1 < scopes.size(); ++i) {
    if ((scopes[i] == "repository:prod/app:pull,push" && scopes[i + 1] == "repository:dev/app:pull") ||
        (scopes[i] == "repository:dev/app:pull" && scopes[i + 1] == "repository:prod/app:pull,push")) {
      combined = true;
    }
  }
  CHECK(combined);
}

TEST_CASE("one registry, two accounts: --src-username and --dst-username each reach their own repository") {
  const std::string team_pw = RandomPassword(), prod_pw = RandomPassword();
  RegistryOptions token;
  token.auth = RegistryAuth::kToken;
  token.token_accounts = {{"team-robot", team_pw, {"pull"}, {"team"}}, {"prod-robot", prod_pw, {"*"}, {"prod"}}};
  TestRegistry shared(token);
  SampleImage img = PushSampleImage(shared, "team/app", "v1", {{"linux/amd64"}, 2, 1000, 12});
  auto run = RunPromote({"-o", "json", "copy", "--src-username", "team-robot", "--dst-username", "prod-robot",
                         shared.host() + "/team/app:v1", shared.host() + "/prod/app"},
                        {{"PROMOTE_SRC_PASSWORD", team_pw}, {"PROMOTE_DST_PASSWORD", prod_pw}});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.Json()["digest"] == img.digest);
  // Neither account may read both repositories, so nothing was mounted.
  CHECK(run.Json()["blobs"]["mounted"] == 0);

  // A docker config may say the same per namespace (containers-auth.json keys).
  TempDir dir;
  nlohmann::json auths = {
      {"auths",
       {{shared.host() + "/team", {{"username", "team-robot"}, {"password", team_pw}}},
        {shared.host() + "/prod", {{"username", "prod-robot"}, {"password", prod_pw}}}}}};
  std::string config = dir.Write("config.json", auths.dump(), 0600);
  auto from_config = RunPromote({"-o", "json", "copy", "--authfile", config, shared.host() + "/team/app:v1",
                                 shared.host() + "/prod/app:from-config"});
  INFO(from_config.out << from_config.err);
  REQUIRE(from_config.exit_code == 0);
  CHECK(from_config.Json()["digest"] == img.digest);
}
