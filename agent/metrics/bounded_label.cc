#include "metrics/bounded_label.h"

namespace promote::metrics {

bool BoundedLabel::Acceptable(std::string_view value) const {
  if (value.size() > max_length_) return false;
  for (char c : value) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!plain && allowed_.find(c) == std::string::npos) return false;
  }
  return value != kOther;
}

std::string BoundedLabel::operator()(std::string_view value) {
  if (value.empty()) return "none";
  if (!Acceptable(value)) return std::string(kOther);
  std::lock_guard lock(mu_);
  if (seen_.count(value) != 0) return std::string(value);
  if (seen_.size() >= max_values_) return std::string(kOther);
  seen_.emplace(value);
  return std::string(value);
}

}  // namespace promote::metrics
