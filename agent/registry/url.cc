#include "registry/url.h"

namespace promote::registry {

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string ResolveLocation(std::string_view base_url, std::string_view location) {
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return std::string(location);
  if (!location.empty() && location.front() == '/') return std::string(base_url) + std::string(location);
  return std::string(base_url) + "/" + std::string(location);
}

std::string AppendQuery(std::string url, std::string_view name, std::string_view value) {
  url += (url.find('?') == std::string::npos) ? '?' : '&';
  url += std::string(name) + "=" + UrlEncode(value);
  return url;
}

}  // namespace promote::registry
