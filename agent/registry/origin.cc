#include "registry/origin.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "oci/reference.h"

namespace promote::registry {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

CurlString Part(CURLU* u, CURLUPart part, unsigned int flags = 0) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, flags) != CURLUE_OK) return nullptr;
  return CurlString(out);
}

}  // namespace

std::string Origin::str() const { return scheme + "://" + host + ":" + std::to_string(port); }

std::string UrlForMessages(std::string_view url) {
  std::string out(url.substr(0, url.find_first_of("?#")));
  if (out.size() > 200) out = out.substr(0, 200) + "...";
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

Result<Origin> ParseOrigin(std::string_view url) {
  std::string text(url);
  std::unique_ptr<CURLU, CurlUrlDeleter> u(curl_url());
  if (u == nullptr) return Internal("curl_url failed");
  // No CURLU_GUESS_SCHEME, no default scheme: only absolute URLs have an origin.
  if (text.find('\0') != std::string::npos ||
      curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return InvalidArgument("'" + UrlForMessages(url) + "' is not an absolute URL");
  }
  CurlString scheme = Part(u.get(), CURLUPART_SCHEME);
  CurlString host = Part(u.get(), CURLUPART_HOST);
  CurlString port = Part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (scheme == nullptr || host == nullptr || port == nullptr || *host == '\0') {
    return InvalidArgument("'" + UrlForMessages(url) + "' is not an absolute URL");
  }
  Origin o;
  o.scheme = scheme.get();
  std::transform(o.scheme.begin(), o.scheme.end(), o.scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (o.scheme != "http" && o.scheme != "https") {
    return InvalidArgument("'" + UrlForMessages(url) + "' is neither http nor https");
  }
  o.host = host.get();
  std::transform(o.host.begin(), o.host.end(), o.host.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  o.port = std::atoi(port.get());
  return o;
}

bool IsLoopback(const Origin& origin) { return oci::IsLoopbackHost(origin.host); }

Hop DecideHop(const Origin& registry, const Origin& to) {
  if (to == registry) return Hop::kFollowWithCredentials;
  if (to.scheme == "https") return Hop::kFollowWithoutCredentials;
  // Plain HTTP to another origin: only between loopback origins, and never down from HTTPS.
  if (registry.scheme == "http" && IsLoopback(registry) && IsLoopback(to))
    return Hop::kFollowWithoutCredentials;
  return Hop::kRefuse;
}

bool RealmAllowed(const Origin& registry, const Origin& realm) {
  // A loopback token service in clear is allowed for a loopback registry only (tests, a local
  // mirror): a remote registry must not make us send its password to whatever listens here.
  return realm == registry || realm.scheme == "https" || (IsLoopback(realm) && IsLoopback(registry));
}

}  // namespace promote::registry
