#include <iostream>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "cli/signing_key.h"
#include "copy/copy_report.h"
#include "sign/docker_identity.h"
#include "sign/image_signer.h"

namespace promote::cli {
namespace {

struct SignFlags {
  std::string ref;
  std::string key;
  std::string password_file;
  std::string identity;
  std::vector<std::string> annotations;
  bool recursive = false;
  RegistryFlags registry;
};

Result<std::map<std::string, std::string>> ParseAnnotations(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("--annotation '" + item + "' is not KEY=VALUE");
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

nlohmann::json OutcomeJson(const oci::Descriptor& d, const sign::SignOutcome& o) {
  return {{"digest", d.digest.str()},
          {"media_type", d.media_type},
          {"signature", o.signature_reference},
          {"payload_digest", o.payload_digest.str()},
          {"signature_manifest", o.signature_manifest.str()},
          {"added", o.added},
          {"signatures", o.signatures}};
}

}  // namespace

CommandRunner RegisterSignCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<SignFlags>();
  CLI::App* cmd = app->add_subcommand(
      "sign", "Sign an image by digest, cosign-compatibly (appends to its sha256-<hex>.sig tag)");
  cmd->add_option("ref", flags->ref, "Image reference (tag or digest)")->required();
  cmd->add_option("--key", flags->key,
                  "cosign private key file (passphrase: --password-file, PROMOTE_KEY_PASSWORD "
                  "or COSIGN_PASSWORD)")
      ->required();
  cmd->add_option("--password-file", flags->password_file, "File whose first line is the key passphrase");
  cmd->add_option("--identity", flags->identity,
                  "Identity (docker-reference) to claim; default: registry/repository, as cosign");
  cmd->add_option("-a,--annotation", flags->annotations, "KEY=VALUE signed into the payload (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--recursive", flags->recursive, "For an index, also sign each child manifest");
  flags->registry.Register(cmd, false);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return ReportFailure(global->format(), "sign", st); };
    // Every local input is checked before the registry is contacted: bad input writes nothing.
    auto ref = oci::ParseReference(flags->ref);
    if (!ref.ok()) return fail(ref.status());
    auto annotations = ParseAnnotations(flags->annotations);
    if (!annotations.ok()) return fail(annotations.status());
    sign::SignOptions options;
    options.identity = flags->identity.empty() ? sign::DefaultSigningIdentity(*ref) : flags->identity;
    options.annotations = std::move(*annotations);
    if (auto id = sign::ParseDockerIdentity(options.identity); !id.ok()) {
      return fail(id.status().WithContext("--identity"));
    }
    auto key = LoadSigningKey(flags->key, flags->password_file);
    if (!key.ok()) return fail(key.status());

    auto pool = flags->registry.BuildPool({*ref}, {});
    if (!pool.ok()) return fail(pool.status());
    auto client = (*pool)->Get(ref->registry);
    if (!client.ok()) return fail(client.status());
    registry::Scopes scopes = {registry::RepositoryScope(ref->repository, "pull,push")};
    auto manifest = (*client)->GetManifest(ref->repository, ref->Identifier(), scopes);
    if (!manifest.ok()) return fail(manifest.status());
    if (ref->digest && *ref->digest != manifest->digest) {
      return fail(DataLoss("reference " + ref->str() + " resolved to " + manifest->digest.str()));
    }

    std::vector<oci::Descriptor> subjects;
    subjects.push_back(
        {manifest->media_type, manifest->digest, static_cast<int64_t>(manifest->bytes.size()), {}, {}});
    if (flags->recursive) {
      for (const auto& child : manifest->children) subjects.push_back(child);
    }
    nlohmann::json signed_list = nlohmann::json::array();
    for (const auto& subject : subjects) {
      auto outcome = sign::SignImage(**client, ref->repository, subject, *key, options, scopes);
      if (!outcome.ok()) return fail(outcome.status().WithContext("signing " + subject.digest.str()));
      signed_list.push_back(OutcomeJson(subject, *outcome));
      if (global->format() == OutputFormat::kText) {
        std::cout << subject.digest.str() << (outcome->added ? " signed: " : " already signed by this key: ")
                  << outcome->signature_reference << " (" << outcome->signatures << " signature"
                  << (outcome->signatures == 1 ? "" : "s") << ")\n";
      }
    }
    if (global->format() == OutputFormat::kJson) {
      PrintJson(copy::ResultEnvelope("sign", OkStatus(),
                                     {{"reference", ref->str()},
                                      {"digest", manifest->digest.str()},
                                      {"identity", options.identity},
                                      {"signed", signed_list}}));
    }
    return 0;
  };
}

}  // namespace promote::cli
