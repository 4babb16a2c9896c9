// The signing key of `promote sign` and `keygen`: the key file and where its passphrase comes
// from. The passphrase is never a flag value (it would show in process lists and shell
// history): --password-file F (its first line, as skopeo reads --sign-passphrase-file) when
// given, else PROMOTE_KEY_PASSWORD, else COSIGN_PASSWORD (so pipelines set up for cosign work
// unchanged). An empty value is a valid passphrase, as in cosign.
#pragma once

#include <optional>
#include <string>

#include "promote/v1/promote.pb.h"
#include "util/secret.h"
#include "util/status.h"

namespace promote::cli {

// The passphrase, or nullopt when none of the sources is set. kInvalidArgument when the file
// cannot be read.
Result<std::optional<Secret>> FindKeyPassphrase(const std::string& password_file);

// As FindKeyPassphrase, but a missing passphrase is kInvalidArgument saying how to provide one.
Result<Secret> RequireKeyPassphrase(const std::string& password_file);

// Reads the private key file at `key_path` and its passphrase (as FindKeyPassphrase) into the
// request message `out`. kInvalidArgument naming the file when it cannot be read.
Status ReadSigningKey(const std::string& key_path, const std::string& password_file, ::promote::v1::SigningKey* out);

}  // namespace promote::cli
