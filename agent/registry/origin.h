// Origins (scheme, host, port) of the URLs promote talks to, and the rules that keep a
// registry's credentials on the registry's own origin: where a registry may send a request
// (redirects, upload Locations, tag-list pages), whether its credentials go along, and which
// token services may receive them. Pure functions; the one place these rules are decided.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace promote::registry {

struct Origin {
  std::string scheme;  // "http" or "https" (lower case)
  std::string host;    // lower case; IPv6 in brackets; IPv4 as libcurl normalises it ("127.1" -> "127.0.0.1")
  int port = 0;        // explicit, or the scheme's default

  bool operator==(const Origin& other) const = default;
  // "https://host:port", for messages.
  std::string str() const;
};

// The origin of an absolute http(s) URL, read by libcurl's own URL parser so that the origin
// judged is the one curl connects to ("http://a\@b/" is b). Anything else is kInvalidArgument.
Result<Origin> ParseOrigin(std::string_view url);

// True when the origin's host names this machine literally (oci::IsLoopbackHost).
bool IsLoopback(const Origin& origin);

// What to do with a URL a registry at `registry` sent us to (a redirect, an upload or chunk
// Location, a Link to the next page):
//   same origin                           -> follow, with the registry's credentials
//   HTTPS elsewhere                       -> follow, without credentials (e.g. a storage URL)
//   plain HTTP, loopback to loopback      -> follow, without credentials
//   HTTP from HTTPS (a downgrade), or plain HTTP to a host that is not loopback -> refuse
enum class Hop { kRefuse, kFollowWithoutCredentials, kFollowWithCredentials };
Hop DecideHop(const Origin& registry, const Origin& to);

// Whether the token service at `realm` may be asked for tokens (with the registry's
// credentials) for a registry at `registry`: its own origin, any HTTPS origin, or plain HTTP on
// loopback for a loopback registry. A plain-HTTP realm elsewhere would receive the password in
// clear: refused.
bool RealmAllowed(const Origin& registry, const Origin& realm);

// The URL without query and fragment (they may carry upload state or signatures), shortened and
// with control characters replaced: registry-chosen URLs are quoted in messages.
std::string UrlForMessages(std::string_view url);

}  // namespace promote::registry
