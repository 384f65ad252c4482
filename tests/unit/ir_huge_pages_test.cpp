// tests/unit/ir_huge_pages_test.cpp — ir::HugePageAllocator: large blocks on 2 MiB
// boundaries (where transparent huge pages can back them), small ones as before, and the
// elements kept as a vector grows across the threshold.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "ir/huge_pages.h"

using gradc::ir::HugePageAllocator;

namespace {
constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
bool on_huge_page_boundary(const void* p) { return reinterpret_cast<uintptr_t>(p) % kHugePage == 0; }
}  // namespace

TEST_CASE("HugePageAllocator keeps elements as a vector grows past the huge-page threshold", "[huge_pages]") {
  std::vector<uint32_t, HugePageAllocator<uint32_t>> v;
  for (uint32_t i = 0; i < 3'000'000; ++i) v.push_back(i * 7);  // 12 MB: past the 4 MiB threshold
  for (uint32_t i = 0; i < 3'000'000; i += 9973) REQUIRE(v[i] == i * 7);
  CHECK(on_huge_page_boundary(v.data()));
  std::vector<uint32_t, HugePageAllocator<uint32_t>> small(1000, 5);
  CHECK(small.back() == 5);
  CHECK_FALSE(on_huge_page_boundary(small.data()));  // a small block is not rounded up to 2 MiB
}

TEST_CASE("a large graph's node arena lies on huge pages", "[huge_pages]") {
  gradc::ir::Graph g;
  g.reserve(100'000);  // Node is over 100 bytes: well past the threshold
  gradc::ir::Node x;
  x.op = gradc::ir::Op::Input;
  x.name = "x";
  g.add(x);
  CHECK(on_huge_page_boundary(g.nodes().data()));
}
