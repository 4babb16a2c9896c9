#include "policy/promote_config.h"

#include <doctest/doctest.h>

#include <cstdlib>

#include <algorithm>

#include "policy/attached_files.h"
#include "policy/branch_rules.h"
#include "policy/secret_ref.h"

using namespace promote::policy;

namespace {

const std::string kGood = R"(version: 1
image: payment-svc
signing:
  key: env:PROMOTE_SIGNING_KEY
  password: env:PROMOTE_KEY_PASSWORD
scanners:
  trivy:
    kind: trivy
    timeout: 120
environments:
  - name: dev
    registry: dev.registry:5000
    repository: shop/payment-svc
    mutable-tags: [latest]
  - name: stage
    registry: registry.example.com
    repository: stage/payment-svc
    mutable-tags: [stage]
    gates:
      scan:
        scanners: [trivy]
        fail-on: HIGH
        ignore-unfixed: true
        allow:
          - id: CVE-2023-1234
            reason: not reachable
            expires: 2027-01-31
  - name: prod
    registry: registry.example.com
    repository: prod/payment-svc
    sign: true
    credentials:
      username: ci-bot
      password: env:PROD_PASSWORD
)";

}  // namespace

TEST_CASE("the variables a promote.yaml's env: secret references name, and a scanner's pass-env") {
  auto c = ParsePromoteConfig(kGood, "promote.yaml");
  REQUIRE(c.ok());
  CHECK(SecretEnvNames(*c) == std::vector<std::string>{"PROD_PASSWORD", "PROMOTE_SIGNING_KEY", "PROMOTE_KEY_PASSWORD"});
  auto p = ParsePromoteConfig("version: 1\nscanners:\n  t: {kind: trivy, pass-env: [TRIVY_CACHE_DIR]}\n"
                              "environments:\n  - {name: dev, registry: r.io, repository: app}\n",
                              "promote.yaml");
  REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  CHECK(p->scanners.at("t").pass_env == std::vector<std::string>{"TRIVY_CACHE_DIR"});
}

TEST_CASE("a complete promote.yaml loads with defaults for what it leaves out") {
  auto c = ParsePromoteConfig(kGood, "promote.yaml");
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  REQUIRE(c->environments.size() == 3);
  CHECK(c->immutable_tag == "sha-{sha7}");
  const auto* stage = c->FindEnvironment("stage");
  REQUIRE(stage != nullptr);
  CHECK(c->SourceOf(*stage)->name == "dev");
  CHECK(c->SourceOf(*c->FindEnvironment("dev")) == nullptr);
  REQUIRE(stage->scan.has_value());
  CHECK(stage->scan->policy.ignore_unfixed);
  CHECK(stage->scan->policy.allowlist.size() == 1);
  CHECK(c->FindEnvironment("prod")->credentials.password.ref == "env:PROD_PASSWORD");
  // Default Git-flow rules.
  CHECK(AllowedEnvironments(*c, "develop") == std::vector<std::string>{"dev"});
  CHECK(AllowedEnvironments(*c, "release/v1.2.0") == std::vector<std::string>{"stage"});
  CHECK(AllowedEnvironments(*c, "main") == std::vector<std::string>{"prod"});
  CHECK(AllowedEnvironments(*c, "hotfix/urgent") == std::vector<std::string>{"dev", "stage", "prod"});
  CHECK(AllowedEnvironments(*c, "feature/x").empty());
}

TEST_CASE("platforms: names the platforms an environment receives, in the order written") {
  auto c = ParsePromoteConfig(
      kGood + "    platforms: [linux/amd64, 'linux/arm64,linux/arm/v7', linux/amd64]\n", "promote.yaml");
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  std::vector<std::string> got;
  for (const auto& p : c->FindEnvironment("prod")->platforms) got.push_back(p.str());
  CHECK(got == std::vector<std::string>{"linux/amd64", "linux/arm64", "linux/arm/v7"});
  CHECK(c->FindEnvironment("stage")->platforms.empty());
}

TEST_CASE("signing.format and the signature gate's trusted-root") {
  const std::string envs =
      "environments:\n  - name: dev\n    registry: r.io\n    repository: app\n    gates:\n      signature:\n"
      "        key: file:/k.pub\n        trusted-root: ./trusted_root.json\n";
  struct Case {
    std::string signing;  // the signing: section
    std::string format;   // what loads; "!" + message when refused
  };
  const Case cases[] = {
      {"", ""},
      {"signing: {key: env:K}\n", ""},
      {"signing: {key: env:K, format: cosign}\n", "cosign"},
      {"signing: {key: env:K, format: bundle}\n", "bundle"},
      {"signing: {format: bundle}\n", "bundle"},  // the agent's key
      {"signing: {key: env:K, format: Bundle}\n", "!promote.yaml:2: signing format 'Bundle' must be cosign or bundle"},
      {"signing: {format: [bundle]}\n", "!signing format must be a string"},
      {"signing: {format: bundle, password: env:P}\n", "!signing needs key"},
      {"signing: {}\n", "!signing needs key"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.signing);
    auto parsed = ParsePromoteConfig("version: 1\n" + c.signing + envs, "promote.yaml");
    if (!c.format.empty() && c.format[0] == '!') {
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.status().message().find(c.format.substr(1)) != std::string::npos);
      continue;
    }
    REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
    CHECK(parsed->signing.format == c.format);
    CHECK(parsed->environments[0].verify->trusted_root == "./trusted_root.json");
  }
}

TEST_CASE("bad promote.yaml files are refused with file:line") {
  struct Case {
    std::string name;
    std::string yaml;
    std::string message_part;
  };
  const std::string envs = "environments:\n  - name: dev\n    registry: r.io\n    repository: app\n";
  const std::string stage = "  - name: stage\n    registry: r.io\n    repository: stage/app\n";
  const Case cases[] = {
      {"not yaml", "version: 1\nenvironments: [\n", "promote.yaml:"},
      {"no version", envs, "version is required"},
      {"bad version", "version: 2\n" + envs, "version must be between 1 and 1"},
      {"unknown top key", "version: 1\nfoo: 1\n" + envs, "promote.yaml:2: unknown key 'foo'"},
      {"no environments", "version: 1\n", "environments must be a non-empty list"},
      {"unknown env key", "version: 1\n" + envs + "    colour: blue\n", "promote.yaml:6: unknown key 'colour'"},
      {"env without repo", "version: 1\nenvironments:\n  - name: dev\n    registry: r.io\n", "needs name, registry"},
      {"bad env name", "version: 1\nenvironments:\n  - name: Dev;rm\n    registry: r.io\n    repository: app\n",
       "must be lowercase"},
      {"uppercase repo", "version: 1\nenvironments:\n  - name: dev\n    registry: r.io\n    repository: App\n",
       "lowercase"},
      {"duplicate env", "version: 1\n" + envs + "  - name: dev\n    registry: r.io\n    repository: b\n",
       "defined twice"},
      {"unknown from",
       "version: 1\n" + envs + "  - name: prod\n    registry: r.io\n    repository: b\n    from: qa\n",
       "unknown environment 'qa'"},
      {"cycle",
       "version: 1\nenvironments:\n  - name: a\n    registry: r.io\n    repository: a\n    from: b\n"
       "  - name: b\n    registry: r.io\n    repository: b\n    from: a\n",
       "cycle"},
      {"literal password",
       "version: 1\n" + envs + "    credentials:\n      username: u\n      password: hunter2\n",
       "never a literal secret"},
      {"unknown scanner",
       "version: 1\n" + envs + "    gates:\n      scan:\n        scanners: [trivy]\n", "unknown scanner 'trivy'"},
      {"bad severity",
       "version: 1\nscanners:\n  t: {kind: trivy}\n" + envs + "    gates:\n      scan:\n        scanners: [t]\n"
       "        fail-on: SEVERE\n",
       "unknown severity 'SEVERE'"},
      {"bad expiry",
       "version: 1\nscanners:\n  t: {kind: trivy}\n" + envs + "    gates:\n      scan:\n        scanners: [t]\n"
       "        allow:\n          - {id: CVE-1, reason: r, expires: 31/01/2027}\n",
       "expires must be a date"},
      // The entry is on line 12; the error names it.
      {"empty allow reason",
       "version: 1\nscanners:\n  t: {kind: trivy}\n" + envs + "    gates:\n      scan:\n        scanners: [t]\n"
       "        allow:\n          - {id: CVE-1, reason: \"\"}\n",
       "promote.yaml:12: environment 'dev' scan gate: allow entry CVE-1 needs a non-empty reason"},
      {"blank allow reason",
       "version: 1\nscanners:\n  t: {kind: trivy}\n" + envs + "    gates:\n      scan:\n        scanners: [t]\n"
       "        allow:\n          - {id: CVE-1, reason: '  '}\n",
       "promote.yaml:12:"},
      {"empty allow id",
       "version: 1\nscanners:\n  t: {kind: trivy}\n" + envs + "    gates:\n      scan:\n        scanners: [t]\n"
       "        allow:\n          - {id: '', reason: r}\n",
       "promote.yaml:12: environment 'dev' scan gate: an allow entry needs a non-empty id"},
      {"bad scanner kind", "version: 1\nscanners:\n  t: {kind: clair}\n" + envs, "kind must be trivy, grype"},
      {"pass-env of a bad name", "version: 1\nscanners:\n  t: {kind: trivy, pass-env: ['A-B']}\n" + envs,
       "pass-env: 'A-B' is not a variable name"},
      {"pass-env of promote's own secret",
       "version: 1\nscanners:\n  t: {kind: trivy, pass-env: [TRIVY_CACHE_DIR, PROMOTE_KEY_PASSWORD]}\n" + envs,
       "PROMOTE_KEY_PASSWORD holds one of promote's own secrets"},
      {"command without format", "version: 1\nscanners:\n  t: {kind: command, executable: /x}\n" + envs,
       "needs executable and format"},
      {"bad glob", "version: 1\n" + envs + "branches:\n  - pattern: 'rel ease/*'\n    to: [dev]\n",
       "cannot contain"},
      {"branch to unknown env", "version: 1\n" + envs + "branches:\n  - pattern: main\n    to: [prod]\n",
       "unknown environment 'prod'"},
      {"bad bool", "version: 1\n" + envs + "    sign: yes-please\n", "true or false"},
      {"tag template without sha", "version: 1\ntags:\n  immutable: stable\n" + envs, "must contain {sha7}"},
      {"tag template invalid", "version: 1\ntags:\n  immutable: 'sha {sha7}'\n" + envs, "invalid tag"},
      {"bad mutable tag", "version: 1\n" + envs + "    mutable-tags: ['-x']\n", "must start"},
      // platforms: (line 9) on an environment images are promoted into, never on the first one.
      {"bad platform", "version: 1\n" + envs + stage + "    platforms: [linux/amd64, Linux/ARM64]\n",
       "promote.yaml:9: environment 'stage' platforms: platform 'Linux/ARM64'"},
      {"platform without arch", "version: 1\n" + envs + stage + "    platforms: [linux]\n",
       "platform 'linux': needs two or three components"},
      {"platforms not a list", "version: 1\n" + envs + stage + "    platforms: {linux: amd64}\n",
       "platforms"},
      {"empty platforms", "version: 1\n" + envs + stage + "    platforms: []\n", "at least one platform"},
      {"platforms on the first environment", "version: 1\n" + envs + "    platforms: [linux/amd64]\n" + stage,
       "promote.yaml:3: environment 'dev' receives builds directly"},
      {"env: reference with a bad name",
       "version: 1\n" + envs + "    credentials:\n      username: u\n      password: env:1PASS\n",
       "never a literal secret"},
      // gates.provenance (its keys from line 8).
      {"provenance gate without key", "version: 1\n" + envs + "    gates:\n      provenance:\n        builder-id: x\n",
       "promote.yaml:8: environment 'dev' provenance gate: key is required"},
      {"provenance gate unknown key",
       "version: 1\n" + envs + "    gates:\n      provenance:\n        key: k.pub\n        level: 3\n",
       "promote.yaml:9: unknown key 'level'"},
      {"provenance build-level out of range",
       "version: 1\n" + envs + "    gates:\n      provenance:\n        key: k.pub\n        build-level: 4\n",
       "build-level must be between 1 and 3"},
      {"provenance build-level not a number",
       "version: 1\n" + envs + "    gates:\n      provenance:\n        key: k.pub\n        build-level: high\n",
       "build-level"},
      {"provenance empty builder-id",
       "version: 1\n" + envs + "    gates:\n      provenance:\n        key: k.pub\n        builder-id: ''\n",
       "builder-id must be a pattern"},
      {"provenance gate not a mapping", "version: 1\n" + envs + "    gates:\n      provenance: k.pub\n",
       "provenance gate"},
      // A long value used to overflow the stack in std::regex (a 120 KB file crashed the CLI).
      {"long env: reference",
       "version: 1\n" + envs + "    credentials:\n      username: u\n      password: env:" +
           std::string(500000, 'A') + "-\n",
       "never a literal secret"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto r = ParsePromoteConfig(c.yaml, "promote.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == promote::Code::kInvalidArgument);
    INFO(r.status().message());
    CHECK(r.status().message().find(c.message_part) != std::string::npos);
  }
  // The literal password never appears in the error.
  auto lit = ParsePromoteConfig("version: 1\n" + envs + "    credentials:\n      username: u\n      password: hunter2\n",
                                "promote.yaml");
  CHECK(lit.status().message().find("hunter2") == std::string::npos);
}

TEST_CASE("gates.provenance: key, builder pattern and build level; its key travels with the request") {
  const std::string yaml = kGood + R"(  - name: prod2
    registry: registry.example.com
    repository: prod2/payment-svc
    gates:
      provenance:
        key: env:PROVENANCE_KEY
        builder-id: "https://github.com/slsa-framework/slsa-github-generator/*"
        build-level: 3
  - name: prod3
    registry: registry.example.com
    repository: prod3/payment-svc
    gates:
      provenance: {key: ./build.pub}
)";
  auto c = ParsePromoteConfig(yaml, "promote.yaml");
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  const Environment* p2 = c->FindEnvironment("prod2");
  REQUIRE(p2->provenance.has_value());
  CHECK(p2->provenance->public_key == "env:PROVENANCE_KEY");
  CHECK(p2->provenance->builder_id == "https://github.com/slsa-framework/slsa-github-generator/*");
  CHECK(p2->provenance->build_level == 3);
  const Environment* p3 = c->FindEnvironment("prod3");
  REQUIRE(p3->provenance.has_value());
  CHECK(p3->provenance->builder_id.empty());
  CHECK(p3->provenance->build_level == 1);
  CHECK_FALSE(c->FindEnvironment("prod")->provenance.has_value());
  // The digest of the exact bytes: the policy a verification summary names.
  CHECK(c->sha256.size() == 64);
  CHECK(c->sha256 != ParsePromoteConfig(kGood, "promote.yaml")->sha256);

  std::vector<std::string> named;
  for (const auto& f : FilesNamedBy(*c)) named.push_back(f.name);
  CHECK(std::count(named.begin(), named.end(), "env:PROVENANCE_KEY") == 1);
  CHECK(std::count(named.begin(), named.end(), "./build.pub") == 1);
}

TEST_CASE("environment credentials apply to their own repository, even next to another environment's on one host") {
  auto c = ParsePromoteConfig(kGood, "promote.yaml");
  REQUIRE(c.ok());
  ConfigKeychain keychain(&*c, promote::EnvironmentVariables({{"PROD_PASSWORD", "prod-secret"}}));
  auto user_for = [&](const std::string& registry, const std::string& repository) -> std::string {
    auto r = keychain.Resolve(registry, repository);
    REQUIRE(r.ok());
    return r->has_value() ? (*r)->username + " @ " + (*r)->scope : "none";
  };
  CHECK(user_for("registry.example.com", "prod/payment-svc") == "ci-bot @ registry.example.com/prod/payment-svc");
  // stage declares no credentials: the docker config decides, not prod's account.
  CHECK(user_for("registry.example.com", "stage/payment-svc") == "none");
  // Another repository of the host (e.g. `promote scan` of some image) gets the host's.
  CHECK(user_for("registry.example.com", "tools/scanner") == "ci-bot @ registry.example.com");
  CHECK(user_for("dev.registry:5000", "shop/payment-svc") == "none");
}

TEST_CASE("images: a release set, each image at its repository in every environment") {
  const std::string yaml =
      "version: 1\nimage: shop\nenvironments:\n"
      "  - {name: dev, registry: dev.io, repository: shop/api}\n"
      "  - {name: stage, registry: stage.io, repository: shop/api}\n"
      "images:\n"
      "  - name: api\n    repositories: {dev: shop/api, stage: shop/api}\n"
      "  - name: web\n    repositories:\n      dev: shop/web\n"
      "      stage: {registry: cdn.io:5000, repository: edge/web}\n";
  auto c = ParsePromoteConfig(yaml, "promote.yaml");
  INFO((c.ok() ? std::string() : c.status().message()));
  REQUIRE(c.ok());
  REQUIRE(c->images.size() == 2);
  CHECK(c->images[0].name == "api");
  CHECK(c->images[1].line == 9);
  const PromoteConfig web = c->ForImage(c->images[1]);
  CHECK(web.images.empty());
  CHECK(web.FindEnvironment("dev")->Name() == "dev.io/shop/web");
  CHECK(web.FindEnvironment("stage")->Name() == "cdn.io:5000/edge/web");
  // Without images: one image, the environments' repositories, as before.
  CHECK(ParsePromoteConfig(kGood, "promote.yaml")->images.empty());
}

TEST_CASE("bad images: entries are refused with file:line, naming the image") {
  struct Case {
    std::string name;
    std::string images;  // appended after two environments (dev, stage) ending on line 4
    std::string message_part;
  };
  const std::string head =
      "version: 1\nenvironments:\n  - {name: dev, registry: r.io, repository: dev/api}\n"
      "  - {name: stage, registry: r.io, repository: stage/api}\n";
  const Case cases[] = {
      {"not a list", "images: api\n", "promote.yaml:5: images must be a non-empty list"},
      {"empty list", "images: []\n", "images must be a non-empty list"},
      {"no repositories", "images:\n  - name: api\n", "promote.yaml:6: an image of images: needs name and repositories"},
      {"unknown key", "images:\n  - {name: api, repositories: {dev: a, stage: a}, tag: x}\n",
       "promote.yaml:6: unknown key 'tag'"},
      {"bad name", "images:\n  - {name: Api_1, repositories: {dev: a, stage: a}}\n",
       "image name 'Api_1' must be lowercase letters, digits or '-'"},
      {"duplicate", "images:\n  - {name: api, repositories: {dev: a, stage: a}}\n"
                    "  - {name: api, repositories: {dev: b, stage: b}}\n",
       "promote.yaml:7: image 'api' is listed twice"},
      {"missing env", "images:\n  - name: api\n    repositories:\n      dev: dev/api\n",
       "promote.yaml:8: image 'api' has no repository for environment 'stage'"},
      {"unknown env", "images:\n  - {name: api, repositories: {dev: a, stage: a, qa: a}}\n",
       "image 'api' names unknown environment 'qa'"},
      {"bad repository", "images:\n  - {name: api, repositories: {dev: A B, stage: a}}\n",
       "image 'api' repository in 'dev'"},
      {"half a location", "images:\n  - {name: api, repositories: {dev: {registry: x.io}, stage: a}}\n",
       "needs registry and repository"},
      {"bad registry", "images:\n  - {name: api, repositories: {dev: {registry: 'not a host', repository: a}, stage: a}}\n",
       "image 'api' repository in 'dev'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto r = ParsePromoteConfig(head + c.images, "promote.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == promote::Code::kInvalidArgument);
    INFO(r.status().message());
    CHECK(r.status().message().find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("a release set's image uses the credentials of its environment there, also on another registry") {
  const std::string yaml =
      "version: 1\nimage: shop\nenvironments:\n"
      "  - {name: dev, registry: dev.io, repository: shop/api}\n"
      "  - name: prod\n    registry: prod.io\n    repository: shop/api\n"
      "    credentials: {username: ci-bot, password: env:SET_PROD_PASSWORD}\n"
      "images:\n"
      "  - {name: api, repositories: {dev: shop/api, prod: shop/api}}\n"
      "  - name: web\n    repositories:\n      dev: shop/web\n"
      "      prod: {registry: cdn.io:5000, repository: edge/web}\n";
  auto c = ParsePromoteConfig(yaml, "promote.yaml");
  REQUIRE(c.ok());
  ConfigKeychain keychain(&*c, promote::EnvironmentVariables({{"SET_PROD_PASSWORD", "prod-secret"}}));
  auto user_for = [&](const std::string& registry, const std::string& repository) -> std::string {
    auto r = keychain.Resolve(registry, repository);
    REQUIRE(r.ok());
    return r->has_value() ? (*r)->username + " @ " + (*r)->scope : "none";
  };
  CHECK(user_for("prod.io", "shop/api") == "ci-bot @ prod.io/shop/api");
  // web's prod repository is on another host: prod's account, scoped to that repository only.
  CHECK(user_for("cdn.io:5000", "edge/web") == "ci-bot @ cdn.io:5000/edge/web");
  // dev declares none: its images use the docker config, never prod's account.
  CHECK(user_for("dev.io", "shop/web") == "none");
  CHECK(user_for("cdn.io:5000", "other/repo") == "none");
}

TEST_CASE("the credentials convention: PROMOTE_<ENV>_USERNAME/PASSWORD, and the names it may not take") {
  struct Case {
    const char* environment;
    const char* username;
    const char* password;
    const char* reserved;
  };
  const Case cases[] = {
      {"prod", "PROMOTE_PROD_USERNAME", "PROMOTE_PROD_PASSWORD", ""},
      {"stage-eu", "PROMOTE_STAGE_EU_USERNAME", "PROMOTE_STAGE_EU_PASSWORD", ""},
      {"pre_prod2", "PROMOTE_PRE_PROD2_USERNAME", "PROMOTE_PRE_PROD2_PASSWORD", ""},
      {"key", "PROMOTE_KEY_USERNAME", "PROMOTE_KEY_PASSWORD", "PROMOTE_KEY_PASSWORD"},
      {"src", "PROMOTE_SRC_USERNAME", "PROMOTE_SRC_PASSWORD", "PROMOTE_SRC_PASSWORD"},
      {"agent-token", "PROMOTE_AGENT_TOKEN_USERNAME", "PROMOTE_AGENT_TOKEN_PASSWORD", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.environment);
    auto names = promote::policy::CredentialVariablesFor(c.environment);
    CHECK(names.username == c.username);
    CHECK(names.password == c.password);
    CHECK(promote::policy::ReservedCredentialVariable(names) == c.reserved);
  }
}
