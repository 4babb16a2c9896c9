// The fault matrix: every injected fault (tests/support/fault_proxy.py) at every step of a copy
// — blob GET, blob PUT, manifest PUT, tag PUT, token request — once (transient) and for good
// (persistent). Whatever happens, no target tag may name an incomplete or wrong image; transient
// faults must end promoted; persistent ones must fail with a clear error. The matrix is printed
// (scripts/fault-matrix shows it) and asserted cell by cell.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <set>

#include "oci/manifest.h"
#include "oci/media_types.h"
#include "sigstore/cosign_key.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

struct Step {
  const char* name;
  const char* method;
  const char* path;  // regular expression on the request target
  bool source;       // the proxy sits in front of the source registry (else the target)
  bool token;        // the proxy sits in front of the target's token server
};

const Step kSteps[] = {
    {"blob GET", "GET", "/blobs/sha256:", true, false},
    {"blob PUT", "PUT", "/blobs/uploads/", false, false},
    {"manifest PUT", "PUT", "/manifests/sha256:", false, false},
    {"tag PUT", "PUT", "/manifests/[^s][^/]*$", false, false},
    {"token", "GET", "/token", false, true},
};

struct Fault {
  const char* name;
  nlohmann::json rule;  // method/path/times are added per cell
};

std::vector<Fault> Faults() {
  return {
      {"500", {{"fault", "status"}, {"status", 500}}},
      {"502", {{"fault", "status"}, {"status", 502}}},
      {"503", {{"fault", "status"}, {"status", 503}}},
      {"429+Retry-After", {{"fault", "status"}, {"status", 429}, {"retry_after", "1"}}},
      {"429", {{"fault", "status"}, {"status", 429}}},
      {"reset", {{"fault", "reset"}}},
      {"truncate", {{"fault", "truncate"}}},
      {"flip", {{"fault", "flip"}}},
      {"slow drip", {{"fault", "drip"}, {"bytes_per_second", 20000}}},
      {"expired token", {{"fault", "unauth"}}},
      {"drop", {{"fault", "drop"}}},
  };
}

struct Cell {
  std::string outcome;  // "promoted" or the error code
  bool tag_sound = true;
  std::string detail;
};

// Whether repo:tag at the registry is absent, or names `digest` with every manifest and blob of
// the image present: never a tag on something incomplete or wrong.
bool TagIsSound(const TestRegistry& reg, const SampleImage& img, std::string* detail) {
  TestRegistryClient client(reg);
  auto& c = client.get();
  promote::registry::Scopes scopes = {promote::registry::RepositoryScope("app", "pull")};
  auto head = c.HeadManifest("app", "v1", scopes);
  if (!head.ok()) {
    *detail = head.status().message();
    return false;
  }
  if (!head->has_value()) return true;
  if ((*head)->digest.str() != img.digest) {
    *detail = "tag names " + (*head)->digest.str();
    return false;
  }
  for (const auto& m : img.manifest_digests) {
    auto h = c.HeadManifest("app", m, scopes);
    if (!h.ok() || !h->has_value()) {
      *detail = "missing manifest " + m;
      return false;
    }
  }
  for (const auto& b : img.blob_digests) {
    auto d = promote::oci::Digest::Parse(b);
    auto exists = c.BlobExists("app", *d, scopes);
    if (!exists.ok() || !*exists) {
      *detail = "missing blob " + b;
      return false;
    }
  }
  return true;
}

Cell RunCell(const TestRegistry& dev, const SampleImage& img, const Step& step, const Fault& fault, bool persistent) {
  nlohmann::json rule = fault.rule;
  rule["method"] = step.method;
  rule["path"] = step.path;
  if (!persistent && fault.rule["fault"] != "drop") rule["times"] = 1;

  // The target wants bearer tokens, so token requests and expired tokens are part of every copy.
  std::unique_ptr<FaultProxy> token_proxy;
  RegistryOptions target_options;
  target_options.auth = RegistryAuth::kToken;
  if (step.token) {
    target_options.token_realm = [&](const std::string& realm) {
      if (!token_proxy) token_proxy = std::make_unique<FaultProxy>(realm.substr(0, realm.rfind("/token")));
      return "http://" + token_proxy->host() + "/token";
    };
  }
  TestRegistry target(target_options);
  std::unique_ptr<FaultProxy> proxy;
  std::string source = dev.host() + "/app:v1";
  std::string destination = target.host() + "/app";
  if (step.token) {
    token_proxy->SetRules(nlohmann::json::array({rule}));
  } else if (step.source) {
    proxy = std::make_unique<FaultProxy>(dev.base_url());
    proxy->SetRules(nlohmann::json::array({rule}));
    source = proxy->host() + "/app:v1";
  } else {
    proxy = std::make_unique<FaultProxy>(target.base_url());
    proxy->SetRules(nlohmann::json::array({rule}));
    destination = proxy->host() + "/app";
  }
  std::vector<std::string> args = {"-o", "json", "--progress-interval", "0", "copy", "--retries", "3",
                                   source, destination};
  args.insert(args.end() - 2, {"--dst-username", target.options().username});
  std::map<std::string, std::string> env = {{"PROMOTE_DST_PASSWORD", target.options().password}};
  CliRun run = RunPromote(args, env, 120);
  Cell cell;
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  if (run.exit_code == 0 && !j.is_discarded() && j["digest"] == img.digest) {
    cell.outcome = "promoted";
  } else if (!j.is_discarded() && j.contains("error") && j["error"].is_object()) {
    cell.outcome = j["error"]["code"].get<std::string>();
    cell.detail = j["error"]["message"].get<std::string>();
  } else {
    cell.outcome = "no-result(exit " + std::to_string(run.exit_code) + ")";
    cell.detail = run.err.substr(0, 300);
  }
  // The checker needs tokens too: the token service is healthy again for it.
  if (token_proxy) token_proxy->SetRules(nlohmann::json::array());
  cell.tag_sound = TagIsSound(target, img, &cell.detail);
  return cell;
}

}  // namespace

TEST_CASE("fault matrix: transient faults end promoted, persistent ones fail clearly, no tag is ever wrong") {
  TestRegistry dev;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64", "linux/arm64"}, 2, 30000, 42});
  const std::vector<Fault> faults = Faults();
  const std::set<std::string> failure_codes = {"unavailable", "registry_error", "data_loss", "unauthenticated",
                                               "not_found", "permission_denied"};

  std::printf("\n%-16s %-11s", "fault", "mode");
  for (const auto& s : kSteps) std::printf(" | %-18s", s.name);
  std::printf("\n");
  int cells = 0;
  for (const auto& fault : faults) {
    for (bool persistent : {false, true}) {
      if (!persistent && std::string(fault.name) == "drop") continue;
      std::printf("%-16s %-11s", fault.name, persistent ? "persistent" : "once");
      // The cells of a row are independent (each has its own target registry and proxy): run
      // them side by side, then judge them here (doctest assertions stay on this thread).
      std::vector<std::future<Cell>> row;
      for (const auto& step : kSteps) {
        row.push_back(std::async(std::launch::async, [&dev, &img, &step, &fault, persistent] {
          return RunCell(dev, img, step, fault, persistent);
        }));
      }
      for (size_t i = 0; i < row.size(); ++i) {
        const Step& step = kSteps[i];
        Cell cell = row[i].get();
        ++cells;
        std::printf(" | %-18s", (cell.outcome + (cell.tag_sound ? "" : " BAD TAG")).c_str());
        std::fflush(stdout);
        const std::string fault_name = fault.name, step_name = step.name;
        CAPTURE(fault_name);
        CAPTURE(step_name);
        CAPTURE(persistent);
        INFO(cell.detail);
        // The promise that holds in every cell.
        CHECK(cell.tag_sound);
        // Every outcome is a result: promoted, or an error code naming what failed.
        CHECK((cell.outcome == "promoted" || failure_codes.count(cell.outcome) == 1));
        const std::string f = fault.name;
        if (!persistent) {
          // Retried, refetched or re-verified: a fault that happens once never fails a copy (a
          // token response garbled once included: it is asked for again).
          CHECK(cell.outcome == "promoted");
        } else if (f == "drop" || f == "reset" || f.rfind("5", 0) == 0 || f.rfind("429", 0) == 0) {
          // A registry (or token service) that keeps failing must fail the copy, not hang it.
          CHECK(cell.outcome != "promoted");
        }
        if (f == "slow drip") CHECK(cell.outcome == "promoted");
      }
      std::printf("\n");
    }
  }
  CHECK(cells == (static_cast<int>(faults.size()) * 2 - 1) * static_cast<int>(std::size(kSteps)));
}

TEST_CASE("registries that lie are refused with a clear error, and nothing is tagged") {
  TestRegistry dev;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 2, 3000, 43});
  struct Case {
    const char* name;
    nlohmann::json rule;
    std::string expect_code;  // "" = promoted
    std::string expect_text;
  };
  const std::string loopback_blob = dev.base_url() + "/v2/app/blobs/" + img.blob_digests.back();
  std::vector<Case> cases = {
      {"manifest bytes that do not match the digest",
       {{"method", "GET"}, {"path", "/manifests/sha256:"}, {"fault", "flip"}}, "data_loss|registry_error", ""},
      {"a manifest with an enormous Content-Length",
       {{"method", "GET"}, {"path", "/manifests/sha256:"}, {"fault", "huge"}}, "unavailable|registry_error", ""},
      {"a blob redirected to plain HTTP off loopback",
       {{"method", "GET"}, {"path", "/blobs/sha256:"}, {"fault", "redirect"}, {"location", "http://203.0.113.7/blob"}},
       "registry_error", "redirect"},
      {"a blob redirected to loopback (allowed)",
       {{"method", "GET"}, {"path", "/blobs/" + img.blob_digests.back()}, {"fault", "redirect"},
        {"location", loopback_blob}, {"times", 1}},
       "", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.name));
    TestRegistry target;
    FaultProxy proxy(dev.base_url());
    proxy.SetRules(nlohmann::json::array({c.rule}));
    auto start = std::chrono::steady_clock::now();
    // By digest, so the manifest is fetched by digest and its bytes can be checked against it.
    CliRun run = RunPromote({"-o", "json", "--progress-interval", "0", "copy", "--retries", "2", "-t", "v1",
                             proxy.host() + "/app@" + img.digest, target.host() + "/app"},
                            {}, 120);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(run.out << run.err);
    auto j = run.Json();
    std::string detail;
    CHECK(TagIsSound(target, img, &detail));
    CHECK(seconds < 30);  // refused, not waited out
    if (c.expect_code.empty()) {
      CHECK(run.exit_code == 0);
      CHECK(j["digest"] == img.digest);
      continue;
    }
    CHECK(run.exit_code != 0);
    CHECK(("|" + c.expect_code + "|").find("|" + j["error"]["code"].get<std::string>() + "|") != std::string::npos);
    CHECK(j["error"]["message"].get<std::string>().find(c.expect_text) != std::string::npos);
    TestRegistryClient client(target);
    auto head = client.get().HeadManifest("app", "v1", {promote::registry::RepositoryScope("app", "pull")});
    REQUIRE(head.ok());
    CHECK_FALSE(head->has_value());
  }

  // Header injection through a tag name never reaches a registry: the reference is refused.
  TestRegistry target;
  CliRun injected = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", target.host() + "/app:v1\r\nX-Evil: 1"});
  CHECK(injected.exit_code == 2);
  CliRun injected_tag = RunPromote({"-o", "json", "copy", "-t", "ok\r\nX-Evil: 1", dev.host() + "/app:v1", target.host() + "/app"});
  CHECK(injected_tag.exit_code == 2);
  CHECK(target.RequestCount("PUT", "/") == 0);
}

TEST_CASE("signature and record uploads survive a transient failure like image blobs do") {
  TestRegistry reg;
  SampleImage img = PushSampleImage(reg, "app", "v1", {{"linux/amd64"}, 1, 1000, 44});
  TempDir dir;
  auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret("pw"));
  REQUIRE(pair.ok());
  std::string key = dir.Write("cosign.key", pair->private_key_pem, 0600);
  std::string pub = dir.Write("cosign.pub", pair->public_key_pem);
  for (const std::string fault : {"status", "reset"}) {
    CAPTURE(fault);
    FaultProxy proxy(reg.base_url());
    // The first blob upload (the signature payload) fails once.
    proxy.SetRules(nlohmann::json::array(
        {{{"method", "PUT"}, {"path", "/blobs/uploads/"}, {"fault", fault}, {"status", 503}, {"times", 1}}}));
    CliRun sign = RunPromote({"-o", "json", "sign", "--key", key, proxy.host() + "/app:v1"},
                             {{"PROMOTE_KEY_PASSWORD", "pw"}});
    INFO(sign.out << sign.err);
    CHECK(sign.exit_code == 0);
    CHECK(proxy.Hits().size() == 1);
    CliRun verify = RunPromote({"-o", "json", "verify", "--key", pub, "--identity-policy", "ignore",
                                reg.host() + "/app@" + img.digest});
    CHECK(verify.exit_code == 0);
  }
}

TEST_CASE("an index that lists itself, as a lying registry serves it, or nests past the limit, is refused untagged") {
  TestRegistry dev;
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64", "linux/arm64"}, 1, 1000, 45});
  REQUIRE(img.manifest_digests.size() == 2);

  // Content addressing makes a true cycle impossible: an index cannot contain its own digest.
  // What a registry can do is answer a child's digest with the index itself, so that the index
  // would list itself. The bytes do not match the digest asked for: refused before any write.
  {
    TestRegistry target;
    FaultProxy proxy(dev.base_url());
    proxy.SetRules(nlohmann::json::array({{{"method", "GET"},
                                           {"path", "/manifests/" + img.manifest_digests[0]},
                                           {"fault", "body"},
                                           {"body", img.bytes},
                                           {"content_type", img.media_type}}}));
    CliRun run = RunPromote({"-o", "json", "--progress-interval", "0", "copy", "-t", "v1",
                             proxy.host() + "/app@" + img.digest, target.host() + "/app"});
    INFO(run.out << run.err);
    CHECK(run.exit_code == 4);
    auto j = run.Json();
    CHECK(j["error"]["code"] == "data_loss");
    const std::string message = j["error"]["message"].get<std::string>();
    CHECK(message.find(img.manifest_digests[0]) != std::string::npos);
    CHECK(message.find("registry served bytes whose digest is " + img.digest) != std::string::npos);
    CHECK_FALSE(proxy.Hits().empty());
    CHECK(target.RequestCount("PUT", "/") == 0);
  }

  // Indexes of indexes: legitimate up to kMaxIndexDepth (4) levels, refused past it, since a
  // registry could otherwise make a copy walk an endless chain it generates on the fly.
  TestRegistryClient client(dev);
  promote::registry::Scopes scopes = {promote::registry::RepositoryScope("app", "pull,push")};
  auto leaf = client.get().GetManifest("app", img.manifest_digests[0], scopes);
  REQUIRE(leaf.ok());
  std::vector<std::string> chain;  // chain[k] = the digest of the index k + 1 levels above the leaf
  std::string child_digest = leaf->digest.str(), child_type = leaf->media_type;
  size_t child_size = leaf->bytes.size();
  for (int level = 1; level <= 5; ++level) {
    nlohmann::json index = {{"schemaVersion", 2},
                            {"mediaType", promote::oci::media_type::kOciIndex},
                            {"manifests", {{{"mediaType", child_type}, {"digest", child_digest}, {"size", child_size}}}}};
    auto parsed = promote::oci::ParseManifest(index.dump(), promote::oci::media_type::kOciIndex);
    REQUIRE(parsed.ok());
    REQUIRE(client.get().PutManifest("app", parsed->digest.str(), *parsed, scopes).ok());
    child_digest = parsed->digest.str();
    child_type = promote::oci::media_type::kOciIndex;
    child_size = parsed->bytes.size();
    chain.push_back(child_digest);
  }
  TestRegistry target;
  CliRun four = RunPromote({"-o", "json", "copy", "-t", "deep4", dev.host() + "/app@" + chain[3], target.host() + "/app"});
  INFO(four.out << four.err);
  CHECK(four.exit_code == 0);
  CHECK(four.Json()["digest"] == chain[3]);
  CliRun five = RunPromote({"-o", "json", "copy", "-t", "deep5", dev.host() + "/app@" + chain[4], target.host() + "/app"});
  INFO(five.out << five.err);
  CHECK(five.exit_code == 4);
  CHECK(five.Json()["error"]["message"].get<std::string>().find("nests deeper than 4 levels") != std::string::npos);
  auto head = TestRegistryClient(target).get().HeadManifest("app", "deep5", {promote::registry::RepositoryScope("app", "pull")});
  REQUIRE(head.ok());
  CHECK_FALSE(head->has_value());
  CHECK(target.RequestCount("PUT", "/manifests/" + chain[4]) == 0);
}

TEST_CASE("a 429 with Retry-After on a streamed upload holds the blob's restart until the registry's time has passed") {
  // The streamed body is spent, so the upload cannot be re-sent where the 429 arrived; the
  // whole-blob retry restarts it. It must still wait what the registry asked, not just a backoff.
  TestRegistry dev, prod;
  PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 20000, 47});
  FaultProxy proxy(prod.base_url());
  proxy.SetRules(nlohmann::json::array({
      {{"method", "PUT"}, {"path", "/blobs/uploads/.*digest="}, {"fault", "status"}, {"status", 429},
       {"retry_after", "2"}, {"times", 1}},
      {{"fault", "note"}},
  }));
  CliRun run = RunPromote({"-o", "json", "copy", dev.host() + "/app:v1", proxy.host() + "/app:v1"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);

  std::vector<nlohmann::json> hits = proxy.Hits();
  auto refused = std::find_if(hits.begin(), hits.end(), [](const nlohmann::json& h) { return h["hit"] == 0; });
  REQUIRE(refused != hits.end());
  std::string path = (*refused)["path"];
  REQUIRE(path.size() > 64);
  std::string hex = path.substr(path.size() - 64);  // the upload's closing PUT ends in ?…digest=sha256:<hex>
  // The first request about that blob after the 429 (the restart's existence check).
  double restart = -1;
  for (const auto& h : hits) {
    std::string p = h["path"];
    if (h["hit"] == 1 && h["t"].get<double>() > (*refused)["t"].get<double>() &&
        p.find(hex) != std::string::npos) {
      restart = h["t"].get<double>();
      break;
    }
  }
  REQUIRE(restart > 0);
  CHECK(restart - (*refused)["t"].get<double>() >= 1.9);
}
