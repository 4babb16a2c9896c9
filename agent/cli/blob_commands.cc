// promote sign-blob / verify-blob: signatures over files (release tarballs, SHA256SUMS), made and
// checked where the command runs, with cosign key files; the format is cosign sign-blob's
// (sign/blob_signature.h), so cosign verify-blob and openssl check them too. Files are not images:
// nothing here talks to a registry or an agent.
#include <fstream>
#include <memory>

#include "cli/commands.h"
#include "cli/dispatch.h"
#include "cli/signing_key.h"
#include "sigstore/blob_signature.h"
#include "sigstore/cosign_key.h"
#include "sigstore/ec_key.h"
#include "util/read_file.h"

namespace promote::cli {
namespace {

struct SignBlobFlags {
  std::string file;
  std::string key;
  std::string password_file;
  std::string output_signature;
};

struct VerifyBlobFlags {
  std::string file;
  std::string key;
  std::string signature;
};

constexpr size_t kMaxSignatureFileBytes = 4096;

Status RefuseAgent(const GlobalFlags& global, const std::string& command) {
  if (global.agent.empty()) return OkStatus();
  return InvalidArgument(command + " works on local files with a local key; it does not go through --agent");
}

Result<nlohmann::json> SignBlobFile(const SignBlobFlags& flags) {
  std::ifstream in(flags.file, std::ios::binary);
  if (!in) return InvalidArgument(flags.file + ": cannot be read");
  PROMOTE_ASSIGN_OR_RETURN(Secret passphrase, RequireKeyPassphrase(flags.password_file));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::PrivateKey key,
                           sigstore::ReadCosignPrivateKeyFile(flags.key, passphrase));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::BlobSignature signature, sigstore::SignBlob(key, in, flags.file));
  if (!flags.output_signature.empty()) {
    std::ofstream out(flags.output_signature, std::ios::binary | std::ios::trunc);
    out << signature.base64;  // no newline: byte-for-byte what cosign sign-blob writes
    if (!out.flush()) return InvalidArgument(flags.output_signature + ": cannot be written");
  }
  nlohmann::json body = {{"file", flags.file}, {"sha256", signature.sha256_hex}, {"signature", signature.base64}};
  if (!flags.output_signature.empty()) body["signature_file"] = flags.output_signature;
  return body;
}

Result<nlohmann::json> VerifyBlobFile(const VerifyBlobFlags& flags) {
  PROMOTE_ASSIGN_OR_RETURN(std::string signature,
                           ReadSmallFile(flags.signature, "signature file", kMaxSignatureFileBytes));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::PublicKey key, sigstore::ReadPublicKeyFile(flags.key));
  std::ifstream in(flags.file, std::ios::binary);
  if (!in) return InvalidArgument(flags.file + ": cannot be read");
  PROMOTE_ASSIGN_OR_RETURN(std::string sha256_hex, sigstore::VerifyBlob(key, in, flags.file, signature));
  return nlohmann::json{{"file", flags.file}, {"sha256", sha256_hex}, {"verified", true}};
}

}  // namespace

CommandRunner RegisterSignBlobCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<SignBlobFlags>();
  CLI::App* cmd = app->add_subcommand(
      "sign-blob", "Sign a file with a cosign key, as cosign sign-blob does (base64 ECDSA signature)");
  cmd->add_option("file", flags->file, "The file to sign")->required();
  cmd->add_option("--key", flags->key,
                  "cosign private key file (passphrase: --password-file, PROMOTE_KEY_PASSWORD or COSIGN_PASSWORD)")
      ->required();
  cmd->add_option("--password-file", flags->password_file, "File whose first line is the key passphrase");
  cmd->add_option("--output-signature", flags->output_signature, "Write the base64 signature to this file");
  return [flags, global]() -> int {
    Status refused = RefuseAgent(*global, "sign-blob");
    Result<nlohmann::json> body = refused.ok() ? SignBlobFile(*flags) : Result<nlohmann::json>(refused);
    std::string text = body.ok() ? (*body)["signature"].get<std::string>() + "\n" : "";
    return PrintLocalResult(*global, "sign-blob", body.status(), body.ok() ? *body : nlohmann::json(), text);
  };
}

CommandRunner RegisterVerifyBlobCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<VerifyBlobFlags>();
  CLI::App* cmd = app->add_subcommand(
      "verify-blob", "Verify a file's signature (cosign sign-blob's or promote sign-blob's) with a public key");
  cmd->add_option("file", flags->file, "The signed file")->required();
  cmd->add_option("--key", flags->key, "Public key file (PEM)")->required();
  cmd->add_option("--signature", flags->signature, "The signature file (base64)")->required();
  return [flags, global]() -> int {
    Status refused = RefuseAgent(*global, "verify-blob");
    Result<nlohmann::json> body = refused.ok() ? VerifyBlobFile(*flags) : Result<nlohmann::json>(refused);
    return PrintLocalResult(*global, "verify-blob", body.status(), body.ok() ? *body : nlohmann::json(),
                            "Verified OK: " + flags->file + "\n");
  };
}

}  // namespace promote::cli
