// Bounded input: reading a small file whole (configs, keys, certificates, tokens) and checking an
// input already in memory against a limit, so that a wrong or hostile file cannot exhaust memory;
// errors name what the input is for.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/secret.h"
#include "util/status.h"

namespace promote {

// The contents of `path`, read without going past `max_bytes` (so pipes and growing files are
// bounded too); the read buffers are wiped, as the file may hold a plain private key.
// kInvalidArgument "<what> <path>: cannot be read (<reason>)", "…: larger than N bytes" or
// "…: read error" otherwise.
Result<std::string> ReadSmallFile(const std::string& path, const std::string& what, size_t max_bytes = 4u << 20);

// kInvalidArgument "<what>: is N bytes, more than the limit of M bytes" when input.size() >
// max_bytes, OK otherwise.
Status CheckInputSize(std::string_view input, size_t max_bytes, std::string_view what);

// The first line of a secret file (password, passphrase, token), without its line ending — as
// docker, skopeo and cosign read password files. kInvalidArgument "<what> <path>: cannot be read".
Result<Secret> ReadSecretLine(const std::string& path, const std::string& what);

}  // namespace promote
