// agent.yaml's policy held against a request's promote.yaml: tightening is accepted, each way of
// loosening is refused naming the rule's agent.yaml line.
#include <doctest/doctest.h>

#include "service/agent_config.h"
#include "promotion/policy_check.h"
#include "sigstore/cosign_key.h"

using namespace promote;

namespace {

const char* kAgentYaml = R"(listen: [unix:///a.sock]
scanners: {trivy: {kind: trivy}, grype: {kind: grype}}
policy:
  - applications: ["shop-*"]
    environments:
      - name: dev
        repositories: ["dev.reg/shop/*"]
        branches: [develop]
      - name: stage
        repositories: ["stage.reg/shop/*"]
        branches: ["release/*", "hotfix/*"]
        after: dev
        scan: {scanners: [trivy], fail-on: HIGH, unknown-as: HIGH, allow: [CVE-2023-1]}
      - name: prod
        repositories: ["prod.reg/shop/*"]
        branches: [main]
        after: stage
        sign: true
  - applications: [other]
    environments:
      - {name: sandbox, repositories: ["sandbox.reg/*"], branches: ["*"]}
)";

// A compliant promote.yaml; `stage` and `prod` replace those environments' extra lines.
std::string Config(const std::string& stage = "    gates:\n      scan: {scanners: [trivy], fail-on: HIGH}\n",
                   const std::string& prod = "    sign: true\n", const std::string& image = "shop-cart",
                   const std::string& prod_repository = "prod.reg/shop/cart") {
  auto slash = prod_repository.find('/');
  return "version: 1\nimage: " + image +
         "\nscanners: {trivy: {kind: trivy}, grype: {kind: grype}}\n"
         "environments:\n  - {name: dev, registry: dev.reg, repository: shop/cart}\n"
         "  - name: stage\n    registry: stage.reg\n    repository: shop/cart\n" + stage +
         "  - name: prod\n    registry: " + prod_repository.substr(0, slash) + "\n    repository: " +
         prod_repository.substr(slash + 1) + "\n" + prod;
}

// A public key in cosign.pub form, new for each call.
std::string NewPublicKeyPem() {
  auto pair = sigstore::GenerateCosignKeyPair(Secret("pw"));
  REQUIRE(pair.ok());
  return pair->public_key_pem;
}

// agent.yaml with one policy rule: the prod environment `rule` (a flow mapping's inside).
service::AgentConfig AgentWithProdRule(const std::string& rule) {
  auto agent = service::ParseAgentConfig(
      "listen: [unix:///a.sock]\nscanners: {trivy: {kind: trivy}}\npolicy:\n  - environments:\n"
      "      - {name: prod, repositories: [\"prod.reg/*\"], branches: [main],\n         " + rule + "}\n",
      "agent.yaml");
  REQUIRE_MESSAGE(agent.ok(), agent.status().message());
  return std::move(*agent);
}

// A table row's verdict: accepted when `refused` is empty, else kGateRefused saying `refused`.
void CheckVerdict(const Status& st, const std::string& refused) {
  if (refused.empty()) {
    CHECK_MESSAGE(st.ok(), st.message());
  } else {
    CHECK(st.code() == Code::kGateRefused);
    CHECK_MESSAGE(st.message().find(refused) != std::string::npos, st.message());
  }
}

}  // namespace

TEST_CASE("agent.yaml policy: a request may tighten it but never loosen it") {
  auto agent = service::ParseAgentConfig(kAgentYaml, "agent.yaml");
  REQUIRE_MESSAGE(agent.ok(), agent.status().message());
  const policy::ServerPolicy& p = agent->policy;
  REQUIRE(p.applications.size() == 2);
  CHECK(p.applications[0].environments[1].scan->allow.count("CVE-2023-1") == 1);

  struct Case {
    const char* name;
    std::string config;
    std::string to, branch;
    std::string refused;  // "" = accepted; else a fragment of the refusal
  };
  const std::string scan = "    gates:\n      scan:\n        scanners: [trivy]\n";
  const std::vector<Case> cases = {
      {"compliant stage", Config(), "stage", "release/1.0", ""},
      {"compliant prod", Config(), "prod", "main", ""},
      {"tighter: fail-on MEDIUM, unknown-as CRITICAL, another scanner",
       Config("    gates:\n      scan:\n        scanners: [trivy, grype]\n        fail-on: MEDIUM\n"
              "        unknown-as: CRITICAL\n"),
       "stage", "release/1.0", ""},
      {"no scan gate", Config(""), "stage", "release/1.0", "agent.yaml:9: policy environment 'stage'"},
      {"fail-on raised", Config(scan + "        fail-on: CRITICAL\n"), "stage", "release/1.0",
       "fail-on CRITICAL is looser than the policy's HIGH"},
      {"unknown-as lowered", Config(scan + "        unknown-as: LOW\n"), "stage", "release/1.0",
       "unknown-as LOW is looser"},
      {"ignore-unfixed", Config(scan + "        ignore-unfixed: true\n"), "stage", "release/1.0", "ignore-unfixed"},
      {"on-error warn", Config(scan + "        on-error: warn\n"), "stage", "release/1.0", "on-error: warn"},
      {"a platform subset", Config(scan + "        platforms: [linux/amd64]\n"), "stage", "release/1.0", "platforms"},
      {"a budget above the floor", Config(scan + "        max: {HIGH: 3}\n"), "stage", "release/1.0",
       "max HIGH: 3"},
      {"a budget below the floor is fine", Config(scan + "        max: {MEDIUM: 3}\n"), "stage", "release/1.0", ""},
      {"another scanner instead", Config("    gates:\n      scan: {scanners: [grype]}\n"), "stage", "release/1.0",
       "scanner 'trivy' must run"},
      {"an allowed acceptance", Config(scan + "        allow: [{id: CVE-2023-1, reason: ok}]\n"), "stage",
       "release/1.0", ""},
      {"an acceptance the policy does not allow", Config(scan + "        allow: [{id: CVE-2023-9, reason: x}]\n"),
       "stage", "release/1.0", "accepting CVE-2023-9 is not allowed"},
      {"stage order off", Config(scan + "    stage-order: false\n"), "stage", "release/1.0", "stage-order: false"},
      {"a branch the policy does not allow", Config(), "prod", "feature/x", "branch 'feature/x' may not promote here"},
      {"prod without sign", Config(scan, ""), "prod", "main", "must be signed"},
      {"a repository outside every rule", Config(scan, "    sign: true\n", "shop-cart", "prod.reg/elsewhere/cart"),
       "prod", "main", "which no environment of the policy may write"},
      {"another application's name for the same repository", Config(scan, "    sign: true\n", "other"), "prod",
       "main", "belongs to the policy for shop-*"},
      {"prod renamed: the repository decides", Config(scan, "    sign: false\n"), "prod", "main", "must be signed"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto config = policy::ParsePromoteConfig(c.config, "promote.yaml");
    REQUIRE_MESSAGE(config.ok(), config.status().message());
    Status st = promotion::CheckPromotionAgainstPolicy(p, *config, c.to, c.branch, policy::AttachedFiles());
    CheckVerdict(st, c.refused);
  }
}

TEST_CASE("agent.yaml policy: the signature gate must use one of the policy's keys; trivyignore entries count") {
  const std::string key = NewPublicKeyPem();
  const std::string other = NewPublicKeyPem();
  service::AgentConfig agent =
      AgentWithProdRule("signature: {keys: [/k.pub]}, scan: {scanners: [trivy], allow: [CVE-1]}");
  agent.policy.applications[0].environments[0].signature_key_pems = {key};
  auto config = policy::ParsePromoteConfig(
      "version: 1\nimage: app\nscanners: {trivy: {kind: trivy}}\nenvironments:\n"
      "  - name: prod\n    registry: prod.reg\n    repository: app\n    stage-order: false\n    gates:\n"
      "      signature: {key: release.pub}\n      scan: {scanners: [trivy], trivyignore: .trivyignore}\n",
      "promote.yaml");
  REQUIRE_MESSAGE(config.ok(), config.status().message());

  policy::AttachedFiles files;
  files.Add("release.pub", key);
  files.Add(".trivyignore", "CVE-1 # fine\n");
  Status ok = promotion::CheckPromotionAgainstPolicy(agent.policy, *config, "prod", "main", files);
  CHECK_MESSAGE(ok.ok(), ok.message());

  policy::AttachedFiles wrong_key;
  wrong_key.Add("release.pub", other);
  wrong_key.Add(".trivyignore", "CVE-1 # fine\n");
  Status st = promotion::CheckPromotionAgainstPolicy(agent.policy, *config, "prod", "main", wrong_key);
  CHECK(st.code() == Code::kGateRefused);
  CHECK(st.message().find("is not one of the policy's (/k.pub)") != std::string::npos);

  policy::AttachedFiles wider;
  wider.Add("release.pub", key);
  wider.Add(".trivyignore", "CVE-1\nCVE-2 # not allowed\n");
  st = promotion::CheckPromotionAgainstPolicy(agent.policy, *config, "prod", "main", wider);
  CHECK(st.code() == Code::kGateRefused);
  CHECK(st.message().find("accepting CVE-2") != std::string::npos);
}

TEST_CASE("agent.yaml policy: the provenance gate must run with a policy key, its builder-id and no higher level") {
  const std::string key = NewPublicKeyPem();
  const std::string other = NewPublicKeyPem();
  service::AgentConfig agent =
      AgentWithProdRule("provenance: {keys: [/build.pub], builder-id: \"https://github.com/*\", build-level: 2}");
  REQUIRE(agent.policy.applications[0].environments[0].provenance.has_value());
  agent.policy.applications[0].environments[0].provenance->key_pems = {key};
  auto config = [](const std::string& gate) {
    auto c = policy::ParsePromoteConfig("version: 1\nimage: app\nenvironments:\n"
                                        "  - name: prod\n    registry: prod.reg\n    repository: app\n"
                                        "    stage-order: false\n" + gate,
                                        "promote.yaml");
    REQUIRE_MESSAGE(c.ok(), c.status().message());
    return *c;
  };
  const std::string good =
      "    gates:\n      provenance: {key: build.pub, builder-id: \"https://github.com/*\", build-level: 2}\n";
  policy::AttachedFiles files;
  files.Add("build.pub", key);
  policy::AttachedFiles stranger;
  stranger.Add("build.pub", other);

  struct Case {
    std::string name;
    std::string gate;
    const policy::AttachedFiles* files;
    std::string refusal_part;  // "" accepted
  } cases[] = {
      {"as the policy says", good, &files, ""},
      {"a lower level", "    gates:\n      provenance: {key: build.pub, builder-id: \"https://github.com/*\"}\n",
       &files, ""},
      {"no provenance gate", "", &files, "the provenance gate must run"},
      {"another key", good, &stranger, "the provenance gate's key build.pub is not one of the policy's (/build.pub)"},
      {"another builder pattern",
       "    gates:\n      provenance: {key: build.pub, builder-id: \"*\", build-level: 2}\n", &files,
       "builder-id must be 'https://github.com/*' (promote.yaml has '*')"},
      {"no builder pattern", "    gates:\n      provenance: {key: build.pub}\n", &files, "(promote.yaml has none)"},
      {"a higher level", "    gates:\n      provenance: {key: build.pub, builder-id: \"https://github.com/*\", "
                         "build-level: 3}\n",
       &files, "build-level 3 claims more than the policy vouches for (2)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Status st = promotion::CheckPromotionAgainstPolicy(agent.policy, config(c.gate), "prod", "main", *c.files);
    if (c.refusal_part.empty()) {
      CHECK_MESSAGE(st.ok(), st.message());
    } else {
      CHECK(st.code() == Code::kGateRefused);
      INFO(st.message());
      CHECK(st.message().find(c.refusal_part) != std::string::npos);
      CHECK(st.message().find("agent.yaml:5") != std::string::npos);
    }
  }

  auto bad = service::ParseAgentConfig(
      "listen: [unix:///a.sock]\npolicy:\n  - environments:\n"
      "      - {name: prod, repositories: [\"prod.reg/*\"], branches: [main], provenance: {build-level: 2}}\n",
      "agent.yaml");
  CHECK(bad.status().code() == Code::kInvalidArgument);
  CHECK(bad.status().message().find("provenance needs keys") != std::string::npos);
}

TEST_CASE("agent.yaml policy: change control (approval, soak, window, break-glass) can be required") {
  const std::string yaml = R"(listen: [unix:///a.sock]
policy:
  - applications: ["shop-*"]
    environments:
      - {name: stage, repositories: ["stage.reg/shop/*"], branches: ["*"]}
      - name: prod
        repositories: ["prod.reg/shop/*"]
        branches: [main]
        approval: {required: 2, expires-after: 72h}
        soak: 24h
        window: {required: true, break-glass: false}
)";
  auto agent = service::ParseAgentConfig(yaml, "agent.yaml");
  REQUIRE_MESSAGE(agent.ok(), agent.status().message());
  const std::string ok_gates = "    gates:\n      approval: {required: 2, approvers: [a, b]}\n      soak: 1d\n"
                               "      window: {allow: [\"Mon-Fri 09:00-17:00 UTC\"], break-glass: true}\n";
  struct Case {
    const char* name;
    std::string gates;
    std::string break_glass;
    std::string refused;  // "" = accepted
  };
  const std::vector<Case> cases = {
      {"as strict as the policy", ok_gates, "", ""},
      {"stricter: 3 approvals, 2d soak",
       "    gates:\n      approval: {required: 3, approvers: [a, b, c], expires-after: 1d}\n      soak: 2d\n"
       "      window: {freeze: [{from: 2026-12-20, to: 2027-01-04, reason: x}]}\n",
       "", ""},
      {"no approval gate", "    gates:\n      soak: 1d\n      window: {allow: [\"Mon 09:00-10:00 UTC\"]}\n", "",
       "the approval gate must run"},
      {"one approval", "    gates:\n      approval: {required: 1, approvers: [a, b]}\n      soak: 1d\n"
                       "      window: {allow: [\"Mon 09:00-10:00 UTC\"]}\n", "", "fewer than the policy's 2"},
      {"self-approval allowed",
       "    gates:\n      approval: {required: 2, approvers: [a, b], no-self-approval: false}\n      soak: 1d\n"
       "      window: {allow: [\"Mon 09:00-10:00 UTC\"]}\n", "", "no-self-approval: false"},
      {"approvals that last a week",
       "    gates:\n      approval: {required: 2, approvers: [a, b], expires-after: 7d}\n      soak: 1d\n"
       "      window: {allow: [\"Mon 09:00-10:00 UTC\"]}\n", "", "expires-after 7d is longer than the policy's 3d"},
      {"a shorter soak", "    gates:\n      approval: {required: 2, approvers: [a, b]}\n      soak: 2h\n"
                         "      window: {allow: [\"Mon 09:00-10:00 UTC\"]}\n", "", "at least 1d"},
      {"no window", "    gates:\n      approval: {required: 2, approvers: [a, b]}\n      soak: 1d\n", "",
       "the window gate must run"},
      {"break-glass, forbidden by the policy", ok_gates, "INC-1", "break-glass is forbidden here by the policy"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto config = policy::ParsePromoteConfig(Config("", c.gates), "promote.yaml");
    REQUIRE_MESSAGE(config.ok(), config.status().message());
    Status st = promotion::CheckPromotionAgainstPolicy(agent->policy, *config, "prod", "main", {}, c.break_glass);
    CheckVerdict(st, c.refused);
    if (!c.refused.empty()) CHECK(st.message().find("agent.yaml:6") != std::string::npos);
  }
  auto bad = service::ParseAgentConfig(
      "listen: [unix:///a.sock]\npolicy:\n  - environments:\n      - {name: p, repositories: [\"r/x\"], "
      "branches: [main], soak: soon}\n",
      "agent.yaml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("'soon'") != std::string::npos);
}

TEST_CASE("agent.yaml policy: approvers it names are the only ones promote.yaml may list or the agent signs for") {
  const std::string yaml = R"(listen: [unix:///a.sock]
policy:
  - applications: ["shop-*"]
    environments:
      - {name: stage, repositories: ["stage.reg/shop/*"], branches: ["*"]}
      - name: prod
        repositories: ["prod.reg/shop/*"]
        branches: [main]
        approval: {required: 2, approvers: [alice, bob, {identity: dave, key: /etc/promote/dave.pub}]}
)";
  auto agent = service::ParseAgentConfig(yaml, "agent.yaml");
  REQUIRE_MESSAGE(agent.ok(), agent.status().message());
  // What the agent reads at start (server/agent_server.cc), set by hand here.
  const std::string dave = NewPublicKeyPem();
  agent->policy.applications[0].environments[1].approval->approver_key_pems["dave"] = dave;
  policy::AttachedFiles files;
  files.Add("dave.pub", dave);
  files.Add("other.pub", NewPublicKeyPem());

  struct Case {
    const char* name;
    std::string approvers;
    std::string refused;  // "" = accepted
  };
  const std::vector<Case> cases = {
      {"a subset of the policy's", "[alice, bob]", ""},
      {"dave with the policy's key", "[alice, {identity: dave, key: dave.pub}]", ""},
      {"an approver the policy does not name", "[alice, mallory]",
       "approver 'mallory' is not one the policy allows (alice, bob, dave)"},
      {"dave without his key: the agent would vouch for him", "[alice, dave]",
       "approver 'dave' approves with their own key (/etc/promote/dave.pub)"},
      {"dave with another key", "[alice, {identity: dave, key: other.pub}]", "is not the policy's"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto config = policy::ParsePromoteConfig(
        Config("", "    gates:\n      approval: {required: 2, approvers: " + c.approvers + "}\n"), "promote.yaml");
    REQUIRE_MESSAGE(config.ok(), config.status().message());
    Status st = promotion::CheckPromotionAgainstPolicy(agent->policy, *config, "prod", "main", files);
    CheckVerdict(st, c.refused);
  }

  // promote approve through the agent: it signs for listed identity-only approvers alone.
  auto config = policy::ParsePromoteConfig(
      Config("", "    gates:\n      approval: {required: 2, approvers: [alice, mallory, {identity: dave, key: dave.pub}]}\n"),
      "promote.yaml");
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  CHECK(promotion::CheckApprovalAgainstPolicy(agent->policy, *config, "prod", "alice", false).ok());
  Status mallory = promotion::CheckApprovalAgainstPolicy(agent->policy, *config, "prod", "mallory", false);
  CHECK(mallory.code() == Code::kGateRefused);
  CHECK_MESSAGE(mallory.message().find("'mallory' may not approve here (the policy's approvers: alice, bob, dave)") !=
                    std::string::npos,
                mallory.message());
  CHECK(mallory.message().find("agent.yaml:6") != std::string::npos);
  Status dave_by_agent = promotion::CheckApprovalAgainstPolicy(agent->policy, *config, "prod", "dave", false);
  CHECK(dave_by_agent.code() == Code::kGateRefused);
  CHECK(dave_by_agent.message().find("the agent does not sign for them") != std::string::npos);
  CHECK(promotion::CheckApprovalAgainstPolicy(agent->policy, *config, "prod", "dave", true).ok());
  // Environments without approvers in the policy: promote.yaml decides, as before.
  CHECK(promotion::CheckApprovalAgainstPolicy(agent->policy, *config, "stage", "mallory", false).ok());

  auto too_few = service::ParseAgentConfig(
      "listen: [unix:///a.sock]\npolicy:\n  - environments:\n      - {name: p, repositories: [\"r/x\"], "
      "branches: [main], approval: {required: 3, approvers: [a, b]}}\n",
      "agent.yaml");
  REQUIRE_FALSE(too_few.ok());
  CHECK(too_few.status().message().find("required 3 approvals, but only 2 approver(s) are listed") !=
        std::string::npos);
}

// A rollback moves an environment's tags, so the rule covering its repository decides who may:
// the pipeline's branch must be allowed there, and the repository must be the application's.
TEST_CASE("agent.yaml policy: a rollback writes only where, and for the branches, the policy allows") {
  auto agent = service::ParseAgentConfig(kAgentYaml, "agent.yaml");
  REQUIRE_MESSAGE(agent.ok(), agent.status().message());
  struct Case {
    const char* name;
    std::string config, env, branch;
    std::string refused;  // "" = accepted; else a fragment of the refusal
  };
  const std::vector<Case> cases = {
      {"prod from main", Config(), "prod", "main", ""},
      {"stage from a release branch", Config(), "stage", "release/2.1", ""},
      {"prod from a feature branch", Config(), "prod", "feature/x",
       "agent.yaml:14: policy environment 'prod' (prod.reg/shop/*): branch 'feature/x' may not roll back here"},
      {"prod from develop", Config(), "prod", "develop", "may not roll back here (the policy allows main)"},
      {"no branch given", Config(), "prod", "", "a rollback names the branch it runs for"},
      {"prod's repository outside every rule", Config("", "    sign: true\n", "shop-cart", "prod.reg/elsewhere/cart"),
       "prod", "main", "which no environment of the policy may write"},
      {"another application's repository", Config("", "    sign: true\n", "other"), "prod", "main",
       "belongs to the policy for shop-*"},
      // The gates are not asked again: the digest rolled back to was promoted there through them.
      {"gates promote.yaml loosened do not matter to a rollback", Config("", ""), "prod", "main", ""},
      {"an environment promote.yaml does not have is the rollback's to report", Config(), "qa", "main", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto config = policy::ParsePromoteConfig(c.config, "promote.yaml");
    REQUIRE_MESSAGE(config.ok(), config.status().message());
    Status st = promotion::CheckRollbackAgainstPolicy(agent->policy, *config, c.env, c.branch);
    CheckVerdict(st, c.refused);
  }

  // A release set: every image's repository is checked, and the refusal names the image.
  auto set = policy::ParsePromoteConfig(
      "version: 1\nimage: shop-cart\nenvironments:\n  - {name: dev, registry: dev.reg, repository: shop/cart}\n"
      "  - {name: prod, registry: prod.reg, repository: shop/cart, sign: true}\n"
      "images:\n  - name: web\n    repositories: {dev: shop/web, prod: shop/web}\n"
      "  - name: db\n    repositories: {dev: shop/db, prod: {registry: prod.reg, repository: db/main}}\n",
      "promote.yaml");
  REQUIRE_MESSAGE(set.ok(), set.status().message());
  Status st = promotion::CheckRollbackAgainstPolicy(agent->policy, *set, "prod", "main");
  CHECK(st.code() == Code::kGateRefused);
  CHECK_MESSAGE(st.message().find("image 'db'") != std::string::npos, st.message());
  CHECK_MESSAGE(st.message().find("prod.reg/db/main") != std::string::npos, st.message());
}
