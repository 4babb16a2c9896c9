#include "cli/signing_key.h"

#include <cstdlib>

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

}  // namespace promote::cli
