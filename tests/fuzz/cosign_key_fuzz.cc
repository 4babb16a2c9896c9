// Key files (sigstore/pem.h, cosign_key.h, ec_key.h): the input as PEM text, as a cosign private key
// (passphrase "hello", the fixtures' passphrase), as a public key PEM, and as raw SPKI and PKCS#8
// DER. Invariants: a decoded PEM block re-encodes and decodes to the same block; accepted keys
// re-serialise to DER that parses again.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "sigstore/cosign_key.h"
#include "sigstore/ec_key.h"
#include "sigstore/pem.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace promote::sigstore;
  static const promote::Secret kPassphrase("hello");

  auto block = DecodePem(text, "fuzz");
  if (block.ok()) {
    FUZZ_CHECK(!block->label.empty());
    auto again = DecodePem(EncodePem(block->label, block->bytes), "re-encoded");
    FUZZ_CHECK(again.ok() && again->label == block->label && again->bytes == block->bytes);
  } else {
    FUZZ_CHECK(block.status().message().rfind("fuzz: ", 0) == 0);
  }

  if (auto pub = PublicKey::FromPem(text, "fuzz"); pub.ok()) {
    FUZZ_CHECK(PublicKey::FromPem(pub->ToPem(), "ToPem").ok());
  }
  if (auto pub = PublicKey::FromSpkiDer(text, "fuzz"); pub.ok()) {
    FUZZ_CHECK(PublicKey::FromSpkiDer(pub->SpkiDer(), "SpkiDer").ok());
  }
  if (auto key = PrivateKey::FromPkcs8Der(text, "fuzz"); key.ok()) {
    auto der = key->Pkcs8Der();
    FUZZ_CHECK(der.ok() && PrivateKey::FromPkcs8Der(der->reveal(), "Pkcs8Der").ok());
  }
  if (auto key = ParseCosignPrivateKey(text, kPassphrase, "fuzz"); key.ok()) {
    FUZZ_CHECK(!key->public_key().SpkiDer().empty());
  }
  return 0;
}
