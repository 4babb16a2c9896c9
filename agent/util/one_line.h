// A message as one line of a log or a terminal. Messages echo their input (a branch name, a SHA,
// a username), and an input may hold a newline: printed as is, its second half would be a line
// of its own, which a CI runner reads as a command when it starts with "::".
#pragma once

#include <string>
#include <string_view>

namespace promote {

// `text` with every control character shown as an escape (\n, \r, \t, \xHH); other bytes as they are.
std::string OneLine(std::string_view text);

}  // namespace promote
