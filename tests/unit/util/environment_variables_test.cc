#include "util/environment_variables.h"

#include <doctest/doctest.h>

using promote::EnvironmentVariables;

TEST_CASE("environment variables as a value: set, empty, unset, first of a repeated name") {
  const char* entries[] = {"PATH=/usr/bin", "EMPTY=", "PATH=/second", "NOEQUALS", "A=b=c", nullptr};
  EnvironmentVariables env = EnvironmentVariables::FromEntries(entries);
  CHECK(env.Get("PATH") == "/usr/bin");  // the first wins, as getenv reads it
  CHECK(env.Get("EMPTY") == "");
  CHECK_FALSE(env.Get("NOEQUALS").has_value());
  CHECK_FALSE(env.Get("UNSET").has_value());
  CHECK(env.Get("A") == "b=c");
  CHECK(env.GetOr("EMPTY", "fallback") == "fallback");
  CHECK(env.GetOr("UNSET", "fallback") == "fallback");
  CHECK(env.GetOr("PATH", "fallback") == "/usr/bin");
  CHECK(env.Entries() == std::vector<std::string>{"A=b=c", "EMPTY=", "PATH=/usr/bin"});

  EnvironmentVariables none;
  CHECK_FALSE(none.Get("PATH").has_value());
  CHECK(none.Entries().empty());
  CHECK(EnvironmentVariables::FromEntries(nullptr).Entries().empty());
  EnvironmentVariables copy = env;  // copies share the variables
  CHECK(copy.Get("PATH") == "/usr/bin");
}
