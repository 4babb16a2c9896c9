// Content digests ("sha256:<64 hex>"): parsing, validation and computing them from bytes.
// Only sha256 is accepted, as every registry in use speaks it and the OCI spec requires it.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace promote::oci {

class Digest {
 public:
  Digest() = default;
  // Parses "sha256:<64 lowercase hex>"; anything else is kInvalidArgument naming the text.
  static Result<Digest> Parse(std::string_view text);
  static Digest Of(std::string_view bytes);
  static Digest FromHex(std::string hex) { return Digest(std::move(hex)); }

  const std::string& hex() const { return hex_; }
  std::string str() const { return "sha256:" + hex_; }
  bool empty() const { return hex_.empty(); }
  // "sha256-<hex>": the tag form cosign and the referrers fallback use.
  std::string TagForm() const { return "sha256-" + hex_; }

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;

 private:
  explicit Digest(std::string hex) : hex_(std::move(hex)) {}
  std::string hex_;
};

}  // namespace promote::oci
