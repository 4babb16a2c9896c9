// PEM armour (RFC 7468) as cosign writes it: one block, no headers, base64 body wrapped at
// 64 columns. Decoding is strict so that a damaged key file fails here with a clear message.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace promote::sigstore {

// One decoded PEM block. The bytes may be a plain private key, so they are wiped on destruction.
struct PemBlock {
  std::string label;  // e.g. "PUBLIC KEY", "ENCRYPTED SIGSTORE PRIVATE KEY"
  std::string bytes;  // the base64-decoded body

  PemBlock() = default;
  PemBlock(const PemBlock&) = delete;
  PemBlock& operator=(const PemBlock&) = delete;
  PemBlock(PemBlock&&) = default;
  PemBlock& operator=(PemBlock&&) = default;
  ~PemBlock();
};

// Decodes the single PEM block in `text`. Leading and trailing whitespace is allowed; anything
// else outside the block (a second block, stray text), headers, a missing END line, an END label
// that does not match BEGIN, or a body that is not strict base64 are kInvalidArgument errors whose
// message starts with `source` (a path or a description of the input).
Result<PemBlock> DecodePem(std::string_view text, std::string_view source);

// Encodes `bytes` as a PEM block with `label`: 64-column base64 lines, trailing newline
// (byte-identical to Go's pem.EncodeToMemory without headers).
std::string EncodePem(std::string_view label, std::string_view bytes);

}  // namespace promote::sigstore
