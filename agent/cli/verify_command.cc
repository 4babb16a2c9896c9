#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "copy/copy_report.h"
#include "sign/attestation_verifier.h"
#include "sign/docker_identity.h"
#include "sign/image_verifier.h"

namespace promote::cli {
namespace {

struct VerifyFlags {
  std::string ref;
  std::string key;
  std::string identity_policy = "match-repository";
  std::string identity;
  std::string attestation_type;
  RegistryFlags registry;
};

sign::IdentityPolicy PolicyFromFlag(const std::string& flag) {
  if (flag == "exact") return sign::IdentityPolicy::kExact;
  if (flag == "ignore") return sign::IdentityPolicy::kIgnore;
  return sign::IdentityPolicy::kMatchRepository;
}

nlohmann::json SignaturesJson(const sign::VerifyReport& report) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : report.signatures) {
    list.push_back({{"layer", s.layer},
                    {"media_type", s.media_type},
                    {"payload_digest", s.payload_digest.str()},
                    {"identity", s.identity.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.identity)},
                    {"verified", s.verified},
                    {"reason", s.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.reason)}});
  }
  return list;
}

nlohmann::json AttestationsJson(const sign::AttestationReport& report) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : report.attestations) {
    list.push_back({{"layer", a.layer},
                    {"predicate_type", a.predicate_type},
                    {"envelope_digest", a.envelope_digest.str()},
                    {"verified", a.verified},
                    {"reason", a.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.reason)}});
  }
  return list;
}

void PrintText(const std::string& digest, const sign::VerifyReport& report) {
  std::cout << digest << ": " << report.verified_count() << " of " << report.signatures.size()
            << " signatures verified (" << report.signature_reference << ")\n";
  for (const auto& s : report.signatures) {
    std::cout << "  [" << s.layer << "] " << (s.verified ? "verified" : "refused");
    if (!s.identity.empty()) std::cout << " identity " << s.identity;
    if (!s.reason.empty()) std::cout << ": " << s.reason;
    std::cout << "\n";
  }
}

}  // namespace

CommandRunner RegisterVerifyCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* cmd = app->add_subcommand(
      "verify", "Verify an image's cosign signatures: exit 0 when one verifies, 3 when none does");
  cmd->add_option("ref", flags->ref, "Image reference (tag or digest)")->required();
  cmd->add_option("--key", flags->key, "cosign public key file (PEM 'PUBLIC KEY')")->required();
  cmd->add_option("--identity-policy", flags->identity_policy,
                  "How the signed identity must match: the repository (default), exactly, or not at all")
      ->check(CLI::IsMember({"match-repository", "exact", "ignore"}))
      ->capture_default_str();
  cmd->add_option("--identity", flags->identity,
                  "Expected identity; default: the reference without its digest");
  cmd->add_option("--attestation-type", flags->attestation_type,
                  "Also require a verified attestation (.att) with this predicate type");
  flags->registry.Register(cmd, false);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return ReportFailure(global->format(), "verify", st); };
    auto ref = oci::ParseReference(flags->ref);
    if (!ref.ok()) return fail(ref.status());
    auto key = sign::ReadPublicKeyFile(flags->key);
    if (!key.ok()) return fail(key.status());
    sign::IdentityExpectation expected;
    expected.policy = PolicyFromFlag(flags->identity_policy);
    if (!flags->identity.empty()) {
      expected.identity = flags->identity;
    } else {
      oci::Reference without_digest = *ref;
      without_digest.digest.reset();
      expected.identity = without_digest.str();
    }
    if (expected.policy != sign::IdentityPolicy::kIgnore) {
      if (auto id = sign::ParseDockerIdentity(expected.identity); !id.ok()) {
        return fail(id.status().WithContext("--identity"));
      }
    }

    auto pool = flags->registry.BuildPool({*ref}, {});
    if (!pool.ok()) return fail(pool.status());
    auto client = (*pool)->Get(ref->registry);
    if (!client.ok()) return fail(client.status());
    registry::Scopes scopes = {registry::RepositoryScope(ref->repository, "pull")};
    auto head = (*client)->HeadManifest(ref->repository, ref->Identifier(), scopes);
    if (!head.ok()) return fail(head.status());
    if (!*head) return fail(NotFound("image " + ref->str() + " does not exist"));
    const oci::Digest digest = (*head)->digest;
    if (ref->digest && *ref->digest != digest) {
      return fail(DataLoss("reference " + ref->str() + " resolved to " + digest.str()));
    }

    auto report = sign::VerifyImage(**client, ref->repository, digest, *key, expected, scopes);
    if (!report.ok()) return fail(report.status());
    Status verdict = report->ToStatus();
    nlohmann::json body = {{"reference", ref->str()},
                           {"digest", digest.str()},
                           {"identity_policy", flags->identity_policy},
                           {"identity", expected.identity},
                           {"signature", report->signature_reference},
                           {"verified", report->verified_count()},
                           {"signatures", SignaturesJson(*report)}};
    if (!flags->attestation_type.empty()) {
      auto attestations = sign::VerifyImageAttestations(**client, ref->repository, digest, *key,
                                                        flags->attestation_type, scopes);
      if (!attestations.ok()) return fail(attestations.status());
      body["attestation"] = attestations->attestation_reference;
      body["attestations"] = AttestationsJson(*attestations);
      if (verdict.ok()) verdict = attestations->ToStatus();
    }
    if (global->format() == OutputFormat::kJson) {
      PrintJson(copy::ResultEnvelope("verify", verdict, body));
    } else {
      PrintText(digest.str(), *report);
    }
    if (!verdict.ok()) std::cerr << "promote: verify: " << verdict.message() << "\n";
    return ExitCodeFor(verdict.code());
  };
}

}  // namespace promote::cli
