#include "tests/support/heap_counter.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace promote::testing {
namespace {

std::atomic<size_t> in_use{0};
std::atomic<size_t> peak{0};

// Each block carries, just before what the caller gets, its offset from the start of the malloc'd
// block and the size asked for: [... offset | size][caller's bytes].
constexpr size_t kHeader = 2 * sizeof(size_t);
constexpr size_t kMinAlignment = alignof(std::max_align_t) > kHeader ? alignof(std::max_align_t) : kHeader;

void* Allocate(size_t size, size_t alignment) {
  if (alignment < kMinAlignment) alignment = kMinAlignment;
  void* base = nullptr;
  if (posix_memalign(&base, alignment, size + alignment) != 0) return nullptr;
  char* user = static_cast<char*>(base) + alignment;
  reinterpret_cast<size_t*>(user)[-2] = alignment;
  reinterpret_cast<size_t*>(user)[-1] = size;
  const size_t now = in_use.fetch_add(size, std::memory_order_relaxed) + size;
  size_t seen = peak.load(std::memory_order_relaxed);
  while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
  return user;
}

void* AllocateOrThrow(size_t size, size_t alignment) {
  void* p = Allocate(size, alignment);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void Release(void* p) {
  if (p == nullptr) return;
  char* user = static_cast<char*>(p);
  const size_t alignment = reinterpret_cast<size_t*>(user)[-2];
  in_use.fetch_sub(reinterpret_cast<size_t*>(user)[-1], std::memory_order_relaxed);
  std::free(user - alignment);
}

}  // namespace

size_t HeapBytesInUse() { return in_use.load(); }

void ResetHeapPeak() { peak.store(in_use.load()); }

size_t HeapPeakBytes() { return peak.load(); }

}  // namespace promote::testing

using promote::testing::Allocate;
using promote::testing::AllocateOrThrow;
using promote::testing::Release;

// Every form of the global operator new and delete, so that none comes from the C++ runtime (or
// a sanitizer's) and every block is counted and freed here.
void* operator new(size_t size) { return AllocateOrThrow(size, 0); }
void* operator new[](size_t size) { return AllocateOrThrow(size, 0); }
void* operator new(size_t size, std::align_val_t al) {
  return AllocateOrThrow(size, static_cast<size_t>(al));
}
void* operator new[](size_t size, std::align_val_t al) {
  return AllocateOrThrow(size, static_cast<size_t>(al));
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return Allocate(size, 0); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return Allocate(size, 0); }
void* operator new(size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return Allocate(size, static_cast<size_t>(al));
}
void* operator new[](size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return Allocate(size, static_cast<size_t>(al));
}
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, size_t) noexcept { Release(p); }
void operator delete[](void* p, size_t) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }
