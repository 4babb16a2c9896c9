// Where a registry may send promote, and where its credentials may go: the table of
// (registry, URL it sent us to) -> refused / followed without credentials / with them.
#include "registry/origin.h"

#include <doctest/doctest.h>

using namespace promote;
using namespace promote::registry;

namespace {

Origin O(const std::string& url) {
  auto o = ParseOrigin(url);
  REQUIRE_MESSAGE(o.ok(), url);
  return *o;
}

}  // namespace

TEST_CASE("origins are scheme, host and port, read as libcurl reads the URL") {
  struct Case {
    std::string url;
    std::string origin;  // "" = not an origin
  } cases[] = {
      {"https://Registry.Example.com/v2/", "https://registry.example.com:443"},
      {"http://127.0.0.1:5000/v2/x?y#z", "http://127.0.0.1:5000"},
      {"HTTP://127.0.0.1/v2/", "http://127.0.0.1:80"},
      {"http://[::1]:5000/", "http://[::1]:5000"},
      {"https://user:pw@evil.example:8443/", "https://evil.example:8443"},
      // What curl would connect to is what counts, not what the text seems to say.
      {"http://127.0.0.1:5000\\@evil.example/", "http://evil.example:80"},
      {"http://evil.example#@127.0.0.1/", "http://evil.example:80"},
      {"http://2130706433:80/", "http://127.0.0.1:80"},
      {"ftp://registry.example.com/", ""},
      {"file:///etc/passwd", ""},
      {"/v2/app/blobs/uploads/1", ""},
      {"//evil.example/x", ""},
      {"", ""},
      {"http://127.0.0.1:99999/", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.url);
    auto o = ParseOrigin(c.url);
    if (c.origin.empty()) {
      CHECK_FALSE(o.ok());
    } else {
      REQUIRE(o.ok());
      CHECK(o->str() == c.origin);
    }
  }
}

TEST_CASE("a registry's URLs are followed only where its credentials stay safe") {
  constexpr Hop kRefuse = Hop::kRefuse, kBare = Hop::kFollowWithoutCredentials,
                kAuth = Hop::kFollowWithCredentials;
  struct Case {
    std::string registry;
    std::string to;
    Hop hop;
  } cases[] = {
      // The registry's own origin: credentials go along, whatever the scheme it was reached by.
      {"https://reg.example.com", "https://reg.example.com/v2/app/blobs/uploads/1", kAuth},
      {"https://reg.example.com:443", "https://REG.example.com/x", kAuth},
      {"http://127.0.0.1:5000", "http://127.0.0.1:5000/v2/app/blobs/uploads/1?state=x", kAuth},
      {"http://reg.internal:5000", "http://reg.internal:5000/v2/", kAuth},  // plain HTTP allowed explicitly
      // Another port or scheme of the same host is another origin: no credentials.
      {"https://reg.example.com", "https://reg.example.com:8443/blob", kBare},
      {"http://127.0.0.1:5000", "http://127.0.0.1:5001/blob", kBare},
      {"http://127.0.0.1:5000", "https://127.0.0.1:5000/blob", kBare},
      {"http://localhost:5000", "http://127.0.0.1:5000/blob", kBare},
      // HTTPS elsewhere (pre-signed storage URLs): followed, without credentials.
      {"https://reg.example.com", "https://s3.example.com/bucket/blob?sig=1", kBare},
      {"http://127.0.0.1:5000", "https://storage.example.com/blob", kBare},
      // Downgrades from HTTPS to HTTP: refused, on loopback too.
      {"https://reg.example.com", "http://reg.example.com/v2/app/blobs/uploads/1", kRefuse},
      {"https://127.0.0.1:5000", "http://127.0.0.1:5000/v2/app/blobs/uploads/1", kRefuse},
      {"https://127.0.0.1:5000", "http://127.0.0.1:6000/upload", kRefuse},
      // Plain HTTP elsewhere: only from loopback to loopback.
      {"http://127.0.0.1:5000", "http://203.0.113.7/blob", kRefuse},
      {"http://127.0.0.1:5000", "http://[::ffff:127.0.0.1]:5001/blob", kRefuse},
      {"http://127.0.0.1:5000", "http://127.evil.example/blob", kRefuse},
      {"http://reg.internal:5000", "http://127.0.0.1:5001/blob", kRefuse},
      {"http://reg.internal:5000", "http://reg.internal:5001/blob", kRefuse},
      {"http://127.0.0.1:5000", "http://[::1]:5001/blob", kBare},
  };
  for (const auto& c : cases) {
    CAPTURE(c.registry);
    CAPTURE(c.to);
    CHECK(DecideHop(O(c.registry), O(c.to)) == c.hop);
  }
}

TEST_CASE(
    "a token service gets credentials over HTTPS, or in clear only on the registry's own origin or "
    "loopback") {
  struct Case {
    std::string registry;
    std::string realm;
    bool allowed;
  } cases[] = {
      {"https://reg.example.com", "https://auth.example.com/token", true},
      {"https://reg.example.com", "https://reg.example.com/token", true},
      {"http://reg.internal:5000", "http://reg.internal:5000/token", true},  // its own origin
      {"http://127.0.0.1:5000", "http://127.0.0.1:5001/token", true},        // the tests' token server
      {"https://127.0.0.1:5000", "http://127.0.0.1:5001/token", true},
      {"https://reg.example.com", "http://auth.example.com/token", false},
      {"https://reg.example.com", "http://reg.example.com/token", false},
      {"http://reg.internal:5000", "http://reg.internal:5001/token", false},
      {"http://127.0.0.1:5000", "http://auth.example.com/token", false},
      {"http://127.0.0.1:5000", "http://[::ffff:127.0.0.1]:5001/token", false},
      {"https://reg.example.com", "http://127.0.0.1:5001/token",
       false},  // a remote registry, a local listener
  };
  for (const auto& c : cases) {
    CAPTURE(c.registry);
    CAPTURE(c.realm);
    CHECK(RealmAllowed(O(c.registry), O(c.realm)) == c.allowed);
  }
}

TEST_CASE("URLs quoted in messages lose their query and control characters") {
  CHECK(UrlForMessages("https://s3.example.com/blob?X-Amz-Signature=secret") ==
        "https://s3.example.com/blob");
  CHECK(UrlForMessages("http://a/\r\nX-Evil: 1") == "http://a/  X-Evil: 1");
  CHECK(UrlForMessages(std::string(500, 'a')).size() < 210);
}
