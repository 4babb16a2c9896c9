// Counts the bytes a test program holds through operator new, and the most it held at once, so a
// test can bound what a piece of code allocates. The counts are of the sizes the code asks for,
// independent of the allocator and of sanitizers (AddressSanitizer's quarantine and shadow memory,
// which make RSS useless as a measure, are not counted).
//
// heap_counter.cc replaces the global operator new and delete: link it into a test executable of
// its own, never into a library other tests share.
#pragma once

#include <cstddef>

namespace promote::testing {

// Bytes allocated through operator new and not yet deleted, by every thread.
size_t HeapBytesInUse();

// Starts a measurement: the peak becomes the bytes in use now.
void ResetHeapPeak();

// The most bytes in use at once since the last ResetHeapPeak (or the start of the program).
size_t HeapPeakBytes();

}  // namespace promote::testing
