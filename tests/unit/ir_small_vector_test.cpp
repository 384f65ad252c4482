// tests/unit/ir_small_vector_test.cpp — ir::SmallVector inline and spilled to the heap.
#include <catch2/catch.hpp>

#include <vector>

#include "ir/small_vector.h"

using gradc::ir::SmallVector;

TEST_CASE("SmallVector keeps its elements as it spills past its inline capacity", "[small_vector]") {
  SmallVector<int, 2> v;
  std::vector<int> want;
  for (int i = 0; i < 9; ++i) {
    v.push_back(i * 3);
    want.push_back(i * 3);
    REQUIRE(std::vector<int>(v) == want);
  }
  SmallVector<int, 2> copy = v, moved = std::move(copy);
  CHECK(moved == v);
  v.insert(v.begin() + 1, {7, 8});
  want.insert(want.begin() + 1, {7, 8});
  CHECK(std::vector<int>(v) == want);
  v.erase(v.begin(), v.begin() + 3);
  want.erase(want.begin(), want.begin() + 3);
  CHECK(std::vector<int>(v) == want);
  v.resize(1);
  CHECK(v == SmallVector<int, 2>{3});
  CHECK(SmallVector<int, 2>{1, 2} < SmallVector<int, 2>{1, 3});
}
