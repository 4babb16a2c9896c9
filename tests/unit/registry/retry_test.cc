#include "registry/retry.h"

#include <doctest/doctest.h>

#include <ctime>

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
