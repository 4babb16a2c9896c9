#include "registry/retry.h"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

using namespace promote;
using namespace promote::registry;
using std::chrono::milliseconds;

TEST_CASE("backoff doubles, is capped and jittered within [half, full]") {
  RetryPolicy p;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = milliseconds(1000);
  for (int i = 0; i < 50; ++i) {
    auto b1 = p.Backoff(1);
    CHECK(b1 >= milliseconds(50));
    CHECK(b1 <= milliseconds(100));
    auto b3 = p.Backoff(3);
    CHECK(b3 >= milliseconds(200));
    CHECK(b3 <= milliseconds(400));
    auto b10 = p.Backoff(10);
    CHECK(b10 >= milliseconds(500));
    CHECK(b10 <= milliseconds(1000));
  }
}

TEST_CASE("Retry-After as seconds or an HTTP date") {
  CHECK(ParseRetryAfter("3") == milliseconds(3000));
  CHECK(ParseRetryAfter("0") == milliseconds(0));
  CHECK_FALSE(ParseRetryAfter("").has_value());
  CHECK_FALSE(ParseRetryAfter("soon").has_value());
  CHECK_FALSE(ParseRetryAfter("-1").has_value());
  CHECK_FALSE(ParseRetryAfter("99999999999").has_value());
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == milliseconds(0));  // in the past
  std::time_t later = std::time(nullptr) + 120;
  char buf[64];
  std::tm tm{};
  gmtime_r(&later, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  auto d = ParseRetryAfter(buf);
  REQUIRE(d.has_value());
  CHECK(*d > milliseconds(100'000));
  CHECK(*d <= milliseconds(120'000));
}

TEST_CASE("RetryTransient tries again only while the failure is transient") {
  RetryPolicy p;
  p.max_attempts = 4;
  p.initial_backoff = milliseconds(1);
  p.max_backoff = milliseconds(2);
  struct Case {
    const char* name;
    int fail_times;        // attempts that fail before one succeeds
    bool transient;        // what the predicate says
    int attempts;          // expected
    Code code;             // expected
  } cases[] = {
      {"succeeds at once", 0, true, 1, Code::kOk},
      {"succeeds on the third try", 2, true, 3, Code::kOk},
      {"gives up after max_attempts", 10, true, 4, Code::kDataLoss},
      {"a permanent failure is not retried", 10, false, 1, Code::kDataLoss},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    int attempts = 0;
    Status st = RetryTransient(
        p, nullptr, [&] { return ++attempts <= c.fail_times ? DataLoss("blob unknown") : OkStatus(); },
        [&](const Status&) -> Result<bool> { return c.transient; });
    CHECK(attempts == c.attempts);
    CHECK(st.code() == c.code);
  }
  // The predicate's own failure ends the loop with that failure.
  int attempts = 0;
  Status st = RetryTransient(
      p, nullptr, [&] { ++attempts; return DataLoss("blob unknown"); },
      [](const Status&) -> Result<bool> { return Unavailable("HEAD blob failed"); });
  CHECK(attempts == 1);
  CHECK(st.code() == Code::kUnavailable);
  // A cancelled attempt is never retried.
  attempts = 0;
  st = RetryTransient(
      p, nullptr, [&] { ++attempts; return Cancelled("stopped"); }, [](const Status&) -> Result<bool> { return true; });
  CHECK(attempts == 1);
  CHECK(st.code() == Code::kCancelled);
}

TEST_CASE("a cancel during the back-off ends RetryTransient at once") {
  RetryPolicy p;
  p.max_attempts = 3;
  p.initial_backoff = std::chrono::seconds(30);  // the back-off a cancel must not wait out
  p.max_backoff = std::chrono::seconds(30);
  CancelToken cancel;
  std::mutex mu;
  std::condition_variable cv;
  bool backing_off = false;
  // The canceller waits until the retry loop has decided to back off, then cancels: the cancel
  // lands just before or during the wait, and either way nothing more is attempted.
  std::thread canceller([&] {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return backing_off; });
    cancel.Cancel();
  });
  int attempts = 0;
  const auto start = std::chrono::steady_clock::now();
  Status st = RetryTransient(
      p, &cancel, [&] { ++attempts; return DataLoss("blob unknown"); },
      [&](const Status&) -> Result<bool> {
        {
          std::lock_guard<std::mutex> lock(mu);
          backing_off = true;
        }
        cv.notify_one();
        return true;
      });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  canceller.join();
  CHECK(st.code() == Code::kCancelled);
  CHECK(st.message().find("blob unknown") != std::string::npos);
  CHECK(attempts == 1);
  // The shortest back-off is 15 s (half of 30, the jitter's floor): a prompt return is far below.
  CHECK(elapsed < std::chrono::seconds(2));
}
