// Release sets (promote.yaml images:): an API, a worker and a web image built from one commit,
// promoted dev -> stage together or not at all, across three registries, with a fault proxy in
// front of the third image's stage registry.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "promotion/promotion_record.h"
#include "sigstore/cosign_key.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

const std::string kSha1 = "2b2e927abcdef0123456789abcdef01234567890";
const std::string kSha2 = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";
const std::string kSha3 = "1234567abcdef0123456789abcdef01234567890";
const std::vector<std::string> kImages = {"api", "worker", "web"};

// dev on registry `dev`; in stage, api and worker on `stage`, web on `web_stage` (a fault proxy
// in front of a third registry).
struct SetPipeline {
  TempDir dir;
  std::string pub_pem, password = "key-" + RandomPassword();
  std::string config_path;
  std::map<std::string, std::string> env;

  SetPipeline(const TestRegistry& dev, const TestRegistry& stage, const std::string& web_stage) {
    auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
    REQUIRE(pair.ok());
    pub_pem = pair->public_key_pem;
    env = {{"PROMOTE_SIGNING_KEY", dir.Write("cosign.key", pair->private_key_pem, 0600)},
           {"PROMOTE_KEY_PASSWORD", password}};
    std::string yaml =
        "version: 1\nimage: shop\nsigning:\n  key: env:PROMOTE_SIGNING_KEY\n  password: env:PROMOTE_KEY_PASSWORD\n"
        "environments:\n"
        "  - {name: dev, registry: " + dev.host() + ", repository: shop/api, mutable-tags: [latest]}\n"
        "  - {name: stage, registry: " + stage.host() + ", repository: shop/api, mutable-tags: [stage]}\n"
        "images:\n"
        "  - {name: api, repositories: {dev: shop/api, stage: shop/api}}\n"
        "  - {name: worker, repositories: {dev: shop/worker, stage: shop/worker}}\n"
        "  - name: web\n    repositories:\n      dev: shop/web\n"
        "      stage: {registry: '" + web_stage + "', repository: edge/web}\n";
    config_path = dir.Write("promote.yaml", yaml);
  }

  CliRun Run(std::vector<std::string> args) const {
    std::vector<std::string> full = {"-o", "json", "run", "--config", config_path};
    full.insert(full.end(), args.begin(), args.end());
    return RunPromote(full, env);
  }
};

// Pushes the commit's three images to dev; returns their digests by name.
std::map<std::string, std::string> PushSet(const TestRegistry& dev, const std::string& sha, uint64_t seed) {
  std::map<std::string, std::string> digests;
  for (size_t i = 0; i < kImages.size(); ++i) {
    SampleSpec spec;
    spec.seed = seed * 10 + i;
    digests[kImages[i]] = PushSampleImage(dev, "shop/" + kImages[i], "sha-" + sha.substr(0, 7), spec).digest;
  }
  return digests;
}

// The valid promotion records into `env` on digest `digest` at registry/repo.
std::vector<promote::promotion::CheckedRecord> RecordsOn(const TestRegistry& reg, const std::string& repo,
                                                         const std::string& digest, const std::string& pub_pem) {
  TestRegistryClient c(reg);
  auto key = promote::sigstore::PublicKey::FromPem(pub_pem, "cosign.pub");
  REQUIRE(key.ok());
  auto d = promote::oci::Digest::Parse(digest);
  REQUIRE(d.ok());
  auto records = promote::promotion::ReadRecords(c.get(), repo, *d, *key,
                                                 {promote::registry::RepositoryScope(repo, "pull")});
  REQUIRE(records.ok());
  return *records;
}

}  // namespace

TEST_CASE("a release set of three images across three registries: gated together, one record, tags last") {
  TestRegistry dev, stage, web_registry;
  FaultProxy web_proxy(web_registry.base_url());
  SetPipeline p(dev, stage, web_proxy.host());
  const auto first = PushSet(dev, kSha1, 1);

  auto to_dev = p.Run({"--branch", "develop", "--sha", kSha1});
  INFO(to_dev.err);
  REQUIRE(to_dev.exit_code == 0);

  // A dry run lists every member's plan and writes nothing.
  uint64_t before = Writes(stage) + Writes(web_registry);
  auto plan = p.Run({"--branch", "release/v1.0.0-sha-2b2e927", "--dry-run"});
  INFO(plan.err);
  REQUIRE(plan.exit_code == 0);
  auto pj = plan.Json();
  CHECK(pj["status"] == "planned");
  REQUIRE(pj["images"].size() == 3);
  for (const auto& m : pj["images"]) CHECK(m["tags"]["written"].size() == 3);  // sha-…, v1.0.0, stage
  CHECK(Writes(stage) + Writes(web_registry) == before);

  // All three land, each with the same digest as in dev.
  auto to_stage = p.Run({"--branch", "release/v1.0.0-sha-2b2e927"});
  INFO(to_stage.err);
  REQUIRE(to_stage.exit_code == 0);
  auto j = to_stage.Json();
  CHECK(j["status"] == "promoted");
  REQUIRE(j["images"].size() == 3);
  for (size_t i = 0; i < kImages.size(); ++i) {
    CHECK(j["images"][i]["name"] == kImages[i]);
    CHECK(j["images"][i]["digest"] == first.at(kImages[i]));
    CHECK(j["images"][i]["record"]["reference"].is_string());
  }
  CHECK(TagDigest(stage, "shop/api", "stage") == first.at("api"));
  CHECK(TagDigest(stage, "shop/worker", "stage") == first.at("worker"));
  CHECK(TagDigest(web_registry, "edge/web", "stage") == first.at("web"));

  // One record, beside each member, naming all three digests.
  auto on_worker = RecordsOn(stage, "shop/worker", first.at("worker"), p.pub_pem);
  int stage_records = 0;
  for (const auto& r : on_worker) {
    if (!r.valid || r.record.to_env != "stage") continue;
    ++stage_records;
    CHECK(r.record.image == "worker");
    REQUIRE(r.record.members.size() == 3);
    std::set<std::string> named;
    for (const auto& m : r.record.members) named.insert(m.name + "@" + m.digest);
    CHECK(named == std::set<std::string>{"api@" + first.at("api"), "worker@" + first.at("worker"),
                                         "web@" + first.at("web")});
  }
  CHECK(stage_records == 1);
  auto on_web = RecordsOn(web_registry, "edge/web", first.at("web"), p.pub_pem);
  CHECK(std::any_of(on_web.begin(), on_web.end(),
                    [](const auto& r) { return r.valid && r.record.to_env == "stage" && r.record.members.size() == 3; }));

  SUBCASE("a fault on the third image's tag write puts the first two images' tags back") {
    const auto second = PushSet(dev, kSha2, 2);
    REQUIRE(p.Run({"--branch", "develop", "--sha", kSha2}).exit_code == 0);
    web_proxy.SetRules(nlohmann::json::array(
        {{{"fault", "status"}, {"status", 400}, {"method", "PUT"}, {"path", "/manifests/stage$"}}}));
    auto failed = p.Run({"--branch", "release/v1.1.0-sha-9f8e7d6"});
    web_proxy.SetRules(nlohmann::json::array());
    INFO(failed.out);
    CHECK(failed.exit_code != 0);
    auto fj = failed.Json();
    CHECK(fj["status"] == "failed");
    CHECK(fj["error"]["message"].get<std::string>().find("image 'web'") != std::string::npos);
    // The tags the set moved are back where they were.
    CHECK(TagDigest(stage, "shop/api", "stage") == first.at("api"));
    CHECK(TagDigest(stage, "shop/worker", "stage") == first.at("worker"));
    CHECK(TagDigest(web_registry, "edge/web", "stage") == first.at("web"));
    CHECK(fj["images"][0]["tags"]["restored"] == nlohmann::json::array({"stage"}));
    CHECK(fj["images"][1]["tags"]["restored"] == nlohmann::json::array({"stage"}));
    // New immutable tags cannot be deleted portably: they stay, named, on the complete image.
    CHECK(fj["images"][0]["tags"]["left"] == nlohmann::json::array({"sha-9f8e7d6", "v1.1.0"}));
    CHECK(TagDigest(stage, "shop/api", "sha-9f8e7d6") == second.at("api"));
    // No record: the set's promotion did not complete, so prod's stage-order gate would refuse it.
    for (const auto& r : RecordsOn(stage, "shop/api", second.at("api"), p.pub_pem)) CHECK(r.record.to_env != "stage");

    // Once the registry takes the write again, the re-run completes the set.
    auto rerun = p.Run({"--branch", "release/v1.1.0-sha-9f8e7d6"});
    INFO(rerun.err);
    CHECK(rerun.exit_code == 0);
    CHECK(TagDigest(web_registry, "edge/web", "stage") == second.at("web"));
    CHECK(TagDigest(stage, "shop/api", "stage") == second.at("api"));
  }

  SUBCASE("a gate refusing one image copies nothing for any") {
    PushSet(dev, kSha3, 3);
    REQUIRE(p.Run({"--branch", "develop", "--sha", kSha3}).exit_code == 0);
    // The worker's commit tag in dev now names an image dev never recorded.
    SampleSpec other;
    other.seed = 99;
    PushSampleImage(dev, "shop/worker", "sha-1234567", other);
    uint64_t writes = Writes(stage) + Writes(web_registry);
    auto refused = p.Run({"--branch", "release/v1.2.0-sha-1234567"});
    CHECK(refused.exit_code == 3);
    auto rj = refused.Json();
    CHECK(rj["status"] == "refused");
    CHECK(rj["error"]["message"].get<std::string>().find("image 'worker'") != std::string::npos);
    bool worker_stage_order_refused = false;
    for (const auto& g : rj["images"][1]["gates"]) {
      if (g["name"] == "stage-order" && g["verdict"] == "refused") worker_stage_order_refused = true;
    }
    CHECK(worker_stage_order_refused);
    for (const auto& g : rj["images"][0]["gates"]) CHECK(g["verdict"] != "refused");
    CHECK(Writes(stage) + Writes(web_registry) == writes);
  }

  SUBCASE("history shows the set; rollback moves every image back together") {
    const auto second = PushSet(dev, kSha2, 2);
    REQUIRE(p.Run({"--branch", "develop", "--sha", kSha2}).exit_code == 0);
    auto again = p.Run({"--branch", "release/v1.1.0-sha-9f8e7d6"});
    INFO(again.err);
    REQUIRE(again.exit_code == 0);

    auto h = RunPromote({"-o", "json", "history", "--config", p.config_path, "--sha", kSha2}, p.env);
    INFO(h.out);
    REQUIRE(h.exit_code == 0);
    auto hj = h.Json();
    REQUIRE(hj["images"].size() == 3);
    for (size_t i = 0; i < kImages.size(); ++i) {
      CHECK(hj["images"][i]["name"] == kImages[i]);
      const auto& stage_env = hj["images"][i]["environments"][1];
      CHECK(stage_env["env"] == "stage");
      CHECK(stage_env["digest"] == second.at(kImages[i]));
      REQUIRE(stage_env["records"].size() >= 1);
      CHECK(stage_env["records"][0]["set"]["members"].size() == 3);
    }

    // History of one image by reference: that image's environments, its record naming the set.
    auto by_ref = RunPromote({"-o", "json", "history", "--config", p.config_path,
                              web_proxy.host() + "/edge/web:stage"}, p.env);
    INFO(by_ref.out);
    REQUIRE(by_ref.exit_code == 0);
    auto rj = by_ref.Json();
    CHECK(rj["sha"].get<std::string>().rfind(kSha2.substr(0, 7), 0) == 0);
    CHECK(rj["environments"][0]["digest"] == second.at("web"));
    CHECK(rj["environments"][1]["digest"] == second.at("web"));
    REQUIRE(rj["environments"][1]["records"].size() >= 1);
    CHECK(rj["environments"][1]["records"][0]["set"]["image"] == "web");

    // A fault on web's tag write while rolling back: the images moved before it go back to where
    // they were, and no rollback is recorded.
    web_proxy.SetRules(nlohmann::json::array(
        {{{"fault", "status"}, {"status", 400}, {"method", "PUT"}, {"path", "/manifests/stage$"}}}));
    auto failed_back = RunPromote({"-o", "json", "rollback", "--config", p.config_path, "--env", "stage"}, p.env);
    web_proxy.SetRules(nlohmann::json::array());
    INFO(failed_back.out);
    CHECK(failed_back.exit_code != 0);
    const std::string why = failed_back.Json()["error"]["message"].get<std::string>();
    CHECK(why.find("image 'web'") != std::string::npos);
    CHECK(why.find("the tags of the images before it were put back") != std::string::npos);
    CHECK(why.find("not put back") == std::string::npos);
    CHECK(TagDigest(stage, "shop/api", "stage") == second.at("api"));
    CHECK(TagDigest(stage, "shop/worker", "stage") == second.at("worker"));
    CHECK(TagDigest(web_registry, "edge/web", "stage") == second.at("web"));
    for (const auto& r : RecordsOn(stage, "shop/api", first.at("api"), p.pub_pem)) CHECK(r.record.kind != "rollback");

    // Once the registry takes the write again, the rollback moves all three.
    auto back = RunPromote({"-o", "json", "rollback", "--config", p.config_path, "--env", "stage"}, p.env);
    INFO(back.out);
    REQUIRE(back.exit_code == 0);
    auto bj = back.Json();
    CHECK(bj["sha"] == kSha1.substr(0, 7));  // as the release branch named it
    REQUIRE(bj["images"].size() == 3);
    for (const auto& member : bj["images"]) {  // each member's fields, without an envelope of its own
      CHECK(member["status"] == "rolled_back");
      CHECK(member["name"].is_string());
      for (const char* key : {"schema", "command", "ok", "error"}) CHECK_FALSE(member.contains(key));
    }
    CHECK(TagDigest(stage, "shop/api", "stage") == first.at("api"));
    CHECK(TagDigest(stage, "shop/worker", "stage") == first.at("worker"));
    CHECK(TagDigest(web_registry, "edge/web", "stage") == first.at("web"));
    bool rollback_names_set = false;
    for (const auto& r : RecordsOn(stage, "shop/worker", first.at("worker"), p.pub_pem)) {
      if (r.valid && r.record.kind == "rollback" && r.record.members.size() == 3) rollback_names_set = true;
    }
    CHECK(rollback_names_set);
  }
}

// Through the agent: the agent holds the signing key, and agent.yaml's policy applies to every
// image of the set, each by the repository it writes.
TEST_CASE("a release set through the agent: promoted under the policy; one image outside it refuses the whole set") {
  TestRegistry dev, stage, web_registry;
  TempDir dir;
  const std::string password = "key-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
  REQUIRE(pair.ok());
  const std::string key = dir.Write("agent-cosign.key", pair->private_key_pem, 0600);
  ::setenv("SET_TEST_KEY_PASSWORD", password.c_str(), 1);
  TestAgent agent("listen: [unix://{dir}/agent.sock]\nlog: {format: json}\n"
                  "signing: {key: file:" + key + ", password: env:SET_TEST_KEY_PASSWORD}\n"
                  "policy:\n"
                  "  - applications: [shop]\n"
                  "    environments:\n"
                  "      - name: dev\n"
                  "        repositories: [\"" + dev.host() + "/shop/*\"]\n"
                  "        branches: [develop]\n"
                  "      - name: stage\n"
                  "        repositories: [\"" + stage.host() + "/shop/*\", \"" + web_registry.host() + "/edge/*\"]\n"
                  "        branches: [\"release/*\"]\n"
                  "        after: dev\n");
  ::unsetenv("SET_TEST_KEY_PASSWORD");
  // promote.yaml for the agent: no key and no credentials (the agent's own decide).
  auto config = [&](const std::string& name, const std::string& worker_stage) {
    return dir.Write(name,
                     "version: 1\nimage: shop\nenvironments:\n"
                     "  - {name: dev, registry: " + dev.host() + ", repository: shop/api, mutable-tags: [latest]}\n"
                     "  - {name: stage, registry: " + stage.host() + ", repository: shop/api, mutable-tags: [stage]}\n"
                     "images:\n"
                     "  - {name: api, repositories: {dev: shop/api, stage: shop/api}}\n"
                     "  - {name: worker, repositories: {dev: shop/worker, stage: " + worker_stage + "}}\n"
                     "  - name: web\n    repositories:\n      dev: shop/web\n"
                     "      stage: {registry: '" + web_registry.host() + "', repository: edge/web}\n");
  };
  const std::string good = config("promote.yaml", "shop/worker");
  auto run = [&](const std::string& path, const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--agent", agent.Address("unix://"), "-o", "json", "run", "-c", path};
    full.insert(full.end(), args.begin(), args.end());
    return RunPromote(full);
  };
  const auto digests = PushSet(dev, kSha1, 5);
  auto to_dev = run(good, {"--branch", "develop", "--sha", kSha1});
  INFO(to_dev.out << to_dev.err);
  REQUIRE(to_dev.exit_code == 0);

  // One image's stage repository outside the policy: the whole set is refused, naming the image,
  // and nothing is written at stage for any image.
  const uint64_t before = Writes(stage) + Writes(web_registry);
  auto outside = run(config("outside.yaml", "elsewhere/worker"), {"--branch", "release/v1.0.0-sha-2b2e927"});
  INFO(outside.out << outside.err);
  CHECK(outside.exit_code == 3);
  CHECK(outside.Json()["error"]["code"] == "gate_refused");
  const std::string message = outside.Json()["error"]["message"].get<std::string>();
  CHECK(message.find("image 'worker'") != std::string::npos);
  CHECK(message.find("which no environment of the policy may write") != std::string::npos);
  CHECK(Writes(stage) + Writes(web_registry) == before);
  CHECK(TagDigest(stage, "shop/api", "stage").empty());

  // A branch the policy does not allow into stage: refused for the set as well.
  auto branch = run(good, {"--branch", "feature/x", "--sha", kSha1, "--to", "stage"});
  INFO(branch.out << branch.err);
  CHECK(branch.exit_code == 3);
  CHECK(branch.out.find("branch 'feature/x' may not promote here") != std::string::npos);
  CHECK(Writes(stage) + Writes(web_registry) == before);

  // The text output of a dry run: the set's line, then each image with its tags and gates.
  auto text = RunPromote({"--agent", agent.Address("unix://"), "run", "-c", good, "--branch",
                          "release/v1.0.0-sha-2b2e927", "--dry-run"});
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("plan: dev -> stage (planned, release set of 3 images)") != std::string::npos);
  CHECK(text.out.find("  image worker: " + dev.host() + "/shop/worker") != std::string::npos);
  CHECK(text.out.find("-> " + web_registry.host() + "/edge/web@" + digests.at("web")) != std::string::npos);
  CHECK(Writes(stage) + Writes(web_registry) == before);

  // As the policy asks: every image lands, signed and recorded with the agent's key.
  auto to_stage = run(good, {"--branch", "release/v1.0.0-sha-2b2e927"});
  INFO(to_stage.out << to_stage.err);
  REQUIRE(to_stage.exit_code == 0);
  auto j = to_stage.Json();
  CHECK(j["status"] == "promoted");
  REQUIRE(j["images"].size() == 3);
  CHECK(TagDigest(stage, "shop/api", "stage") == digests.at("api"));
  CHECK(TagDigest(stage, "shop/worker", "stage") == digests.at("worker"));
  CHECK(TagDigest(web_registry, "edge/web", "stage") == digests.at("web"));
  auto on_web = RecordsOn(web_registry, "edge/web", digests.at("web"), pair->public_key_pem);
  CHECK(std::any_of(on_web.begin(), on_web.end(), [](const auto& r) {
    return r.valid && r.record.to_env == "stage" && r.record.image == "web" && r.record.members.size() == 3;
  }));
}

TEST_CASE("a release set's approval: one approval naming every image, attached to each; the gate counts it for all") {
  TestRegistry dev, stage;
  TempDir dir;
  const std::string password = "key-" + RandomPassword();
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
  REQUIRE(pair.ok());
  const std::map<std::string, std::string> env = {
      {"PROMOTE_SIGNING_KEY", dir.Write("cosign.key", pair->private_key_pem, 0600)}, {"PROMOTE_KEY_PASSWORD", password}};
  const std::string config = dir.Write(
      "promote.yaml",
      "version: 1\nimage: shop\nsigning:\n  key: env:PROMOTE_SIGNING_KEY\n  password: env:PROMOTE_KEY_PASSWORD\n"
      "environments:\n"
      "  - {name: dev, registry: " + dev.host() + ", repository: shop/api}\n"
      "  - name: stage\n    registry: " + stage.host() + "\n    repository: shop/api\n    stage-order: false\n"
      "    gates:\n      approval: {required: 1, approvers: [alice]}\n"
      "images:\n"
      "  - {name: api, repositories: {dev: shop/api, stage: shop/api}}\n"
      "  - {name: worker, repositories: {dev: shop/worker, stage: shop/worker}}\n");
  const std::string sha = "2b2e927abcdef0123456789abcdef01234567890";
  auto approve = [&] {
    return RunPromote({"-o", "json", "approve", "-c", config, "--env", "stage", "--sha", sha, "--approver", "alice"},
                      env);
  };
  SampleSpec spec;
  spec.seed = 71;
  const std::string api = PushSampleImage(dev, "shop/api", "sha-2b2e927", spec).digest;

  // worker has no image for the commit yet: nothing is approved, not even api.
  const uint64_t before = Writes(dev);
  auto missing = approve();
  INFO(missing.out << missing.err);
  CHECK(missing.exit_code != 0);
  CHECK(missing.Json()["error"]["message"].get<std::string>().find("image 'worker'") != std::string::npos);
  CHECK(Writes(dev) == before);

  spec.seed = 72;
  const std::string worker = PushSampleImage(dev, "shop/worker", "sha-2b2e927", spec).digest;
  REQUIRE(TagDigest(dev, "shop/worker", "sha-2b2e927") == worker);
  auto approved = approve();
  INFO(approved.out << approved.err);
  REQUIRE(approved.exit_code == 0);
  const nlohmann::json images = approved.Json()["images"];
  REQUIRE(images.size() == 2);
  CHECK(images[0]["name"] == "api");
  CHECK(images[0]["digest"] == api);
  CHECK(images[1]["name"] == "worker");
  CHECK(images[1]["digest"] == worker);
  CHECK(images[1]["attestation"]["reference"].get<std::string>().find("/shop/worker:sha256-") != std::string::npos);

  // The set promotes: each image's approval gate counts alice's approval.
  auto run = RunPromote({"-o", "json", "run", "--config", config, "--branch", "release/1.0", "--sha", sha}, env);
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  int passed = 0;
  const nlohmann::json promoted = run.Json();  // kept: a range over a temporary's member would dangle
  for (const auto& image : promoted["images"]) {
    for (const auto& g : image["gates"]) {
      if (g["name"] == "approval" && g["verdict"] == "passed") ++passed;
    }
  }
  CHECK(passed == 2);
  CHECK(TagDigest(stage, "shop/worker", "sha-2b2e927") == worker);
}
