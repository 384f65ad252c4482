// ir/huge_pages.h — an allocator for the graph's per-node arrays that asks for huge pages.
//
// Why: every pass builds a new graph (passes/pass.h), and at 10^5 source nodes, 2.5x10^5
// after autodiff, its arrays are tens of MiB of fresh memory. Each first touch of a 4 KiB
// page is a page fault; on the virtual machines CI and most users' laptops run, a fault
// costs microseconds, and faults were 40 % of the -O2 pipeline's time (bench/passes.sh).
// A block of 4 MiB or more is placed on 2 MiB boundaries and marked MADV_HUGEPAGE, so the
// kernel backs it with transparent huge pages where it can: one fault per 2 MiB. Smaller
// blocks go to operator new as before. The advice is a hint: with THP off it changes
// nothing, and memory is freed the same way either way.
#pragma once

#include <cstddef>
#include <new>

namespace gradc::ir {

void* allocate_maybe_huge(size_t bytes);
void deallocate_maybe_huge(void* p, size_t bytes) noexcept;

template <class T>
struct HugePageAllocator {
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  using value_type = T;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(allocate_maybe_huge(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { deallocate_maybe_huge(p, n * sizeof(T)); }

  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace gradc::ir
