// Retry policy for registry requests: exponential backoff with jitter on transient failures
// (connection errors, 408, 429, 5xx), honouring Retry-After, with a bounded total.
// Other 4xx responses are never retried.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include "util/cancel.h"
#include "util/status.h"

namespace promote::registry {

struct RetryPolicy {
  int max_attempts = 5;                                   // including the first
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  std::chrono::milliseconds max_total_wait{60'000};       // sum of all waits for one request
  std::chrono::milliseconds max_retry_after{60'000};      // longer Retry-After values are capped

  // Wait before attempt number `attempt` (1 = first retry): initial * 2^(attempt-1), capped,
  // with "full jitter" between half and all of it.
  std::chrono::milliseconds Backoff(int attempt) const;
};

// Runs `attempt` until it succeeds or fails for good, at most policy.max_attempts times, waiting
// policy.Backoff(n) before retry n (never more than policy.max_total_wait in all). After a failure
// `transient` decides whether another try is worth it; it may ask the registry, and its own error
// ends the loop and is returned. kCancelled is never retried. A cancel during a wait ends it at
// once: the result is kCancelled, without another attempt. Returns the last attempt's status
// otherwise.
Status RetryTransient(const RetryPolicy& policy, const CancelToken* cancel, const std::function<Status()>& attempt,
                      const std::function<Result<bool>(const Status&)>& transient);

// Parses Retry-After: delta-seconds or an HTTP date. nullopt when absent or malformed.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value);

}  // namespace promote::registry
