// URL pieces for registry requests: percent-encoding and resolving upload Locations.
#pragma once

#include <string>
#include <string_view>

namespace promote::registry {

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view s);

// Resolves a Location header against the registry base URL ("https://host:port"):
// absolute URLs are kept, "/v2/…" paths are joined to the base.
std::string ResolveLocation(std::string_view base_url, std::string_view location);

// Appends "name=value" (value encoded) to a URL that may already have a query.
std::string AppendQuery(std::string url, std::string_view name, std::string_view value);

}  // namespace promote::registry
