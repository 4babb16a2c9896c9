#include <memory>

#include "cli/commands.h"
#include "cli/dispatch.h"
#include "cli/registry_flags.h"
#include "cli/signing_key.h"
#include "sigstore/signature_format.h"

namespace promote::cli {
namespace {

struct SignFlags {
  std::string ref;
  std::string key;
  std::string password_file;
  std::string identity;
  std::vector<std::string> annotations;
  bool recursive = false;
  std::string format = "cosign";
  RegistryFlags registry;
};

struct VerifyFlags {
  std::string ref;
  std::string key;
  std::string identity_policy = "match-repository";
  std::string identity;
  std::string attestation_type;
  std::string trusted_root;
  RegistryFlags registry;
};

Status AddAnnotations(const std::vector<std::string>& items, v1::SignRequest* request) {
  for (const auto& item : items) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return InvalidArgument("--annotation '" + item + "' is not KEY=VALUE");
    (*request->mutable_annotations())[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return OkStatus();
}

}  // namespace

CommandRunner RegisterSignCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<SignFlags>();
  CLI::App* cmd = app->add_subcommand(
      "sign", "Sign an image by digest, cosign-compatibly (its sha256-<hex>.sig tag, or a bundle referrer with --format bundle)");
  cmd->add_option("ref", flags->ref, "Image reference (tag or digest)")->required();
  cmd->add_option("--key", flags->key,
                  "cosign private key file (passphrase: --password-file, PROMOTE_KEY_PASSWORD or COSIGN_PASSWORD); "
                  "with --agent, omit it to sign with the agent's key");
  cmd->add_option("--password-file", flags->password_file, "File whose first line is the key passphrase");
  cmd->add_option("--identity", flags->identity,
                  "Identity (docker-reference) to claim; default: registry/repository, as cosign");
  cmd->add_option("-a,--annotation", flags->annotations, "KEY=VALUE signed into the payload (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--recursive", flags->recursive, "For an index, also sign each child manifest");
  cmd->add_option("--format", flags->format,
                  "cosign: append to the sha256-<hex>.sig tag; bundle: attach a Sigstore bundle as an OCI 1.1 "
                  "referrer, as cosign v3 does")
      ->capture_default_str();
  flags->registry.Register(cmd, RegistryFlags::CredentialFlags::kSource);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return PrintFailure(*global, "sign", st); };
    v1::SignRequest request;
    request.set_reference(flags->ref);
    if (auto format = sigstore::ParseSignatureFormat(flags->format, "--format"); !format.ok())
      return fail(format.status());
    request.set_format(flags->format);
    request.set_identity(flags->identity);
    request.set_recursive(flags->recursive);
    if (Status st = AddAnnotations(flags->annotations, &request); !st.ok()) return fail(st);
    if (flags->key.empty() && global->agent.empty()) return fail(InvalidArgument("--key cosign.key is required"));
    if (!flags->key.empty()) {
      Status read = ReadSigningKey(flags->key, flags->password_file, request.mutable_key());
      if (!read.ok()) return fail(read);
    }
    auto access = flags->registry.Access(HostOf(flags->ref), {});
    if (!access.ok()) return fail(access.status());
    *request.mutable_access() = std::move(*access);
    return Dispatch(*global, "sign", request, &service::PromoteService::Sign, &flags->registry,
                    &v1::Promote::Stub::Sign);
  };
}

CommandRunner RegisterVerifyCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* cmd = app->add_subcommand(
      "verify",
      "Verify an image's signatures, cosign .sig or Sigstore bundle referrers: exit 0 when one verifies, 3 when none does");
  cmd->add_option("ref", flags->ref, "Image reference (tag or digest)")->required();
  cmd->add_option("--key", flags->key, "cosign public key file (PEM 'PUBLIC KEY')")->required();
  cmd->add_option("--identity-policy", flags->identity_policy,
                  "How the signed identity must match: the repository (default), exactly, or not at all")
      ->check(CLI::IsMember({"match-repository", "exact", "ignore"}))
      ->capture_default_str();
  cmd->add_option("--identity", flags->identity, "Expected identity; default: the reference without its digest");
  cmd->add_option("--attestation-type", flags->attestation_type,
                  "Also require a verified attestation (.att) with this predicate type");
  cmd->add_option("--trusted-root", flags->trusted_root,
                  "Sigstore trusted_root.json: also check bundles' transparency-log entries and RFC 3161 "
                  "timestamps (default: key-only)");
  flags->registry.Register(cmd, RegistryFlags::CredentialFlags::kSource);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return PrintFailure(*global, "verify", st); };
    v1::VerifyRequest request;
    request.set_reference(flags->ref);
    auto key = ReadRequestFile(flags->key, "public key");
    if (!key.ok()) return fail(key.status());
    *request.mutable_public_key() = std::move(*key);
    request.set_identity_policy(flags->identity_policy);
    request.set_identity(flags->identity);
    request.set_attestation_type(flags->attestation_type);
    if (!flags->trusted_root.empty()) {
      auto root = ReadRequestFile(flags->trusted_root, "trusted root");
      if (!root.ok()) return fail(root.status());
      *request.mutable_trusted_root() = std::move(*root);
    }
    auto access = flags->registry.Access(HostOf(flags->ref), {});
    if (!access.ok()) return fail(access.status());
    *request.mutable_access() = std::move(*access);
    return Dispatch(*global, "verify", request, &service::PromoteService::Verify, &flags->registry,
                    &v1::Promote::Stub::Verify);
  };
}

}  // namespace promote::cli
