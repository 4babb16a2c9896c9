// ECDSA P-256 with SHA-256 over raw bytes, with ASN.1 DER signatures: the signature scheme of
// cosign's key-based signing (Go's ecdsa.SignASN1 / VerifyASN1 over sha256(message)).
#pragma once

#include <string>
#include <string_view>

#include "sigstore/ec_key.h"
#include "util/status.h"

namespace promote::sigstore {

// Signs SHA-256(message) and returns the DER SEQUENCE{r, s} (70-72 bytes). Fails only on
// OpenSSL errors (kInternal).
Result<std::string> SignEcdsaSha256(const PrivateKey& key, std::string_view message);

// Checks a DER signature over SHA-256(message). A signature that does not verify, or is not
// canonical DER, is kGateRefused "signature does not verify with the given public key".
Status VerifyEcdsaSha256(const PublicKey& key, std::string_view message, std::string_view der_signature);

}  // namespace promote::sigstore
