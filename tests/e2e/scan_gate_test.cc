// The vulnerability-scan gate end to end: promote run and promote scan with `command` scanners
// (stub scripts printing real Trivy reports from the shared fixtures) against real registries.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "promotion/scan_evidence.h"
#include "sign/attestation_store.h"
#include "sigstore/attestation_verify.h"
#include "sigstore/cosign_key.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

using namespace promote::testing;

namespace {

const std::string kSha = "2b2e927abcdef0123456789abcdef01234567890";
const std::string kRelease = "release/v1.2.0";

std::string Fixture(const std::string& name) {
  return std::string(PROMOTE_FIXTURES_DIR) + "/scanners/" + name;
}
const std::string kPhoton = Fixture("trivy-photon30-high-critical.json");
const std::string kClean = Fixture("trivy-slmicro54-clean.json");

std::string E2eStub() { return std::string(PROMOTE_SOURCE_DIR) + "/tests/e2e/stubs/report_stub.sh"; }
std::string UnitStub(const std::string& name) {
  return std::string(PROMOTE_SOURCE_DIR) + "/tests/unit/scan/stubs/" + name;
}

std::string ReadOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return in ? std::string(std::istreambuf_iterator<char>(in), {}) : std::string();
}

// A `command` scanner entry for promote.yaml / a policy file: the stub gets the platform and the
// image as arguments and finds the fixture and the record directory in its environment.
std::string CommandScanner(const std::string& name, const std::string& executable, const std::string& fixture,
                           const std::string& record_dir, int timeout = 60) {
  return "  " + name + ":\n    kind: command\n    executable: \"" + executable +
         "\"\n    args: [\"{platform}\", \"{image}\"]\n    format: trivy-json\n    timeout: " +
         std::to_string(timeout) + "\n    env:\n      STUB_FIXTURE: \"" + fixture +
         "\"\n      STUB_RECORD_DIR: \"" + record_dir + "\"\n";
}

// dev -> stage -> prod, one registry each, stage order off (these tests are about the scan gate),
// prod signed. The scan gate text goes under stage's (and optionally prod's) gates.
struct ScanPipeline {
  TempDir dir;
  std::string record_dir = dir.MakeDir("record");
  std::string password = "key-" + RandomPassword();
  std::string pub_path;
  std::string config_path;
  std::map<std::string, std::string> env;

  ScanPipeline() {
    auto pair = promote::sigstore::GenerateCosignKeyPair(promote::Secret(password));
    REQUIRE(pair.ok());
    pub_path = dir.Write("cosign.pub", pair->public_key_pem);
    env = {{"PROMOTE_SIGNING_KEY", dir.Write("cosign.key", pair->private_key_pem, 0600)},
           {"PROMOTE_KEY_PASSWORD", password}};
  }

  // `stage_gate`/`prod_gate`: the body of `scan:` (already indented by 8), or "" for no gate.
  void Write(const std::string& dev, const std::string& stage, const std::string& prod,
             const std::string& scanners, const std::string& stage_gate, const std::string& prod_gate = "",
             const std::string& dev_extra = "") {
    auto environment = [](const std::string& name, const std::string& ref, const std::string& gate,
                          const std::string& extra) {
      auto slash = ref.find('/');
      return "  - name: " + name + "\n    registry: " + ref.substr(0, slash) +
             "\n    repository: " + ref.substr(slash + 1) + "\n    stage-order: false\n" + extra +
             (gate.empty() ? "" : "    gates:\n      scan:\n" + gate);
    };
    std::string yaml =
        "version: 1\nsigning:\n  key: env:PROMOTE_SIGNING_KEY\n  password: env:PROMOTE_KEY_PASSWORD\n"
        "scanners:\n" +
        scanners + "environments:\n" + environment("dev", dev, "", dev_extra) +
        environment("stage", stage, stage_gate, "") +
        environment("prod", prod, prod_gate, "    sign: true\n");
    config_path = dir.Write("promote.yaml", yaml);
  }

  CliRun Run(const std::string& branch, const std::map<std::string, std::string>& extra_env = {}) const {
    auto e = env;
    e.insert(extra_env.begin(), extra_env.end());
    return RunPromote({"-o", "json", "run", "--config", config_path, "--branch", branch, "--sha", kSha}, e);
  }

  std::vector<std::string> Scans() const {
    std::vector<std::string> lines;
    std::string all = ReadOrEmpty(record_dir + "/scans");
    for (size_t start = 0; start < all.size();) {
      size_t nl = all.find('\n', start);
      lines.push_back(all.substr(start, nl - start));
      start = nl == std::string::npos ? all.size() : nl + 1;
    }
    return lines;
  }
  void ClearRecord() const { WriteFile(record_dir + "/scans", ""); }
};

nlohmann::json ScanGate(const nlohmann::json& run) {
  for (const auto& g : run["gates"]) {
    if (g["name"] == "scan") return g;
  }
  FAIL("no scan gate in " << run.dump());
  return nullptr;
}

std::set<std::string> Ids(const nlohmann::json& findings) {
  std::set<std::string> ids;
  for (const auto& f : findings) ids.insert(f["id"].get<std::string>());
  return ids;
}

}  // namespace

TEST_CASE("photon30 findings refuse the promotion into stage before any write; a clean image is promoted") {
  TestRegistry dev, stage, prod;
  ScanPipeline p;
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 31});
  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
          CommandScanner("stub", E2eStub(), kPhoton, p.record_dir), "        scanners: [stub]\n");

  auto refused = p.Run(kRelease);
  INFO(refused.err);
  CHECK(refused.exit_code == 3);
  auto j = refused.Json();
  CHECK(j["status"] == "refused");
  CHECK(j["error"]["code"] == "gate_refused");
  auto gate = ScanGate(j);
  CHECK(gate["verdict"] == "refused");
  REQUIRE(gate["data"]["breaking"].size() == 3);
  CHECK(Ids(gate["data"]["breaking"]) == std::set<std::string>{"CVE-2019-18276", "CVE-2019-5481"});
  for (const auto& f : gate["data"]["breaking"]) {
    CHECK(!f["package"].get<std::string>().empty());
    CHECK(!f["installed_version"].get<std::string>().empty());
    CHECK(!f["fixed_version"].get<std::string>().empty());
    CHECK(!f["target"].get<std::string>().empty());
    CHECK(f["platform"] == "linux/amd64");
  }
  CHECK(gate["data"]["counts"]["CRITICAL"] == 2);
  CHECK(gate["data"]["counts"]["HIGH"] == 1);
  // The stub scanned the exact source digest.
  REQUIRE(p.Scans().size() == 1);
  CHECK(p.Scans()[0] == "linux/amd64 " + dev.host() + "/app@" + img.digest);
  CHECK(Writes(stage) == 0);

  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
          CommandScanner("stub", E2eStub(), kClean, p.record_dir), "        scanners: [stub]\n");
  auto promoted = p.Run(kRelease);
  INFO(promoted.err);
  REQUIRE(promoted.exit_code == 0);
  auto pj = promoted.Json();
  CHECK(pj["status"] == "promoted");
  CHECK(pj["digest"] == img.digest);
  CHECK(ScanGate(pj)["verdict"] == "passed");
  CHECK(ScanGate(pj)["data"]["breaking"].empty());
  // stage does not sign: no evidence is attached there.
  CHECK(!ScanGate(pj)["data"].contains("attestations"));
}

TEST_CASE("a scanner that crashes or hangs refuses as a scanner failure; on-error: warn lets it through") {
  TestRegistry dev, stage, prod;
  ScanPipeline p;
  PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 32});
  struct Case {
    std::string stub;
    int timeout;
    std::string message_part;
  } cases[] = {
      {UnitStub("crash.sh"), 60, "crashed: killed by SIGSEGV"},
      {UnitStub("hang.sh"), 1, "timed out"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.stub);
    p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
            CommandScanner("stub", c.stub, kClean, p.record_dir, c.timeout), "        scanners: [stub]\n");
    auto r = p.Run(kRelease);
    INFO(r.err);
    CHECK(r.exit_code == 4);
    auto j = r.Json();
    CHECK(j["status"] == "failed");
    CHECK(j["error"]["code"] == "unavailable");
    auto gate = ScanGate(j);
    CHECK(gate["verdict"] == "refused");
    CHECK(gate["detail"].get<std::string>().find("scanner failure") != std::string::npos);
    CHECK(gate["data"]["passed"] == false);
    REQUIRE(gate["data"]["scanner_failures"].size() == 1);
    CHECK(gate["data"]["scanner_failures"][0].get<std::string>().find(c.message_part) != std::string::npos);
    // The hook's name leads: two hooks may run the same program.
    CHECK(gate["data"]["scanner_failures"][0].get<std::string>().rfind("stub: scanner ", 0) == 0);
    CHECK(Writes(stage) == 0);
  }

  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
          CommandScanner("stub", UnitStub("crash.sh"), kClean, p.record_dir),
          "        scanners: [stub]\n        on-error: warn\n");
  auto warned = p.Run(kRelease);
  INFO(warned.err);
  REQUIRE(warned.exit_code == 0);
  auto wj = warned.Json();
  CHECK(wj["status"] == "promoted");
  CHECK(ScanGate(wj)["verdict"] == "warned");
  CHECK(ScanGate(wj)["data"]["scanner_failures"].size() == 1);
}

TEST_CASE("an expired allowlist entry stops applying and the result says so") {
  TestRegistry dev, stage, prod;
  ScanPipeline p;
  PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 33});
  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
          CommandScanner("stub", E2eStub(), kPhoton, p.record_dir),
          "        scanners: [stub]\n        allow:\n"
          "          - {id: CVE-2019-5481, reason: backported by the vendor, expires: 2020-01-31}\n"
          "          - {id: CVE-2019-18276, reason: bash is never run}\n");
  auto r = p.Run(kRelease);
  INFO(r.err);
  CHECK(r.exit_code == 3);
  auto data = ScanGate(r.Json())["data"];
  // The curl CVE's entry expired, so both curl packages break the gate again.
  CHECK(data["breaking"].size() == 2);
  CHECK(Ids(data["breaking"]) == std::set<std::string>{"CVE-2019-5481"});
  REQUIRE(data["expired_allowlist"].size() == 1);
  CHECK(data["expired_allowlist"][0]["id"] == "CVE-2019-5481");
  CHECK(data["expired_allowlist"][0]["expired"] == "2020-01-31");
  REQUIRE(data["ignored"].size() == 1);
  CHECK(data["ignored"][0]["id"] == "CVE-2019-18276");
  CHECK(data["ignored"][0]["reason"] == "bash is never run");

  // promote scan says it in words too.
  auto text = RunPromote(
      {"scan", dev.host() + "/app:sha-2b2e927", "--config", p.config_path, "--env", "stage"}, p.env);
  CHECK(text.exit_code == 3);
  CHECK(text.out.find("CVE-2019-5481 expired on 2020-01-31 and no longer applies") != std::string::npos);
  CHECK(text.out.find("ignored: CVE-2019-18276") != std::string::npos);
}

TEST_CASE("a trivyignore naming a missing file is a config error (exit 2), in run and in scan") {
  TestRegistry dev, stage, prod;
  ScanPipeline p;
  PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 33});
  const std::string missing = p.dir.path() + "/no-such-ignore-file";
  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
          CommandScanner("stub", E2eStub(), kPhoton, p.record_dir),
          "        scanners: [stub]\n        trivyignore: " + missing + "\n");
  const uint64_t stage_writes = Writes(stage);

  auto run = p.Run(kRelease);
  INFO(run.out << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.Json()["error"]["code"] == "invalid_argument");
  CHECK(run.Json()["error"]["message"].get<std::string>().find("no-such-ignore-file") != std::string::npos);

  auto with_config = RunPromote(
      {"-o", "json", "scan", dev.host() + "/app:sha-2b2e927", "--config", p.config_path, "--env", "stage"},
      p.env);
  INFO(with_config.out << with_config.err);
  CHECK(with_config.exit_code == 2);

  const std::string policy = p.dir.Write(
      "policy.yaml", "version: 1\nscanners:\n" + CommandScanner("stub", E2eStub(), kPhoton, p.record_dir) +
                         "scan:\n  scanners: [stub]\n  trivyignore: " + missing + "\n");
  auto with_policy = RunPromote({"-o", "json", "scan", dev.host() + "/app:sha-2b2e927", "--policy", policy});
  INFO(with_policy.out << with_policy.err);
  CHECK(with_policy.exit_code == 2);
  CHECK(with_policy.Json()["error"]["message"].get<std::string>().find("policy.yaml") != std::string::npos);

  // Refused before anything ran: no scan, no write.
  CHECK(ReadOrEmpty(p.record_dir + "/scans").empty());
  CHECK(Writes(stage) == stage_writes);
}

TEST_CASE("every platform of an index is scanned unless the policy names a subset") {
  TestRegistry dev, stage, prod;
  ScanPipeline p;
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927",
                                    {{"linux/amd64", "linux/arm64", "linux/s390x"}, 1, 1000, 34});
  std::string scanners = CommandScanner("stub", E2eStub(), kClean, p.record_dir);

  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app", scanners,
          "        scanners: [stub]\n");
  REQUIRE(p.Run(kRelease).exit_code == 0);
  std::string image = " " + dev.host() + "/app@" + img.digest;
  std::vector<std::string> all = p.Scans();
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<std::string>{"linux/amd64" + image, "linux/arm64" + image, "linux/s390x" + image});

  p.ClearRecord();
  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app", scanners,
          "        scanners: [stub]\n        platforms: [linux/arm64]\n");
  auto r = RunPromote(
      {"-o", "json", "scan", dev.host() + "/app:sha-2b2e927", "--config", p.config_path, "--env", "stage"},
      p.env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(p.Scans() == std::vector<std::string>{"linux/arm64" + image});
  auto j = r.Json();
  CHECK(j["platforms"].size() == 3);
  REQUIRE(j["reports"].size() == 1);
  CHECK(j["reports"][0]["platform"] == "linux/arm64");
}

// The stub prints its fixture for any image; the real fixtures name no digest (they were made
// from archives), so they are accepted. A report that names a digest is tied to the image.
std::string CleanReportNaming(const TempDir& dir, const std::string& file, const std::string& reference) {
  nlohmann::json doc = nlohmann::json::parse(ReadOrEmpty(kClean));
  doc["ArtifactName"] = reference;
  doc["Metadata"]["RepoDigests"] = {reference};
  return dir.Write(file, doc.dump());
}

TEST_CASE("a report that names another image by digest is a scanner failure; a platform manifest is the image") {
  TestRegistry dev, stage, prod;
  ScanPipeline p;
  SampleImage index = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64", "linux/arm64"}, 1, 1000, 38});
  SampleImage other = PushSampleImage(dev, "app", "other", {{"linux/amd64"}, 1, 1000, 39});
  REQUIRE(index.manifest_digests.size() == 2);

  // promote run: the stub's report names the other image → exit 4, nothing written at stage.
  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
          CommandScanner("stub", E2eStub(), CleanReportNaming(p.dir, "other.json", dev.host() + "/app@" + other.digest),
                         p.record_dir),
          "        scanners: [stub]\n");
  auto refused = p.Run(kRelease);
  INFO(refused.err);
  CHECK(refused.exit_code == 4);
  auto gate = ScanGate(refused.Json());
  CHECK(gate["verdict"] == "refused");
  CHECK(gate["data"]["passed"] == false);
  REQUIRE(gate["data"]["scanner_failures"].size() == 2);  // one per platform
  const std::string failure = gate["data"]["scanner_failures"][0].get<std::string>();
  CHECK(failure.find("scanner stub (linux/") == 0);
  CHECK(failure.find("the report is for another image: it names " + other.digest + ", promote scanned " +
                     index.digest) != std::string::npos);
  CHECK(Writes(stage) == 0);

  // A report naming one of the index's platform manifests is for this image: promoted.
  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
          CommandScanner("stub", E2eStub(),
                         CleanReportNaming(p.dir, "child.json", dev.host() + "/app@" + index.manifest_digests[1]),
                         p.record_dir),
          "        scanners: [stub]\n");
  auto child = p.Run(kRelease);
  INFO(child.err);
  CHECK(child.exit_code == 0);
  CHECK(ScanGate(child.Json())["verdict"] == "passed");

  // promote scan: the report names the scanned digest → passed; the other image's → exit 4.
  const std::string ref = dev.host() + "/app:other";
  auto policy = [&](const std::string& fixture) {
    return p.dir.Write("policy.yaml", "version: 1\nscanners:\n" + CommandScanner("stub", E2eStub(), fixture, p.record_dir) +
                                          "scan:\n  scanners: [stub]\n");
  };
  auto same = RunPromote({"-o", "json", "scan", ref, "--policy",
                          policy(CleanReportNaming(p.dir, "same.json", dev.host() + "/app@" + other.digest))});
  INFO(same.err);
  CHECK(same.exit_code == 0);
  CHECK(same.Json()["passed"] == true);
  auto mixed = RunPromote({"-o", "json", "scan", ref, "--policy",
                           policy(CleanReportNaming(p.dir, "index.json", dev.host() + "/app@" + index.digest))});
  CHECK(mixed.exit_code == 4);
  auto mj = mixed.Json();
  CHECK(mj["passed"] == false);
  REQUIRE(mj["scanner_failures"].size() == 1);
  CHECK(mj["scanner_failures"][0].get<std::string>().find("is for another image: it names " + index.digest) !=
        std::string::npos);
}

TEST_CASE("a signed promotion into prod attaches each scan report as a verifiable vuln attestation") {
  TestRegistry dev, stage, prod;
  ScanPipeline p;
  SampleImage img = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64", "linux/arm64"}, 1, 1000, 35});
  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
          CommandScanner("stub", E2eStub(), kClean, p.record_dir), "        scanners: [stub]\n",
          "        scanners: [stub]\n");
  REQUIRE(p.Run(kRelease).exit_code == 0);
  auto r = p.Run("main", {{"GITHUB_RUN_ID", "777"}});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto gate = ScanGate(r.Json());
  REQUIRE(gate["data"]["attestations"].size() == 2);
  std::set<std::string> platforms;
  for (const auto& a : gate["data"]["attestations"]) {
    CHECK(a["predicate_type"] == std::string(promote::promotion::kVulnPredicateType));
    CHECK(a["reference"] == prod.host() + "/app:sha256-" + img.digest.substr(7) + ".att");
    platforms.insert(a["platform"].get<std::string>());
  }
  CHECK(platforms == std::set<std::string>{"linux/amd64", "linux/arm64"});

  // Read back from prod and verify with the public key.
  auto pub = promote::sigstore::ReadPublicKeyFile(p.pub_path);
  REQUIRE(pub.ok());
  TestRegistryClient client(prod);
  auto stored = promote::sign::ListAttestations(client.get(), "app", *promote::oci::Digest::Parse(img.digest),
                                                {promote::registry::RepositoryScope("app", "pull")});
  REQUIRE(stored.ok());
  int vuln = 0;
  for (const auto& att : *stored) {
    if (att.predicate_type != promote::promotion::kVulnPredicateType) continue;
    ++vuln;
    auto statement = promote::sigstore::VerifyAttestationEnvelope(att.envelope, *pub, img.digest);
    REQUIRE(statement.ok());
    CHECK(statement->predicate_type == promote::promotion::kVulnPredicateType);
    const auto& pred = statement->predicate;
    CHECK(pred["scanner"]["uri"].get<std::string>().rfind("pkg:github/aquasecurity/trivy@", 0) == 0);
    CHECK(pred["scanner"]["result"]["SchemaVersion"] == 2);
    CHECK(pred["scanner"]["result"]["Metadata"]["OS"]["Family"] == "slem");
    CHECK(pred["scanner"].contains("db"));
    CHECK(!pred["metadata"]["scanStartedOn"].get<std::string>().empty());
    CHECK(pred["metadata"]["scanStartedOn"] <= pred["metadata"]["scanFinishedOn"]);
    CHECK(pred["invocation"]["event_id"].get<std::string>().find("777") != std::string::npos);
  }
  CHECK(vuln == 2);
  auto cli_verify = RunPromote({"-o", "json", "verify", prod.host() + "/app:sha-2b2e927", "--key", p.pub_path,
                                "--attestation-type", std::string(promote::promotion::kVulnPredicateType)});
  INFO(cli_verify.out);
  CHECK(cli_verify.exit_code == 0);
  // A key other than the agent's does not verify them.
  ScanPipeline other;
  auto wrong = promote::sigstore::ReadPublicKeyFile(other.pub_path);
  REQUIRE(wrong.ok());
  for (const auto& att : *stored) {
    CHECK(!promote::sigstore::VerifyAttestationEnvelope(att.envelope, *wrong, img.digest).ok());
  }

  // Re-running the finished promotion scans again (the gate still decides) but attaches nothing.
  auto again = p.Run("main");
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(again.Json()["status"] == "unchanged");
  auto after = promote::sign::ListAttestations(client.get(), "app", *promote::oci::Digest::Parse(img.digest),
                                               {promote::registry::RepositoryScope("app", "pull")});
  REQUIRE(after.ok());
  CHECK(after->size() == stored->size());
}

TEST_CASE("promote scan: exit codes and the JSON verdict") {
  TestRegistry dev;
  TempDir dir;
  std::string rec = dir.MakeDir("record");
  SampleImage img = PushSampleImage(dev, "app", "v1", {{"linux/amd64"}, 1, 1000, 36});
  std::string ref = dev.host() + "/app:v1";
  const uint64_t writes_after_push = Writes(dev);
  auto policy = [&](const std::string& stub, const std::string& fixture) {
    return dir.Write("policy.yaml", "version: 1\nscanners:\n" +
                                        CommandScanner("stub", stub, fixture, rec, 5) +
                                        CommandScanner("other", stub, kClean, rec, 5) +
                                        "scan:\n  scanners: [stub]\n  fail-on: HIGH\n");
  };

  auto pass = RunPromote({"-o", "json", "scan", ref, "--policy", policy(E2eStub(), kClean)});
  INFO(pass.err);
  REQUIRE(pass.exit_code == 0);
  auto pj = pass.Json();
  CHECK(pj["command"] == "scan");
  CHECK(pj["ok"] == true);
  CHECK(pj["verdict"] == "passed");
  CHECK(pj["digest"] == img.digest);
  CHECK(pj["platforms"] == nlohmann::json::array({"linux/amd64"}));
  for (const char* s : {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}) CHECK(pj["counts"][s] == 0);
  CHECK(pj["breaking"].empty());
  CHECK(pj["ignored"].empty());
  CHECK(pj["expired_allowlist"].empty());
  CHECK(pj["scanner_failures"].empty());
  REQUIRE(pj["reports"].size() == 1);
  CHECK(pj["reports"][0]["scanner"] == "stub");  // the hook, not the parser
  CHECK(pj["reports"][0]["format"] == "trivy-json");
  CHECK(!pj["reports"][0].contains("findings"));

  auto refused = RunPromote({"-o", "json", "scan", ref, "--policy", policy(E2eStub(), kPhoton)});
  CHECK(refused.exit_code == 3);
  auto rj = refused.Json();
  CHECK(rj["ok"] == false);
  CHECK(rj["error"]["code"] == "gate_refused");
  CHECK(rj["verdict"] == "refused");
  CHECK(rj["counts"]["CRITICAL"] == 2);
  REQUIRE(rj["breaking"].size() == 3);
  for (const auto& f : rj["breaking"]) {
    for (const char* k :
         {"id", "package", "installed_version", "fixed_version", "target", "platform", "severity"}) {
      CAPTURE(k);
      CHECK(f.contains(k));
    }
  }
  // Two command hooks with one parser: each finding and report says which hook found it.
  std::string two = dir.Write("two.yaml", "version: 1\nscanners:\n" + CommandScanner("fix", E2eStub(), kPhoton, rec, 5) +
                                              CommandScanner("vendor", E2eStub(), kPhoton, rec, 5) +
                                              "scan:\n  scanners: [fix, vendor]\n");
  auto both_hooks = RunPromote({"-o", "json", "scan", ref, "--policy", two});
  CHECK(both_hooks.exit_code == 3);
  auto bj = both_hooks.Json();
  REQUIRE(bj["breaking"].size() == 6);
  std::map<std::string, int> by_hook;
  for (const auto& f : bj["breaking"]) {
    ++by_hook[f["scanner"].get<std::string>()];
    CHECK(f["format"] == "trivy-json");
  }
  CHECK(by_hook == std::map<std::string, int>{{"fix", 3}, {"vendor", 3}});
  REQUIRE(bj["reports"].size() == 2);
  CHECK(bj["reports"][0]["scanner"] == "fix");
  CHECK(bj["reports"][1]["scanner"] == "vendor");

  // --scanner picks another configured scanner (clean), which passes.
  auto other =
      RunPromote({"-o", "json", "scan", ref, "--policy", dir.path() + "/policy.yaml", "--scanner", "other"});
  CHECK(other.exit_code == 0);

  auto failure = RunPromote({"-o", "json", "scan", ref, "--policy", policy(UnitStub("crash.sh"), kClean)});
  CHECK(failure.exit_code == 4);
  auto fj = failure.Json();
  CHECK(fj["error"]["code"] == "unavailable");
  CHECK(fj["verdict"] == "refused");
  CHECK(fj["passed"] == false);
  CHECK(fj["scanner_failures"].size() == 1);

  // A report the parser refuses is a scanner failure too, and the JSON must not say "passed":
  // no findings were read, so the counts alone would look clean.
  const std::string clean_text = ReadOrEmpty(kClean);
  const std::string unreadable[] = {
      dir.Write("truncated.json", clean_text.substr(0, clean_text.size() / 2)),
      dir.Write("schema1.json", "{\"SchemaVersion\": 1, \"ArtifactName\": \"app\", \"Results\": []}"),
  };
  for (const auto& fixture : unreadable) {
    CAPTURE(fixture);
    auto r = RunPromote({"-o", "json", "scan", ref, "--policy", policy(E2eStub(), fixture)});
    CHECK(r.exit_code == 4);
    auto j = r.Json();
    CHECK(j["verdict"] == "refused");
    CHECK(j["passed"] == false);
    REQUIRE(j["scanner_failures"].size() == 1);
    CHECK(j["scanner_failures"][0].get<std::string>().find("no valid report") != std::string::npos);
  }

  struct BadPolicy {
    std::string yaml;
    std::string message_part;
  } bad[] = {
      {"scanners:\n  stub:\n    kind: command\n    executable: /bin/true\n    format: trivy-json\n    "
       "colour: red\n"
       "scan:\n  scanners: [stub]\n",
       "policy-bad.yaml:6: unknown key 'colour'"},
      {"scanners:\n  stub:\n    kind: command\n    executable: /bin/true\n    format: trivy-json\n"
       "scan:\n  scanners: [stub]\n  fail-on: SEVERE\n",
       "policy-bad.yaml:8:"},
      {"scanners:\n  stub:\n    kind: trivy\nscan:\n  scanners: [nope]\n",
       "policy-bad.yaml:5: scan: unknown scanner 'nope'"},
      {"scanners: {}\n", "scan is required"},
      {"scanners: [\n", "policy-bad.yaml:2: not valid YAML"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.yaml);
    std::string path = dir.Write("policy-bad.yaml", b.yaml);
    auto r = RunPromote({"-o", "json", "scan", ref, "--policy", path});
    CHECK(r.exit_code == 2);
    CHECK(r.Json()["error"]["message"].get<std::string>().find(b.message_part) != std::string::npos);
  }
  auto both =
      RunPromote({"-o", "json", "scan", ref, "--policy", dir.path() + "/policy.yaml", "--config", "x.yaml"});
  CHECK(both.exit_code == 2);
  auto unknown_scanner =
      RunPromote({"-o", "json", "scan", ref, "--policy", dir.path() + "/policy.yaml", "--scanner", "x"});
  CHECK(unknown_scanner.exit_code == 2);
  // Scanning only reads.
  CHECK(Writes(dev) == writes_after_push);
}

TEST_CASE("registry credentials reach the scanner only through its docker config, never its argv") {
  RegistryOptions basic;
  basic.auth = RegistryAuth::kBasic;
  TestRegistry dev(basic), stage, prod;
  ScanPipeline p;
  PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 37});
  p.Write(dev.host() + "/app", stage.host() + "/app", prod.host() + "/app",
          CommandScanner("stub", E2eStub(), kClean, p.record_dir), "        scanners: [stub]\n", "",
          "    credentials:\n      username: " + basic.username +
              "\n      password: env:DEV_REGISTRY_PASSWORD\n");
  const std::string& secret = dev.options().password;

  // promote run: promote.yaml credentials.
  auto run = p.Run(kRelease, {{"DEV_REGISTRY_PASSWORD", secret}});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  // promote scan: explicit source credentials.
  auto scan = RunPromote({"-o", "json", "scan", dev.host() + "/app:sha-2b2e927", "--config", p.config_path,
                          "--env", "stage", "--src-username", basic.username},
                         {{"PROMOTE_SRC_PASSWORD", secret}});
  INFO(scan.err);
  REQUIRE(scan.exit_code == 0);

  REQUIRE(p.Scans().size() == 2);
  std::string cmdline = ReadOrEmpty(p.record_dir + "/cmdline");
  std::string environ = ReadOrEmpty(p.record_dir + "/environ");
  REQUIRE(cmdline.find(dev.host() + "/app@sha256:") != std::string::npos);
  CHECK(cmdline.find(secret) == std::string::npos);
  CHECK(environ.find(secret) == std::string::npos);
  CHECK(environ.find("DEV_REGISTRY_PASSWORD") == std::string::npos);
  CHECK(environ.find("PROMOTE_SRC_PASSWORD") == std::string::npos);
  // The scanner did get them, in a docker config naming only the source registry.
  std::string docker_config = ReadOrEmpty(p.record_dir + "/docker_config.json");
  CHECK(docker_config.find("\"" + dev.host() + "\"") != std::string::npos);
  for (const auto* r : {&run, &scan}) {
    CHECK(r->out.find(secret) == std::string::npos);
    CHECK(r->err.find(secret) == std::string::npos);
  }
}
