// Signatures over files (release tarballs, checksum lists), the way `cosign sign-blob` makes them
// with a key: ECDSA P-256 over SHA-256 of the file's bytes, the DER signature base64-encoded in a
// file of its own. `cosign verify-blob --key K --signature F FILE` and
// `openssl dgst -sha256 -verify K.pem -signature <(base64 -d F) FILE` accept them.
#pragma once

#include <istream>
#include <string>

#include "sigstore/ec_key.h"
#include "util/status.h"

namespace promote::sigstore {

struct BlobSignature {
  std::string sha256_hex;  // of the bytes signed
  std::string base64;      // the DER signature, base64 (standard alphabet, padded), no newline
};

// Reads `in` to its end in chunks (a file of any size, never held whole) and signs it. `what`
// names the input in errors.
Result<BlobSignature> SignBlob(const PrivateKey& key, std::istream& in, const std::string& what);

// Verifies `signature_text` (base64 of a DER signature, surrounding whitespace ignored, as cosign
// writes it) over the bytes of `in`. Returns the SHA-256 of the bytes read. kInvalidArgument when
// the signature is not base64; kGateRefused when it does not verify.
Result<std::string> VerifyBlob(const PublicKey& key, std::istream& in, const std::string& what,
                               std::string_view signature_text);

}  // namespace promote::sigstore
