#include "registry/retry.h"

#include <ctime>
#include <random>
#include <string>

namespace promote::registry {

std::chrono::milliseconds RetryPolicy::Backoff(int attempt) const {
  using std::chrono::milliseconds;
  long long base = initial_backoff.count();
  for (int i = 1; i < attempt && base < max_backoff.count(); ++i) base *= 2;
  if (base > max_backoff.count()) base = max_backoff.count();
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<long long> dist(base / 2, base);
  return milliseconds(dist(rng));
}

Status RetryTransient(const RetryPolicy& policy, const CancelToken* cancel, const std::function<Status()>& attempt,
                      const std::function<Result<bool>(const Status&)>& transient) {
  Status status = attempt();
  std::chrono::milliseconds waited{0};
  for (int retry = 1; !status.ok() && retry < policy.max_attempts && status.code() != Code::kCancelled; ++retry) {
    PROMOTE_ASSIGN_OR_RETURN(bool again, transient(status));
    if (!again) break;
    const std::chrono::milliseconds wait = policy.Backoff(retry);
    if (waited + wait > policy.max_total_wait) break;
    waited += wait;
    SleepUnlessCancelled(wait, cancel);
    if (cancel != nullptr && cancel->cancelled()) {
      return Cancelled("cancelled while waiting to retry (" + status.message() + ")");
    }
    status = attempt();
  }
  return status;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value) {
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return std::nullopt;
    return std::chrono::seconds(std::stol(std::string(value)));
  }
  std::tm tm{};
  std::string s(value);
  if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  time_t when = timegm(&tm);
  time_t now = std::time(nullptr);
  if (when <= now) return std::chrono::milliseconds(0);
  return std::chrono::seconds(when - now);
}

}  // namespace promote::registry
