// Size limits for the untrusted documents this module reads (key files, payloads, envelopes),
// and a file reader that enforces them, so a wrong or hostile file cannot exhaust memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/status.h"

namespace promote::sign {

// A P-256 key file is under 1 KiB; anything past this is not a key.
inline constexpr size_t kMaxKeyFileBytes = 64 * 1024;
// A simple-signing payload is a few hundred bytes plus the optional annotations.
inline constexpr size_t kMaxSimpleSigningPayloadBytes = 64 * 1024;
// DSSE envelopes carry whole predicates (SBOMs, provenance), which can be megabytes.
inline constexpr size_t kMaxEnvelopeBytes = 16 * 1024 * 1024;

// Returns kInvalidArgument "<what>: is N bytes, more than the limit of M bytes" when
// input.size() > max_bytes, OK otherwise.
Status CheckInputSize(std::string_view input, size_t max_bytes, std::string_view what);

// Reads the whole file at `path`. Fails with kInvalidArgument naming the path when it cannot be
// opened or is larger than max_bytes (the file is not read past the limit).
Result<std::string> ReadBoundedFile(const std::string& path, size_t max_bytes);

}  // namespace promote::sign
