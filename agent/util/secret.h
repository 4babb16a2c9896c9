// Secret: a string holding a password, token or key passphrase. It is wiped from memory on
// destruction, never printed (operator<< and ToString are deliberately absent) and only
// reachable through reveal(), so every place a secret is used is easy to audit.
#pragma once

#include <string>
#include <string_view>

namespace promote {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret& other) : value_(other.value_) {}
  Secret& operator=(const Secret& other);
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  bool empty() const { return value_.empty(); }
  std::string_view reveal() const { return value_; }

 private:
  void Wipe();
  std::string value_;
};

// Overwrites a buffer in a way the compiler cannot optimise out.
void WipeMemory(void* data, size_t len);
inline void WipeString(std::string& s) {
  WipeMemory(s.data(), s.size());
  s.clear();
}

}  // namespace promote
