#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "cli/commands.h"
#include "cli/dispatch.h"
#include "cli/signing_key.h"
#include "sigstore/cosign_key.h"
#include "sigstore/ec_key.h"

namespace promote::cli {
namespace {

struct KeygenFlags {
  std::string output_key = "cosign.key";
  std::string output_pub = "cosign.pub";
  std::string password_file;
  bool legacy = false;
  bool force = false;
};

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Writes `text` to `path` with `mode`; without `force` the file must not exist (O_EXCL, so a
// file appearing meanwhile is not overwritten either).
Status WriteKeyFile(const std::string& path, std::string_view text, mode_t mode, bool force) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) return InvalidArgument(path + ": cannot be written: " + std::strerror(errno));
  if (force) ::fchmod(fd, mode);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return InvalidArgument(path + ": write failed: " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return InvalidArgument(path + ": write failed: " + std::strerror(errno));
  return OkStatus();
}

Status Generate(const KeygenFlags& flags) {
  if (flags.output_key == flags.output_pub) {
    return InvalidArgument("--output-key and --output-pub name the same file: " + flags.output_key);
  }
  if (!flags.force) {
    for (const auto& path : {flags.output_key, flags.output_pub}) {
      if (Exists(path)) return InvalidArgument(path + " already exists; pass --force to overwrite it");
    }
  }
  PROMOTE_ASSIGN_OR_RETURN(Secret passphrase, RequireKeyPassphrase(flags.password_file));
  PROMOTE_ASSIGN_OR_RETURN(sigstore::PrivateKey key, sigstore::PrivateKey::Generate());
  PROMOTE_ASSIGN_OR_RETURN(std::string encrypted, sigstore::EncryptCosignPrivateKey(
                                                      key, passphrase,
                                                      flags.legacy ? sigstore::CosignKeyFormat::kLegacy
                                                                   : sigstore::CosignKeyFormat::kCurrent));
  Secret private_pem(std::move(encrypted));  // encrypted, but still wiped: it is key material
  PROMOTE_RETURN_IF_ERROR(WriteKeyFile(flags.output_key, private_pem.reveal(), 0600, flags.force));
  Status pub = WriteKeyFile(flags.output_pub, key.public_key().ToPem(), 0644, flags.force);
  if (!pub.ok()) {
    ::unlink(flags.output_key.c_str());  // half a key pair is no use
    return pub;
  }
  return OkStatus();
}

}  // namespace

CommandRunner RegisterKeygenCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<KeygenFlags>();
  CLI::App* cmd = app->add_subcommand(
      "keygen",
      "Write a cosign key pair (encrypted private key and PEM public key); passphrase from --password-file, "
      "PROMOTE_KEY_PASSWORD or COSIGN_PASSWORD");
  cmd->add_option("--output-key", flags->output_key, "Private key file to write")->capture_default_str();
  cmd->add_option("--output-pub", flags->output_pub, "Public key file to write")->capture_default_str();
  cmd->add_option("--password-file", flags->password_file, "File whose first line is the key passphrase");
  cmd->add_flag(
      "--legacy", flags->legacy,
      "Write the older 'ENCRYPTED COSIGN PRIVATE KEY' form (scrypt N=32768) that skopeo 1.9 and cosign "
      "before 2.0.1 read");
  cmd->add_flag("--force", flags->force, "Overwrite existing key files");

  return [flags, global]() -> int {
    Status st = Generate(*flags);
    nlohmann::json body = {{"private_key", flags->output_key},
                           {"public_key", flags->output_pub},
                           {"format", flags->legacy ? "legacy" : "current"},
                           {"pem_label", std::string(flags->legacy ? sigstore::kCosignKeyPemLabel
                                                                   : sigstore::kSigstoreKeyPemLabel)}};
    return PrintLocalResult(*global, "keygen", st, body,
                            "private key written to " + flags->output_key + "\npublic key written to " +
                                flags->output_pub + "\n");
  };
}

}  // namespace promote::cli
