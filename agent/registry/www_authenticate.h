// Parsing of WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="…"
//   Basic realm="Registry Realm"
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace promote::registry {

struct Challenge {
  std::string scheme;                         // lower-cased: "bearer", "basic"
  std::map<std::string, std::string> params;  // names lower-cased, values unquoted
  std::string Param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses one header value, which may hold several challenges. Malformed input (unterminated
// quotes, missing '=', control characters) is kInvalidArgument quoting the header.
Result<std::vector<Challenge>> ParseWwwAuthenticate(std::string_view header);

}  // namespace promote::registry
