// Platforms ("linux/arm64/v8"): what an index entry or an image config says it runs on, what users
// write after --platform or under promote.yaml's `platforms:`, and whether the two agree — the way
// containerd and crane match them (no variant asked: any variant; arm64's v8 is its default).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace promote::oci {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string str() const;  // "linux/arm64/v8"
};

// Parses "os/arch[/variant]": two or three non-empty components of lowercase letters, digits,
// '.', '_' or '-' (at most 64 characters each). The uname spellings x86_64 and aarch64 are read
// as amd64 and arm64. Anything else is kInvalidArgument quoting the input.
Result<Platform> ParsePlatform(std::string_view text);

// Parses each text, splitting on commas too ("linux/amd64,linux/arm64" as docker buildx writes
// it); duplicates are dropped, the first spelling's order is kept. Errors as ParsePlatform's.
Result<std::vector<Platform>> ParsePlatforms(const std::vector<std::string>& texts);

// True when `have` (an index entry's or an image config's platform) is what `want` asks for: the
// same os and architecture, and, when `want` names a variant, the same variant, an absent one
// counting as the architecture's default (arm64 v8, arm v7, amd64 v1).
bool PlatformMatches(const Platform& want, const Platform& have);

}  // namespace promote::oci
