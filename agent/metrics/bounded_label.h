// BoundedLabel: keeps the values of one metric label few and printable. Label values that come
// from callers (environment names from a request's promote.yaml, registry hosts, gate names) would
// otherwise let any caller grow the agent's memory and the scrape without bound: the first
// `max_values` distinct acceptable values pass, later new ones and malformed ones become "other".
// Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace promote::metrics {

class BoundedLabel {
 public:
  // `allowed` are the characters a value may have besides lowercase letters and digits.
  BoundedLabel(size_t max_values, std::string allowed, size_t max_length = 64)
      : max_values_(max_values), allowed_(std::move(allowed)), max_length_(max_length) {}

  // `value` itself when acceptable and among the first max_values distinct ones, else "other";
  // "none" for an empty value.
  std::string operator()(std::string_view value);

  static constexpr std::string_view kOther = "other";

 private:
  bool Acceptable(std::string_view value) const;

  const size_t max_values_;
  const std::string allowed_;
  const size_t max_length_;
  std::mutex mu_;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace promote::metrics
