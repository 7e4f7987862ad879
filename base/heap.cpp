#include "base/heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace berth {
namespace {
#ifdef MADV_COLLAPSE
constexpr int kMadvCollapse = MADV_COLLAPSE;
#else
constexpr int kMadvCollapse = 25;
#endif
}  // namespace

void use_huge_page_heap() {
  constexpr uintptr_t kStep = 32u << 20, kHuge = 2u << 20;
  // Buffers up to 4 MiB come from the heap too (not from mmap, 4 KiB pages again), the heap
  // grows by a padded step and is not given back (a shrunk and regrown heap is 4 KiB pages).
  if (mallopt(M_MMAP_THRESHOLD, 4 << 20) != 1 || mallopt(M_TOP_PAD, kStep) != 1 ||
      mallopt(M_TRIM_THRESHOLD, 1 << 30) != 1)
    return;
  // Move the break to a 2 MiB boundary (the skipped part is never touched: no memory), so that
  // the heap's next step is made of whole huge pages. malloc sees the gap as a foreign sbrk and
  // continues its heap after it, as it is documented to.
  auto brk_now = reinterpret_cast<uintptr_t>(sbrk(0));
  if (brk_now == static_cast<uintptr_t>(-1)) return;
  const uintptr_t aligned = (brk_now + kHuge - 1) & ~(kHuge - 1);
  if (aligned != brk_now && sbrk(static_cast<intptr_t>(aligned - brk_now)) == reinterpret_cast<void*>(-1)) return;
  // More than the current heap holds: malloc takes its first padded step now, from `aligned`.
  // (volatile: the compiler may otherwise drop an allocation nothing reads.)
  void* volatile probe = std::malloc(256u << 10);
  auto top = reinterpret_cast<uintptr_t>(sbrk(0));
  if (probe && top != static_cast<uintptr_t>(-1) && top > aligned + kHuge &&
      madvise(reinterpret_cast<void*>(aligned), top - aligned, MADV_HUGEPAGE) == 0) {
    // malloc already wrote its chunk headers at the start of the step, before the advice: that
    // first 2 MiB is 4 KiB pages until collapsed (Linux 6.1+; elsewhere it stays so).
    madvise(reinterpret_cast<void*>(aligned), kHuge, kMadvCollapse);
  }
  std::free(probe);
}

}  // namespace berth
