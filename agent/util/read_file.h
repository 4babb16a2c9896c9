// Reading a small file whole (configs, keys, certificates, tokens), bounded, with errors that
// name what the file is for.
#pragma once

#include <cstddef>
#include <string>

#include "util/secret.h"
#include "util/status.h"

namespace promote {

// The contents of `path`; kInvalidArgument "<what> <path>: cannot be read" or "…: larger than N
// bytes" otherwise.
Result<std::string> ReadSmallFile(const std::string& path, const std::string& what, size_t max_bytes = 4u << 20);

// The first line of a secret file (password, passphrase, token), without its line ending — as
// docker, skopeo and cosign read password files. kInvalidArgument "<what> <path>: cannot be read".
Result<Secret> ReadSecretLine(const std::string& path, const std::string& what);

}  // namespace promote
