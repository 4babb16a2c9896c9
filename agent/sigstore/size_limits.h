// Size limits for the untrusted documents the signature formats read (key files, payloads,
// envelopes), so a wrong or hostile input cannot exhaust memory. The checks themselves are
// util/read_file.h's ReadSmallFile and CheckInputSize.
#pragma once

#include <cstddef>

namespace promote::sigstore {

// A P-256 key file is under 1 KiB; anything past this is not a key.
inline constexpr size_t kMaxKeyFileBytes = 64 * 1024;
// A simple-signing payload is a few hundred bytes plus the optional annotations.
inline constexpr size_t kMaxSimpleSigningPayloadBytes = 64 * 1024;
// DSSE envelopes carry whole predicates (SBOMs, provenance), which can be megabytes.
inline constexpr size_t kMaxEnvelopeBytes = 16 * 1024 * 1024;

}  // namespace promote::sigstore
