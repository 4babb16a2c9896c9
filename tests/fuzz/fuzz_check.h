// FUZZ_CHECK(cond): an invariant a fuzz target asserts about a parser's output. A violation prints
// the condition and aborts, which libFuzzer records as a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                       \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);        \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)
