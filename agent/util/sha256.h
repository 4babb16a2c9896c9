// SHA-256 hashing (OpenSSL EVP), one-shot and incremental for streaming blobs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace promote {

// Incremental SHA-256. Not thread-safe; one instance per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t len);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Finishes the hash and returns 64 lowercase hex characters. Call once.
  std::string FinishHex();
  std::array<uint8_t, 32> Finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string Sha256Hex(std::string_view data);
std::array<uint8_t, 32> Sha256Raw(std::string_view data);
std::string HexEncode(const uint8_t* data, size_t len);

}  // namespace promote
