// Where a promotion goes, from the request and promote.yaml alone: each row is a request and
// what ResolveTarget, BranchGate, CheckSigningSetup or ImmutableTags make of it. No registry.
#include "promotion/target_resolution.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "policy/promote_config.h"

using namespace promote;
using namespace promote::promotion;

namespace {

const char* const kSha = "2b2e9270a1b2c3d4e5f60718293a4b5c6d7e8f90";

// dev -> stage -> prod with the Git-flow default branch rules (develop: dev, release/*: stage,
// main: prod, hotfix/*: all three), and a side environment `qa` fed from dev.
const std::string kConfig = R"(version: 1
image: payment-svc
environments:
  - name: dev
    registry: dev.registry:5000
    repository: shop/payment-svc
  - name: stage
    registry: registry.example.com
    repository: stage/payment-svc
  - name: prod
    registry: registry.example.com
    repository: prod/payment-svc
    sign: true
  - name: qa
    registry: registry.example.com
    repository: qa/payment-svc
    from: dev
    stage-order: false
)";

policy::PromoteConfig Config(const std::string& yaml = kConfig) {
  auto config = policy::ParsePromoteConfig(yaml, "promote.yaml");
  REQUIRE_MESSAGE(config.ok(), config.status().ToString());
  return std::move(*config);
}

RunRequest Request(std::string branch, std::string sha, std::string to = "", std::string from = "") {
  RunRequest r;
  r.branch = std::move(branch);
  r.sha = std::move(sha);
  r.to = std::move(to);
  r.from = std::move(from);
  return r;
}

}  // namespace

TEST_CASE("ResolveTarget: branch, commit, target and source, or the input that is wrong") {
  struct Row {
    const char* what;
    RunRequest request;
    promote::Code code;
    std::string sha, to, from;  // resolved (also when it then failed)
    std::string message;        // part of the error message; "" when ok
  };
  const std::string sha7 = std::string(kSha).substr(0, 7);
  const std::vector<Row> rows = {
      {"develop goes to dev, its own source", Request("develop", kSha), promote::Code::kOk, kSha, "dev", "dev", ""},
      {"release/* goes to stage from dev", Request("release/v1.2.0", sha7), promote::Code::kOk, sha7, "stage", "dev", ""},
      {"main goes to prod from stage", Request("main", kSha), promote::Code::kOk, kSha, "prod", "stage", ""},
      {"the SHA is taken from a -sha- branch", Request("release/v1.2.0-sha-" + sha7, ""), promote::Code::kOk, sha7,
       "stage", "dev", ""},
      {"upper-case --sha is normalised", Request("develop", "2B2E927"), promote::Code::kOk, "2b2e927", "dev", "dev",
       ""},
      {"--sha extending the branch's SHA agrees with it", Request("release/v1-sha-" + sha7, kSha), promote::Code::kOk,
       kSha, "stage", "dev", ""},
      {"--from overrides the source", Request("main", kSha, "prod", "dev"), promote::Code::kOk, kSha, "prod", "dev", ""},
      {"an environment's from: is its source", Request("hotfix/x", kSha, "qa"), promote::Code::kOk, kSha, "qa", "dev",
       ""},
      {"a branch allowed elsewhere still resolves --to (the branch gate decides)", Request("develop", kSha, "prod"),
       promote::Code::kOk, kSha, "prod", "stage", ""},
      {"no branch", Request("", kSha), promote::Code::kInvalidArgument, "", "", "", "--branch is required"},
      {"an invalid branch name", Request("feature/a..b", kSha), promote::Code::kInvalidArgument, "", "", "", "a..b"},
      {"no SHA anywhere", Request("develop", ""), promote::Code::kInvalidArgument, "", "", "", "--sha is required"},
      {"a SHA that is not hex", Request("develop", "xyz1234"), promote::Code::kInvalidArgument, "", "", "", "xyz1234"},
      {"--sha against the branch's SHA", Request("release/v1-sha-" + sha7, "1111111"), promote::Code::kInvalidArgument,
       "", "", "", "does not match the SHA in branch"},
      {"a branch that maps nowhere", Request("feature/x", kSha), promote::Code::kGateRefused, kSha, "", "",
       "maps to no environment"},
      {"a branch that maps to several, without --to", Request("hotfix/x", kSha), promote::Code::kInvalidArgument, kSha,
       "", "", "may promote into dev, stage, prod; pass --to to choose"},
      {"an unknown --to", Request("develop", kSha, "staging"), promote::Code::kInvalidArgument, kSha, "", "",
       "unknown environment 'staging' (not in promote.yaml)"},
      {"an unknown --from", Request("main", kSha, "", "uat"), promote::Code::kInvalidArgument, kSha, "prod", "",
       "unknown environment 'uat' given as --from"},
  };
  const policy::PromoteConfig config = Config();
  for (const Row& row : rows) {
    const std::string what = row.what;
    CAPTURE(what);
    PromotionTarget target;
    promote::Status st = ResolveTarget(config, row.request, &target);
    CHECK_MESSAGE(st.code() == row.code, st.ToString());
    if (!row.message.empty()) CHECK_MESSAGE(st.message().find(row.message) != std::string::npos, st.message());
    CHECK(target.branch == row.request.branch);
    CHECK(target.sha == row.sha);
    CHECK((target.env == nullptr ? "" : target.env->name) == row.to);
    CHECK((target.source == nullptr ? "" : target.source->name) == row.from);
  }
}

TEST_CASE("BranchGate: passes only into an environment the branch may promote into") {
  const policy::PromoteConfig config = Config();
  struct Row {
    const char* branch;
    const char* to;
    Verdict verdict;
    std::string detail;
  };
  const std::vector<Row> rows = {
      {"develop", "dev", Verdict::kPassed, "branch 'develop' may promote into 'dev'"},
      {"hotfix/x", "stage", Verdict::kPassed, "branch 'hotfix/x' may promote into 'stage'"},
      {"develop", "prod", Verdict::kRefused, "branch 'develop' may not promote into 'prod' (it may promote into dev)"},
      {"release/v1", "qa", Verdict::kRefused, "branch 'release/v1' may not promote into 'qa' (it may promote into stage)"},
  };
  for (const Row& row : rows) {
    const std::string branch = row.branch, to = row.to;
    CAPTURE(branch);
    CAPTURE(to);
    PromotionTarget target;
    REQUIRE(ResolveTarget(config, Request(branch, kSha, to), &target).ok());
    GateResult gate = BranchGate(target);
    CHECK(gate.name == "branch");
    CHECK(gate.verdict == row.verdict);
    CHECK(gate.detail == row.detail);
  }
}

TEST_CASE("CheckSigningSetup: a key wherever a signature or a record is needed") {
  const policy::PromoteConfig config = Config();
  struct Row {
    const char* env;
    bool have_key;
    promote::Code code;
    std::string message;  // part of the error, or of the one warning
  };
  const std::vector<Row> rows = {
      {"prod", true, promote::Code::kOk, ""},
      {"dev", true, promote::Code::kOk, ""},
      {"prod", false, promote::Code::kInvalidArgument, "environment 'prod' signs images (promote.yaml:"},
      // stage's promotions are what prod's stage-order gate looks for.
      {"stage", false, promote::Code::kInvalidArgument, "the stage-order gate of 'prod' (promote.yaml:"},
      // qa has stage-order: false, so dev's record matters to stage only.
      {"dev", false, promote::Code::kInvalidArgument, "the stage-order gate of 'stage' (promote.yaml:"},
      {"qa", false, promote::Code::kOk, "no signing key is configured: no promotion record is written for 'qa'"},
  };
  for (const Row& row : rows) {
    const std::string env = row.env;
    const bool have_key = row.have_key;
    CAPTURE(env);
    CAPTURE(have_key);
    std::vector<std::string> warnings;
    promote::Status st = CheckSigningSetup(config, *config.FindEnvironment(row.env), row.have_key, &warnings);
    CHECK_MESSAGE(st.code() == row.code, st.ToString());
    if (!st.ok()) CHECK_MESSAGE(st.message().find(row.message) != std::string::npos, st.message());
    if (st.ok() && !row.message.empty()) {
      REQUIRE(warnings.size() == 1);
      CHECK(warnings[0].find(row.message) != std::string::npos);
    } else {
      CHECK(warnings.empty());
    }
  }
}

TEST_CASE("ImmutableTags: the commit's tag from the template, then a release branch's version") {
  auto with_tags = [](const std::string& tags) {
    return Config("version: 1\nimage: app\n" + tags + "environments:\n  - {name: dev, registry: r.io, repository: app}\n");
  };
  struct Row {
    const char* what;
    std::string tags_yaml;
    std::string sha, branch;
    promote::Code code;
    std::vector<std::string> tags;
    std::string message;
  };
  const std::string sha = kSha;
  const std::vector<Row> rows = {
      {"the default template", "", sha, "develop", promote::Code::kOk, {"sha-2b2e927"}, ""},
      {"a release branch's version (the default)", "", sha, "release/v1.2.0",
       promote::Code::kOk, {"sha-2b2e927", "v1.2.0"}, ""},
      {"no version outside release branches", "", sha, "develop", promote::Code::kOk,
       {"sha-2b2e927"}, ""},
      {"version tags off", "tags: {version-from-branch: false}\n", sha, "release/v1.2.0", promote::Code::kOk, {"sha-2b2e927"}, ""},
      {"{sha} with the full SHA", "tags: {immutable: \"git-{sha}\"}\n", sha, "develop", promote::Code::kOk,
       {"git-" + sha}, ""},
      {"{sha} with a short SHA", "tags: {immutable: \"git-{sha}\"}\n", sha.substr(0, 7), "develop",
       promote::Code::kInvalidArgument, {}, "needs the full 40-character SHA"},
      {"{sha12} with 7 characters", "tags: {immutable: \"c-{sha12}\"}\n", sha.substr(0, 7), "develop",
       promote::Code::kInvalidArgument, {}, "needs at least 12 characters of the SHA (--sha 2b2e927)"},
  };
  for (const Row& row : rows) {
    const std::string what = row.what;
    CAPTURE(what);
    auto tags = ImmutableTags(with_tags(row.tags_yaml), row.sha, row.branch);
    CHECK_MESSAGE(tags.status().code() == row.code, tags.status().ToString());
    if (tags.ok()) CHECK(*tags == row.tags);
    if (!tags.ok()) CHECK_MESSAGE(tags.status().message().find(row.message) != std::string::npos, tags.status().message());
  }
}
