// A bound on how deeply untrusted JSON nests, checked before parsing it. nlohmann::json parses
// deep input without recursion, but copying, comparing and serialising a value recurse once per
// level, so a few hundred KB of '[' overflow the stack of whatever handles the value next.
#pragma once

#include <cstddef>
#include <string_view>

namespace promote {

// Far deeper than any manifest, scanner report or signed document nests (they stay under 30);
// Go's encoding/json refuses 10000.
inline constexpr size_t kMaxJsonNesting = 1000;

// True when arrays and objects in `text` nest more than `max_depth` levels ('[' and '{' inside
// strings do not count). Does not validate the JSON; parse it afterwards.
bool JsonNestingExceeds(std::string_view text, size_t max_depth = kMaxJsonNesting);

}  // namespace promote
