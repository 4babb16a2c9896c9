// The provenance gate and the verification summary end to end: SLSA provenance statements made
// here, signed with a builder's key and attached to the source image as cosign does
// (sha256-<hex>.att), judged by the real CLI (and agent) against real registries; the summary a
// promotion writes read back from the target registry, verified with the promotion key and
// checked field by field against the SLSA spec.
#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "promotion/provenance_check.h"
#include "promotion/verification_summary.h"
#include "sign/attestation_store.h"
#include "sign/bundle_store.h"
#include "sigstore/attestation_verify.h"
#include "sigstore/cosign_key.h"
#include "sigstore/dsse.h"
#include "sigstore/in_toto.h"
#include "tests/support/promote_cli.h"
#include "tests/support/sample_image.h"
#include "tests/support/slsa_provenance.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_agent.h"
#include "tests/support/test_registry.h"
#include "tests/support/vsa_spec.h"
#include "util/sha256.h"

using namespace promote::testing;
namespace sign = promote::sign;
namespace sigstore = promote::sigstore;
namespace promotion = promote::promotion;

namespace {

const std::string kSha = "2b2e927abcdef0123456789abcdef01234567890";
const std::string kOtherSha = "ffffffffabcdef0123456789abcdef0123456789";
const std::string kRelease = "release/v1.2.0";
const std::string kGeneratorPattern =
    "https://github.com/slsa-framework/slsa-github-generator/*@refs/tags/v*";

promote::registry::Scopes PushScope(const std::string& repo) {
  return {promote::registry::RepositoryScope(repo, "pull,push")};
}

sigstore::PrivateKey NewKey() {
  auto key = sigstore::PrivateKey::Generate();
  REQUIRE(key.ok());
  return std::move(*key);
}

promote::oci::Descriptor DescriptorOf(const SampleImage& image) {
  auto digest = promote::oci::Digest::Parse(image.digest);
  REQUIRE(digest.ok());
  return {image.media_type, *digest, static_cast<int64_t>(image.bytes.size()), {}, {}};
}

// Signs a provenance statement about `about` with `key` and appends it to `target`'s .att in
// `repo`, as `cosign attest --type slsaprovenance1` does. Returns the envelope's digest.
std::string AttachProvenance(const TestRegistry& registry, const std::string& repo, const SampleImage& target,
                             const SampleImage& about, std::string_view predicate_type,
                             const nlohmann::json& predicate, const sigstore::PrivateKey& key) {
  auto statement =
      sigstore::BuildInTotoStatement(predicate_type, registry.host() + "/" + repo, about.digest, predicate);
  REQUIRE(statement.ok());
  auto envelope = sigstore::SignDsse(sigstore::kInTotoPayloadType, *statement, key);
  REQUIRE(envelope.ok());
  TestRegistryClient client(registry);
  auto out = sign::AttachAttestation(client.get(), repo, DescriptorOf(about), *envelope, predicate_type,
                                     PushScope(repo));
  REQUIRE_MESSAGE(out.ok(), out.status().ToString());
  if (target.digest != about.digest) {
    // Someone copies another image's provenance beside this one: the .att manifest moves as is.
    const std::string from = "sha256-" + about.digest.substr(7) + ".att";
    auto manifest = client.get().GetManifest(repo, from, PushScope(repo));
    REQUIRE(manifest.ok());
    REQUIRE(client.get()
                .PutManifest(repo, "sha256-" + target.digest.substr(7) + ".att", *manifest, PushScope(repo))
                .ok());
  }
  return out->envelope_digest.str();
}

// dev -> stage -> prod, one registry each. stage has the provenance gate (`gate`, indented under
// provenance:); stage order is off into stage; prod signs.
struct ProvenancePipeline {
  TempDir dir;
  TestRegistry dev, stage, prod;
  sigstore::PrivateKey builder = NewKey();
  std::string builder_pub = dir.Write("build-provenance.pub", builder.public_key().ToPem());
  std::string promote_pub;
  std::string config_path, config_text;
  std::map<std::string, std::string> env;
  SampleImage image = PushSampleImage(dev, "app", "sha-2b2e927", {{"linux/amd64"}, 1, 1000, 41});

  ProvenancePipeline() {
    const std::string password = "key-" + RandomPassword();
    auto pair = sigstore::GenerateCosignKeyPair(promote::Secret(password));
    REQUIRE(pair.ok());
    promote_pub = dir.Write("cosign.pub", pair->public_key_pem);
    env = {{"PROMOTE_SIGNING_KEY", dir.Write("cosign.key", pair->private_key_pem, 0600)},
           {"PROMOTE_KEY_PASSWORD", password},
           {"BUILD_KEY", builder_pub}};
    Write("        key: " + builder_pub + "\n");
  }

  void Write(const std::string& gate) {
    config_text =
        "version: 1\nsigning:\n  key: env:PROMOTE_SIGNING_KEY\n  password: env:PROMOTE_KEY_PASSWORD\n"
        "environments:\n"
        "  - {name: dev, registry: \"" +
        dev.host() +
        "\", repository: app}\n"
        "  - name: stage\n    registry: \"" +
        stage.host() +
        "\"\n    repository: app\n"
        "    stage-order: false\n    gates:\n      provenance:\n" +
        gate + "  - {name: prod, registry: \"" + prod.host() + "\", repository: app, sign: true}\n";
    config_path = dir.Write("promote.yaml", config_text);
  }

  CliRun Run(const std::string& branch = kRelease, const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"-o",       "json", "run",   "--config", config_path,
                                     "--branch", branch, "--sha", kSha};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunPromote(args, env);
  }
};

nlohmann::json Gate(const nlohmann::json& run, const std::string& name) {
  for (const auto& g : run["gates"]) {
    if (g["name"] == name) return g;
  }
  FAIL("no " << name << " gate in " << run.dump());
  return nullptr;
}

// The verification summaries at `registry`/app for `digest`, each verified with `pub_pem`.
std::vector<nlohmann::json> Summaries(const TestRegistry& registry, const std::string& digest,
                                      const std::string& pub_pem) {
  TestRegistryClient client(registry);
  auto d = promote::oci::Digest::Parse(digest);
  REQUIRE(d.ok());
  auto stored = sign::ListAttestations(client.get(), "app", *d, PushScope("app"));
  REQUIRE(stored.ok());
  auto pub = sigstore::PublicKey::FromPem(pub_pem, "promote key");
  REQUIRE(pub.ok());
  std::vector<nlohmann::json> out;
  for (const auto& s : *stored) {
    if (s.predicate_type != promotion::kVsaPredicateType) continue;
    auto verified = sigstore::VerifyAttestationEnvelope(s.envelope, *pub, digest);
    REQUIRE_MESSAGE(verified.ok(), verified.status().ToString());
    auto envelope = sigstore::ParseDsseEnvelope(s.envelope);
    REQUIRE(envelope.ok());
    out.push_back(nlohmann::json::parse(envelope->payload));
  }
  return out;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("the provenance gate table: missing, wrong subject, wrong commit, wrong key, builder mismatch, good; "
          "in .att and in Sigstore bundles") {
  enum Carrier { kNone, kAtt, kBundle };  // kBundle: a Sigstore bundle referrer, as cosign v3 attests
  struct Case {
    std::string name;
    Carrier carrier;
    std::string predicate_type;
    std::function<nlohmann::json()> predicate;
    bool stranger_key;
    bool other_subject;
    std::string builder_pattern;
    int exit_code;
    std::string detail_part;
  };
  const std::string v1(promotion::kSlsaProvenanceV1), v02(promotion::kSlsaProvenanceV02);
  auto good_v1 = [] { return SlsaV1Predicate(kSha); };
  auto wrong_commit = [] { return SlsaV1Predicate(kOtherSha); };
  const std::vector<Case> cases = {
      {"missing", kNone, "", nullptr, false, false, "", 3, "missing: "},
      {"wrong subject", kAtt, v1, good_v1, false, true, "", 3,
       "subject check failed: the provenance is about another image"},
      {"wrong commit", kAtt, v1, wrong_commit, false, false, "", 3,
       "commit check failed: the provenance was built from commit " + kOtherSha + ", not " + kSha},
      {"wrong key", kAtt, v02, [] { return SlsaV02Predicate(kSha); }, true, false, "", 3,
       "signature check failed"},
      {"builder id mismatch", kAtt, v1,
       [] { return SlsaV1Predicate(kSha, "https://github.com/actions/runner/self-hosted"); }, false, false,
       kGeneratorPattern, 3, "builder-id check failed: the builder 'https://github.com/actions/runner/self-hosted'"},
      {"good v0.2", kAtt, v02, [] { return SlsaV02Predicate(kSha); }, false, false, kGeneratorPattern, 0,
       "(https://slsa.dev/provenance/v0.2) signed with the gate's key shows commit"},
      {"good v1", kAtt, v1, good_v1, false, false, kGeneratorPattern, 0,
       "(https://slsa.dev/provenance/v1) signed with the gate's key shows commit"},
      {"good v1 in a bundle", kBundle, v1, good_v1, false, false, kGeneratorPattern, 0,
       "(https://slsa.dev/provenance/v1) signed with the gate's key shows commit"},
      {"wrong commit in a bundle", kBundle, v1, wrong_commit, false, false, "", 3, "commit check failed"},
      {"wrong key in a bundle", kBundle, v1, good_v1, true, false, "", 3, "signature check failed"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    ProvenancePipeline p;
    p.Write("        key: env:BUILD_KEY\n" +
            (c.builder_pattern.empty() ? "" : "        builder-id: \"" + c.builder_pattern + "\"\n"));
    sigstore::PrivateKey stranger = NewKey();
    const sigstore::PrivateKey& signer = c.stranger_key ? stranger : p.builder;
    if (c.carrier == kAtt) {
      SampleImage about =
          c.other_subject ? PushSampleImage(p.dev, "app", "other", {{"linux/amd64"}, 1, 1000, 42}) : p.image;
      AttachProvenance(p.dev, "app", p.image, about, c.predicate_type, c.predicate(), signer);
    } else if (c.carrier == kBundle) {
      TestRegistryClient client(p.dev);
      auto attached = sign::AttachStatementBundle(client.get(), "app", DescriptorOf(p.image), p.dev.host() + "/app",
                                                  c.predicate_type, c.predicate(), signer, "2026-01-02T03:04:05Z",
                                                  PushScope("app"));
      REQUIRE_MESSAGE(attached.ok(), attached.status().ToString());
    }
    auto run = p.Run();
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == c.exit_code);
    auto j = run.Json();
    auto gate = Gate(j, "provenance");
    CHECK(gate["detail"].get<std::string>().find(c.detail_part) != std::string::npos);
    if (c.exit_code == 3) {
      CHECK(j["status"] == "refused");
      CHECK(j["error"]["code"] == "gate_refused");
      CHECK(gate["verdict"] == "refused");
      CHECK(j["error"]["message"].get<std::string>().find("provenance gate refused 'stage'") !=
            std::string::npos);
      CHECK(Writes(p.stage) == 0);
    } else {
      CHECK(j["status"] == "promoted");
      CHECK(gate["verdict"] == "passed");
      CHECK(gate["data"]["commit"] == kSha);
      CHECK(gate["data"]["builder_id"] == kGeneratorBuilder);
    }
  }
}

TEST_CASE("a promotion writes a signed SLSA verification summary that names what the gates read") {
  ProvenancePipeline p;
  p.Write("        key: " + p.builder_pub + "\n        builder-id: \"" + kGeneratorPattern +
          "\"\n        build-level: 3\n");
  const std::string provenance_envelope = AttachProvenance(
      p.dev, "app", p.image, p.image, promotion::kSlsaProvenanceV1, SlsaV1Predicate(kSha), p.builder);
  // --dry-run judges the gate and writes nothing.
  auto dry = p.Run(kRelease, {"--dry-run"});
  INFO(dry.out << dry.err);
  REQUIRE(dry.exit_code == 0);
  CHECK(Gate(dry.Json(), "provenance")["verdict"] == "passed");
  CHECK(dry.Json()["verification_summary"].is_null());
  CHECK(Writes(p.stage) == 0);

  auto run = p.Run();
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  auto j = run.Json();
  const std::string att = p.stage.host() + "/app:sha256-" + p.image.digest.substr(7) + ".att";
  CHECK(j["verification_summary"]["reference"] == att);
  CHECK(j["verification_summary"]["predicate_type"] == "https://slsa.dev/verification_summary/v1");

  auto summaries = Summaries(p.stage, p.image.digest, ReadText(p.promote_pub));
  REQUIRE(summaries.size() == 1);
  const nlohmann::json& st = summaries[0];
  CheckVerificationSummaryAgainstSpec(st);
  const nlohmann::json& v = st["predicate"];
  CHECK(st["subject"][0]["name"] == p.stage.host() + "/app");
  CHECK(st["subject"][0]["digest"]["sha256"] == p.image.digest.substr(7));
  CHECK(v["verifier"]["id"] == "https://promote.dev/verifier");
  CHECK(v["resourceUri"] == p.stage.host() + "/app@" + p.image.digest);
  CHECK(v["policy"]["uri"] == p.config_path + "#environments/stage");
  CHECK(v["policy"]["digest"]["sha256"] == promote::Sha256Hex(p.config_text));
  CHECK(v["verificationResult"] == "PASSED");
  CHECK(v["verifiedLevels"] == nlohmann::json{"SLSA_BUILD_LEVEL_3"});
  CHECK(v["https://promote.dev/verification_summary/environment"] == "stage");
  // The provenance the gate accepted, by the digest of its envelope where it was read.
  CHECK(v["inputAttestations"] ==
        nlohmann::json{{{"uri", p.dev.host() + "/app:sha256-" + p.image.digest.substr(7) + ".att"},
                        {"digest", {{"sha256", provenance_envelope.substr(7)}}}}});

  // history shows the gate in the record.
  auto h = RunPromote({"-o", "json", "history", "--config", p.config_path, "--sha", kSha}, p.env);
  INFO(h.out << h.err);
  REQUIRE(h.exit_code == 0);
  bool shown = false;
  const nlohmann::json history = h.Json();
  for (const auto& e : history["environments"]) {
    if (e["env"] != "stage") continue;
    for (const auto& g : e["records"][0]["gates"])
      shown = shown || (g["name"] == "provenance" && g["verdict"] == "passed");
  }
  CHECK(shown);

  // Onward to prod (no provenance gate there, stage order on): prod's own summary claims no build
  // level and names stage's record as its input; stage's summary is carried along with the image.
  auto to_prod = p.Run("main");
  INFO(to_prod.out << to_prod.err);
  REQUIRE(to_prod.exit_code == 0);
  auto at_prod = Summaries(p.prod, p.image.digest, ReadText(p.promote_pub));
  REQUIRE(at_prod.size() == 2);
  std::map<std::string, nlohmann::json> by_resource;
  for (const auto& s : at_prod) by_resource[s["predicate"]["resourceUri"].get<std::string>()] = s;
  REQUIRE(by_resource.count(p.stage.host() + "/app@" + p.image.digest) == 1);
  CHECK(by_resource[p.stage.host() + "/app@" + p.image.digest] == st);  // byte-carried, still verifying
  const nlohmann::json& prod = by_resource[p.prod.host() + "/app@" + p.image.digest];
  CheckVerificationSummaryAgainstSpec(prod);
  CHECK(prod["predicate"]["verifiedLevels"] == nlohmann::json{"SLSA_BUILD_LEVEL_0"});
  REQUIRE(prod["predicate"]["inputAttestations"].size() == 1);
  CHECK(prod["predicate"]["inputAttestations"][0]["uri"] == att);
}

TEST_CASE(
    "through the agent the provenance key travels with the request, and agent.yaml can require the gate") {
  ProvenancePipeline p;
  AttachProvenance(p.dev, "app", p.image, p.image, promotion::kSlsaProvenanceV02, SlsaV02Predicate(kSha),
                   p.builder);
  const std::string password = "agent-" + RandomPassword();
  auto pair = sigstore::GenerateCosignKeyPair(promote::Secret(password));
  REQUIRE(pair.ok());
  const std::string agent_key = p.dir.Write("agent-cosign.key", pair->private_key_pem, 0600);
  const std::string policy_key = p.dir.Write("policy-build.pub", p.builder.public_key().ToPem());
  ::setenv("PROVENANCE_TEST_KEY_PASSWORD", password.c_str(), 1);
  TestAgent agent(
      "listen: [unix://{dir}/agent.sock]\n"
      "signing: {key: file:" +
      agent_key +
      ", password: env:PROVENANCE_TEST_KEY_PASSWORD}\n"
      "policy:\n  - environments:\n"
      "      - {name: stage, repositories: [\"" +
      p.stage.host() +
      "/*\"], branches: [\"release/*\"],\n"
      "         provenance: {keys: [" +
      policy_key + "], build-level: 2}}\n");
  ::unsetenv("PROVENANCE_TEST_KEY_PASSWORD");
  auto config = [&](const std::string& gates) {
    return p.dir.Write("agent-promote.yaml",
                       "version: 1\nenvironments:\n"
                       "  - {name: dev, registry: \"" +
                           p.dev.host() +
                           "\", repository: app}\n"
                           "  - name: stage\n    registry: \"" +
                           p.stage.host() +
                           "\"\n    repository: app\n"
                           "    stage-order: false\n" +
                           gates);
  };
  auto run = [&](const std::string& path) {
    return RunPromote({"--agent", agent.Address("unix://"), "-o", "json", "run", "-c", path, "--branch",
                       kRelease, "--sha", kSha},
                      {{"BUILD_KEY", p.builder_pub}});
  };

  auto without = run(config(""));
  INFO(without.out << without.err);
  CHECK(without.exit_code == 3);
  CHECK(without.Json()["error"]["message"].get<std::string>().find("the provenance gate must run") !=
        std::string::npos);
  CHECK(Writes(p.stage) == 0);

  // env:BUILD_KEY names the key where the CLI runs; the agent gets its content with the request.
  auto with = run(config("    gates:\n      provenance: {key: env:BUILD_KEY, build-level: 2}\n"));
  INFO(with.out << with.err);
  REQUIRE(with.exit_code == 0);
  CHECK(Gate(with.Json(), "provenance")["verdict"] == "passed");
  auto summaries = Summaries(p.stage, p.image.digest, std::string(pair->public_key_pem));
  REQUIRE(summaries.size() == 1);
  CHECK(summaries[0]["predicate"]["verifiedLevels"] == nlohmann::json{"SLSA_BUILD_LEVEL_2"});
}

TEST_CASE("bad provenance gate input is exit 2 naming it, and nothing is written") {
  ProvenancePipeline p;
  AttachProvenance(p.dev, "app", p.image, p.image, promotion::kSlsaProvenanceV1, SlsaV1Predicate(kSha),
                   p.builder);
  const std::string not_a_key =
      p.dir.Write("not-a-key.pub", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
  struct Case {
    std::string name;
    std::string gate;
    std::string message_part;
  } cases[] = {
      {"build level out of range", "        key: " + p.builder_pub + "\n        build-level: 4\n",
       "environment 'stage' provenance gate build-level must be between 1 and 3"},
      {"unknown key", "        key: " + p.builder_pub + "\n        builder: x\n", "unknown key 'builder'"},
      {"no key", "        builder-id: x\n", "environment 'stage' provenance gate: key is required"},
      {"a key file that is no public key", "        key: " + not_a_key + "\n", "not-a-key.pub"},
      {"a key file that is missing", "        key: " + p.dir.path() + "/missing.pub\n", "missing.pub"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    p.Write(c.gate);
    auto run = p.Run();
    INFO(run.out << run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.Json()["error"]["code"] == "invalid_argument");
    CHECK(run.Json()["error"]["message"].get<std::string>().find(c.message_part) != std::string::npos);
    CHECK(Writes(p.stage) == 0);
  }
}
