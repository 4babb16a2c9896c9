#include "sigstore/cosign_key.h"

#include <sodium.h>

#include <array>
#include <cstdint>

#include "sigstore/pem.h"
#include "sigstore/size_limits.h"
#include "util/base64.h"
#include "util/read_file.h"
#include "util/strict_json.h"
#include "util/unsigned_bytes.h"

namespace promote::sigstore {
namespace {

using json = nlohmann::json;

constexpr size_t kSaltBytes = 32;
constexpr size_t kKeyBytes = crypto_secretbox_KEYBYTES;      // 32
constexpr size_t kNonceBytes = crypto_secretbox_NONCEBYTES;  // 24
constexpr size_t kTagBytes = crypto_secretbox_MACBYTES;      // 16
static_assert(kKeyBytes == 32 && kNonceBytes == 24 && kTagBytes == 16);

struct ScryptParams {
  uint64_t n;
  uint32_t r;
  uint32_t p;
};
// The three parameter sets cosign and go-securesystemslib accept (legacy, standard, OWASP).
constexpr ScryptParams kAcceptedScrypt[] = {{32768, 8, 1}, {65536, 8, 1}, {131072, 8, 1}};
constexpr ScryptParams kLegacyScrypt = {32768, 8, 1};
constexpr ScryptParams kCurrentScrypt = {65536, 8, 1};

// A secretbox key that is wiped when it goes out of scope, whatever the exit path.
class SecretboxKey {
 public:
  SecretboxKey() = default;
  SecretboxKey(const SecretboxKey&) = delete;
  SecretboxKey& operator=(const SecretboxKey&) = delete;
  ~SecretboxKey() { sodium_memzero(bytes_.data(), bytes_.size()); }
  unsigned char* data() { return bytes_.data(); }

 private:
  std::array<unsigned char, kKeyBytes> bytes_{};
};

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}


Status DeriveKey(const Secret& passphrase, std::string_view salt, const ScryptParams& params,
                 SecretboxKey& key) {
  const std::string_view pw = passphrase.reveal();
  if (crypto_pwhash_scryptsalsa208sha256_ll(UnsignedBytes(pw), pw.size(), UnsignedBytes(salt), salt.size(), params.n,
                                            params.r, params.p, key.data(), kKeyBytes) != 0) {
    return Internal("scrypt key derivation failed (out of memory?)");
  }
  return OkStatus();
}

// Reads a base64 string member of `object`, insisting on the decoded length when `want_len` > 0.
Result<std::string> Base64Member(const json& object, const char* name, std::string_view where,
                                 size_t want_len) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) {
    return InvalidArgument(std::string(where) + "." + name + " is missing or not a string");
  }
  auto bytes = Base64Decode(it->get_ref<const std::string&>());
  if (!bytes) {
    return InvalidArgument(std::string(where) + "." + name + " is not valid standard base64");
  }
  if (want_len > 0 && bytes->size() != want_len) {
    return InvalidArgument(std::string(where) + "." + name + " is " + std::to_string(bytes->size()) +
                           " bytes; expected " + std::to_string(want_len));
  }
  return std::move(*bytes);
}

Result<const json*> ObjectMember(const json& object, const char* name, std::string_view where) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_object()) {
    return InvalidArgument(std::string(where) + name + " is missing or not an object");
  }
  return &*it;
}

Result<std::string> StringMember(const json& object, const char* name, std::string_view where) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) {
    return InvalidArgument(std::string(where) + "." + name + " is missing or not a string");
  }
  return it->get<std::string>();
}

Result<ScryptParams> ParseScryptParams(const json& kdf, const std::string& source) {
  auto params_member = ObjectMember(kdf, "params", "kdf.");
  if (!params_member.ok()) return params_member.status().WithContext(source);
  const json* params = *params_member;
  auto integer = [&](const char* name) -> std::optional<uint64_t> {
    auto it = params->find(name);
    if (it == params->end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<uint64_t>();
  };
  const auto n = integer("N"), r = integer("r"), p = integer("p");
  if (!n || !r || !p) {
    return InvalidArgument(source + ": kdf.params must hold positive integers N, r and p");
  }
  for (const ScryptParams& accepted : kAcceptedScrypt) {
    if (*n == accepted.n && *r == accepted.r && *p == accepted.p) return accepted;
  }
  return InvalidArgument(source + ": unsupported scrypt parameters N=" + std::to_string(*n) +
                         ", r=" + std::to_string(*r) + ", p=" + std::to_string(*p) +
                         "; cosign keys use N=32768, 65536 or 131072 with r=8, p=1");
}

bool IsEncryptedKeyLabel(std::string_view label) {
  return label == kSigstoreKeyPemLabel || label == kCosignKeyPemLabel;
}

Status UnsupportedKeyLabel(const std::string& source, const std::string& label) {
  return InvalidArgument(source + ": unsupported PEM type '" + label + "'; expected '" +
                         std::string(kSigstoreKeyPemLabel) + "' or '" + std::string(kCosignKeyPemLabel) +
                         "' (a key made by 'cosign generate-key-pair')");
}

// Decrypts the JSON body of an encrypted key PEM block.
Result<Secret> DecryptKeyDocument(std::string_view body, const Secret& passphrase,
                                  const std::string& source) {
  auto parsed = ParseStrictJson(body, source + ": encrypted key");
  if (!parsed.ok()) return parsed.status();
  const json& doc = *parsed;
  if (!doc.is_object()) return InvalidArgument(source + ": encrypted key JSON must be an object");

  // Each step's errors name the field; prefix them with the file.
  auto in_file = [&](const Status& s) { return s.WithContext(source); };

  auto kdf = ObjectMember(doc, "kdf", "");
  if (!kdf.ok()) return in_file(kdf.status());
  auto kdf_name = StringMember(**kdf, "name", "kdf");
  if (!kdf_name.ok()) return in_file(kdf_name.status());
  if (*kdf_name != "scrypt") {
    return InvalidArgument(source + ": unsupported kdf '" + *kdf_name + "'; cosign keys use scrypt");
  }
  PROMOTE_ASSIGN_OR_RETURN(ScryptParams params, ParseScryptParams(**kdf, source));
  auto salt = Base64Member(**kdf, "salt", "kdf", kSaltBytes);
  if (!salt.ok()) return in_file(salt.status());

  auto cipher = ObjectMember(doc, "cipher", "");
  if (!cipher.ok()) return in_file(cipher.status());
  auto cipher_name = StringMember(**cipher, "name", "cipher");
  if (!cipher_name.ok()) return in_file(cipher_name.status());
  if (*cipher_name != "nacl/secretbox") {
    return InvalidArgument(source + ": unsupported cipher '" + *cipher_name +
                           "'; cosign keys use nacl/secretbox");
  }
  auto nonce = Base64Member(**cipher, "nonce", "cipher", kNonceBytes);
  if (!nonce.ok()) return in_file(nonce.status());

  auto ciphertext = Base64Member(doc, "ciphertext", "key", 0);
  if (!ciphertext.ok()) return in_file(ciphertext.status());
  if (ciphertext->size() < kTagBytes) {
    return InvalidArgument(source + ": ciphertext is " + std::to_string(ciphertext->size()) +
                           " bytes, shorter than the 16-byte authentication tag (truncated key?)");
  }

  if (!SodiumReady()) return Internal("libsodium could not be initialised");
  SecretboxKey key;
  PROMOTE_RETURN_IF_ERROR(DeriveKey(passphrase, *salt, params, key));
  std::string plaintext(ciphertext->size() - kTagBytes, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plaintext.data()), UnsignedBytes(*ciphertext),
                                 ciphertext->size(), UnsignedBytes(*nonce), key.data()) != 0) {
    return InvalidArgument(source + ": decryption failed: wrong passphrase or corrupted key");
  }
  return Secret(std::move(plaintext));
}

}  // namespace

Result<Secret> DecryptCosignKeyPlaintext(std::string_view pem, const Secret& passphrase,
                                         std::string_view source_view) {
  const std::string source(source_view);
  PROMOTE_RETURN_IF_ERROR(CheckInputSize(pem, kMaxKeyFileBytes, source));
  PROMOTE_ASSIGN_OR_RETURN(PemBlock block, DecodePem(pem, source));
  if (!IsEncryptedKeyLabel(block.label)) return UnsupportedKeyLabel(source, block.label);
  return DecryptKeyDocument(block.bytes, passphrase, source);
}

Result<PrivateKey> ParseCosignPrivateKey(std::string_view pem, const Secret& passphrase,
                                         std::string_view source_view) {
  const std::string source(source_view);
  PROMOTE_RETURN_IF_ERROR(CheckInputSize(pem, kMaxKeyFileBytes, source));
  PROMOTE_ASSIGN_OR_RETURN(PemBlock block, DecodePem(pem, source));
  if (block.label == "PRIVATE KEY") {
    return PrivateKey::FromPkcs8Der(block.bytes, source);
  }
  if (block.label == "EC PRIVATE KEY") {
    return InvalidArgument(source +
                           ": unsupported PEM type 'EC PRIVATE KEY' (SEC1); convert it with "
                           "'openssl pkcs8 -topk8 -nocrypt' or import it with 'cosign import-key-pair'");
  }
  if (!IsEncryptedKeyLabel(block.label)) {
    return InvalidArgument(source + ": unsupported PEM type '" + block.label +
                           "'; expected an encrypted "
                           "cosign key ('" +
                           std::string(kSigstoreKeyPemLabel) + "' or '" + std::string(kCosignKeyPemLabel) +
                           "') or an unencrypted PKCS#8 'PRIVATE KEY'");
  }
  PROMOTE_ASSIGN_OR_RETURN(Secret plaintext, DecryptKeyDocument(block.bytes, passphrase, source));
  return PrivateKey::FromPkcs8Der(plaintext.reveal(), source + ": decrypted key");
}

Result<PrivateKey> ReadCosignPrivateKeyFile(const std::string& path, const Secret& passphrase) {
  const std::string source = "cosign key " + path;
  auto text = ReadSmallFile(path, "cosign key", kMaxKeyFileBytes);
  if (!text.ok()) return text.status();
  Secret pem(std::move(*text));
  return ParseCosignPrivateKey(pem.reveal(), passphrase, source);
}

Result<CosignKeyPairFiles> GenerateCosignKeyPair(const Secret& passphrase, CosignKeyFormat format) {
  PROMOTE_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::Generate());
  CosignKeyPairFiles files;
  PROMOTE_ASSIGN_OR_RETURN(files.private_key_pem, EncryptCosignPrivateKey(key, passphrase, format));
  files.public_key_pem = key.public_key().ToPem();
  return files;
}

Result<std::string> EncryptCosignPrivateKey(const PrivateKey& key, const Secret& passphrase,
                                            CosignKeyFormat format) {
  if (!SodiumReady()) return Internal("libsodium could not be initialised");
  const bool legacy = format == CosignKeyFormat::kLegacy;
  const ScryptParams& params = legacy ? kLegacyScrypt : kCurrentScrypt;
  const std::string_view label = legacy ? kCosignKeyPemLabel : kSigstoreKeyPemLabel;

  PROMOTE_ASSIGN_OR_RETURN(Secret plaintext, key.Pkcs8Der());
  std::string salt(kSaltBytes, '\0');
  std::string nonce(kNonceBytes, '\0');
  randombytes_buf(salt.data(), salt.size());
  randombytes_buf(nonce.data(), nonce.size());

  SecretboxKey box_key;
  PROMOTE_RETURN_IF_ERROR(DeriveKey(passphrase, salt, params, box_key));
  const std::string_view pt = plaintext.reveal();
  std::string ciphertext(pt.size() + kTagBytes, '\0');
  if (crypto_secretbox_easy(reinterpret_cast<unsigned char*>(ciphertext.data()), UnsignedBytes(pt), pt.size(),
                            UnsignedBytes(nonce), box_key.data()) != 0) {
    return Internal("secretbox encryption failed");
  }

  // Field order and spelling as go-securesystemslib's json.Marshal writes them.
  std::string doc = "{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":" + std::to_string(params.n) +
                    ",\"r\":" + std::to_string(params.r) + ",\"p\":" + std::to_string(params.p) +
                    "},\"salt\":\"" + Base64Encode(salt) +
                    "\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"" + Base64Encode(nonce) +
                    "\"},\"ciphertext\":\"" + Base64Encode(ciphertext) + "\"}";
  return EncodePem(label, doc);
}

}  // namespace promote::sigstore
