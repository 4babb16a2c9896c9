#include "util/secret.h"

#include <openssl/crypto.h>

namespace promote {

void WipeMemory(void* data, size_t len) { OPENSSL_cleanse(data, len); }

void Secret::Wipe() {
  WipeMemory(value_.data(), value_.capacity());
  value_.clear();
}

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    Wipe();
    value_ = other.value_;
  }
  return *this;
}

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.Wipe(); }

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    Wipe();
    value_ = std::move(other.value_);
    other.Wipe();
  }
  return *this;
}

Secret::~Secret() { Wipe(); }

}  // namespace promote
