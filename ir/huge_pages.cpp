// ir/huge_pages.cpp — see ir/huge_pages.h.
#include "ir/huge_pages.h"

#include <cstdlib>

#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif

namespace gradc::ir {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kThreshold = size_t{4} << 20;  // below it, the rounding up would waste too much

size_t rounded_up(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void* allocate_maybe_huge(size_t bytes) {
  if (bytes < kThreshold) return ::operator new(bytes);
  void* p = std::aligned_alloc(kHugePage, rounded_up(bytes));
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, rounded_up(bytes), MADV_HUGEPAGE);  // a hint; an error only means no huge pages
#endif
  return p;
}

void deallocate_maybe_huge(void* p, size_t bytes) noexcept {
  if (bytes < kThreshold)
    ::operator delete(p);
  else
    std::free(p);
}

}  // namespace gradc::ir
