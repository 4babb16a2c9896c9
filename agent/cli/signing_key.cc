#include "cli/signing_key.h"

#include <cstdlib>

#include "cli/dispatch.h"
#include "util/read_file.h"

namespace promote::cli {

Result<std::optional<Secret>> FindKeyPassphrase(const std::string& password_file) {
  if (!password_file.empty()) {
    PROMOTE_ASSIGN_OR_RETURN(Secret secret, ReadSecretLine(password_file, "key password file"));
    return std::optional<Secret>(std::move(secret));
  }
  for (const char* name : {"PROMOTE_KEY_PASSWORD", "COSIGN_PASSWORD"}) {
    if (const char* value = std::getenv(name)) return std::optional<Secret>(Secret(value));
  }
  return std::optional<Secret>();
}

Result<Secret> RequireKeyPassphrase(const std::string& password_file) {
  PROMOTE_ASSIGN_OR_RETURN(std::optional<Secret> passphrase, FindKeyPassphrase(password_file));
  if (!passphrase) {
    return InvalidArgument(
        "no key passphrase: set PROMOTE_KEY_PASSWORD (or COSIGN_PASSWORD) or pass --password-file FILE");
  }
  return std::move(*passphrase);
}

Status ReadSigningKey(const std::string& key_path, const std::string& password_file, ::promote::v1::SigningKey* out) {
  auto key = ReadRequestFile(key_path, "cosign key");
  if (!key.ok()) return key.status();
  auto passphrase = FindKeyPassphrase(password_file);
  if (!passphrase.ok()) return passphrase.status();
  *out->mutable_key() = std::move(*key);
  if (*passphrase) {
    out->set_passphrase(std::string((*passphrase)->reveal()));
    out->set_has_passphrase(true);
  }
  return OkStatus();
}

}  // namespace promote::cli
