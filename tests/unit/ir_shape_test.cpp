// tests/unit/ir_shape_test.cpp — the shape rules of ir/shape.h: NumPy's answers hard-coded,
// every error message checked for the op and both shapes, and the broadcast VJP inverse.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "ir/shape.h"

using namespace gradc::ir;

namespace {

Shape S(std::vector<int64_t> d) { return Shape{std::move(d)}; }

const Dim B = symbol_dim(0), N = symbol_dim(1);
const DimNames kNames{{"B", "N"}};

// The message of the ShapeError that `f` throws ("" if it throws none, so the check fails).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const ShapeError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("to_string prints symbols by name", "[shape]") {
  CHECK(to_string(S({}), &kNames) == "[]");
  CHECK(to_string(S({B, 784}), &kNames) == "[B,784]");
  CHECK(to_string(S({N, B, 0}), &kNames) == "[N,B,0]");
  // Without a table (or past its end) a symbol still reads as a symbol, not as -1.
  CHECK(to_string(S({B, 3}), nullptr) == "[?0,3]");
  CHECK(to_string(S({symbol_dim(5)}), &kNames) == "[?5]");
}

TEST_CASE("broadcast_shapes matches NumPy", "[shape]") {
  // Each row: a, b, np.broadcast_shapes(a, b).
  struct Row { std::vector<int64_t> a, b, out; };
  const std::vector<Row> rows = {
      {{}, {}, {}},
      {{}, {3}, {3}},
      {{5, 4}, {}, {5, 4}},
      {{5, 4}, {1}, {5, 4}},
      {{5, 4}, {4}, {5, 4}},
      {{15, 3, 5}, {15, 1, 5}, {15, 3, 5}},
      {{15, 3, 5}, {3, 5}, {15, 3, 5}},
      {{15, 3, 5}, {3, 1}, {15, 3, 5}},
      {{8, 1, 6, 1}, {7, 1, 5}, {8, 7, 6, 5}},
      {{256, 256, 3}, {3}, {256, 256, 3}},
      {{1}, {1, 1, 1}, {1, 1, 1}},
      {{0}, {1}, {0}},
      {{2, 0}, {2, 1}, {2, 0}},
      {{1, 0}, {3, 1}, {3, 0}},
      {{64, 784}, {784}, {64, 784}},
      {{64, 1}, {1, 256}, {64, 256}},
      {{1, 2, 1, 3}, {4, 1, 5, 1}, {4, 2, 5, 3}},
  };
  for (const auto& r : rows) {
    INFO(to_string(S(r.a)) << " and " << to_string(S(r.b)));
    CHECK(broadcast_shapes("add", S(r.a), S(r.b)) == S(r.out));
    CHECK(broadcast_shapes("add", S(r.b), S(r.a)) == S(r.out));  // symmetric
  }
}

TEST_CASE("broadcast_shapes with symbolic dims", "[shape]") {
  CHECK(broadcast_shapes("add", S({B, 784}), S({784}), &kNames) == S({B, 784}));
  CHECK(broadcast_shapes("add", S({B, 1}), S({1, 10}), &kNames) == S({B, 10}));
  CHECK(broadcast_shapes("mul", S({B, 10}), S({B, 1}), &kNames) == S({B, 10}));
  CHECK(broadcast_shapes("mul", S({1}), S({N}), &kNames) == S({N}));
  CHECK(error_of([] { broadcast_shapes("add", S({B, 3}), S({N, 3}), &kNames); }) ==
        "add: cannot broadcast shapes [B,3] and [N,3]: dimension 0 is B in the first and N in the second");
  CHECK(error_of([] { broadcast_shapes("sub", S({B}), S({5}), &kNames); }) ==
        "sub: cannot broadcast shapes [B] and [5]: dimension 0 is B in the first and 5 in the second");
}

TEST_CASE("broadcast_shapes errors name the op and both shapes", "[shape]") {
  CHECK(error_of([] { broadcast_shapes("add", S({64, 784}), S({256})); }) ==
        "add: cannot broadcast shapes [64,784] and [256]: dimension 1 is 784 in the first and 256 in the second");
  CHECK(error_of([] { broadcast_shapes("mul", S({3}), S({2, 4})); }) ==
        "mul: cannot broadcast shapes [3] and [2,4]: dimension 1 is 3 in the first and 4 in the second");
  CHECK(error_of([] { broadcast_shapes("max", S({2, 1}), S({8, 4, 3})); }) ==
        "max: cannot broadcast shapes [2,1] and [8,4,3]: dimension 1 is 2 in the first and 4 in the second");
  CHECK(error_of([] { broadcast_shapes("add", S({0}), S({3})); }) ==
        "add: cannot broadcast shapes [0] and [3]: dimension 0 is 0 in the first and 3 in the second");
}

TEST_CASE("broadcast_axes names the axes to sum", "[shape]") {
  auto check = [](Shape from, Shape to, std::vector<int> axes) {
    const auto r = broadcast_axes(from, to);
    CHECK(r.sum_axes == axes);
    CHECK(r.reshaped_to == from);
  };
  check(S({784}), S({64, 784}), {0});
  check(S({64, 1}), S({64, 256}), {1});
  check(S({1, 5}), S({2, 3, 5}), {0, 1});
  check(S({}), S({2, 3}), {0, 1});
  check(S({2, 3}), S({2, 3}), {});
  check(S({1, 1}), S({1, 1}), {});
  CHECK(broadcast_axes(S({1, 10}), S({B, 10})).sum_axes == std::vector<int>{0});
  CHECK(broadcast_axes(S({B, 10}), S({B, 10})).sum_axes.empty());
  CHECK(error_of([] { broadcast_axes(S({3}), S({1})); }) == "broadcast: shape [3] does not broadcast to [1]");
  CHECK(error_of([] { broadcast_axes(S({2, 3}), S({3})); }) == "broadcast: shape [2,3] does not broadcast to [3]");
  CHECK(error_of([] { broadcast_axes(S({B}), S({N}), &kNames); }) == "broadcast: shape [B] does not broadcast to [N]");
}

TEST_CASE("broadcast_axes inverts a broadcast on random shapes", "[shape]") {
  std::mt19937 rng(1234);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 500; ++trial) {
    // `from` with some unit dims; `to` stretches those units and adds leading dims.
    Shape from, to;
    for (int i = pick(0, 4); i > 0; --i) from.dims.push_back(pick(0, 2) == 0 ? 1 : pick(1, 5));
    for (int i = pick(0, 3); i > 0; --i) to.dims.push_back(pick(1, 4));
    for (Dim d : from.dims) to.dims.push_back(d == 1 ? pick(1, 4) : d);
    INFO(to_string(from) << " -> " << to_string(to));
    REQUIRE(broadcast_shapes("add", from, to) == to);

    const auto r = broadcast_axes(from, to);
    if (r.sum_axes.empty()) {  // empty axes would mean "all" to reduce_shape
      CHECK(from == to);
      continue;
    }
    // The VJP as the header describes it: sum without keepdims, then reshape.
    const Shape summed = reduce_shape("sum", to, r.sum_axes, false);
    CHECK(reshape_shape(summed, r.reshaped_to.dims) == from);
    // With keepdims the sum is `from` behind the leading unit dims that `to` added.
    const Shape kept = reduce_shape("sum", to, r.sum_axes, true);
    const int lead = to.rank() - from.rank();
    CHECK(Shape{{kept.dims.begin() + lead, kept.dims.end()}} == from);
    for (int i = 0; i < lead; ++i) CHECK(kept.dims[i] == 1);
  }
}

TEST_CASE("matmul_shape follows numpy.matmul", "[shape]") {
  struct Row { std::vector<int64_t> a, b, out; };
  const std::vector<Row> rows = {
      {{4}, {4}, {}},
      {{3, 4}, {4, 5}, {3, 5}},
      {{3, 4}, {4}, {3}},
      {{4}, {4, 5}, {5}},
      {{64, 784}, {784, 256}, {64, 256}},
      {{2, 3, 4}, {4, 5}, {2, 3, 5}},
      {{4}, {2, 4, 5}, {2, 5}},
      {{2, 3, 4}, {4}, {2, 3}},
      {{2, 1, 3, 4}, {5, 4, 6}, {2, 5, 3, 6}},
      {{7, 1, 3, 4}, {1, 6, 4, 2}, {7, 6, 3, 2}},
      {{0, 4}, {4, 0}, {0, 0}},
  };
  for (const auto& r : rows) {
    INFO(to_string(S(r.a)) << " @ " << to_string(S(r.b)));
    CHECK(matmul_shape(S(r.a), S(r.b)) == S(r.out));
  }
  CHECK(matmul_shape(S({B, 784}), S({784, 256}), &kNames) == S({B, 256}));
  CHECK(matmul_shape(S({B, N}), S({N, 3}), &kNames) == S({B, 3}));
}

TEST_CASE("matmul_shape errors name both shapes and the contracted dims", "[shape]") {
  CHECK(error_of([] { matmul_shape(S({64, 784}), S({256, 128})); }) ==
        "matmul: [64,784] @ [256,128]: inner dimensions 784 and 256 differ");
  CHECK(error_of([] { matmul_shape(S({3}), S({4})); }) == "matmul: [3] @ [4]: inner dimensions 3 and 4 differ");
  CHECK(error_of([] { matmul_shape(S({B, N}), S({B, 3}), &kNames); }) ==
        "matmul: [B,N] @ [B,3]: inner dimensions N and B differ");
  CHECK(error_of([] { matmul_shape(S({2, 3, 4}), S({5, 4, 6})); }) ==
        "matmul: [2,3,4] @ [5,4,6]: batch dimensions [2] and [5] do not broadcast");
  CHECK(error_of([] { matmul_shape(S({}), S({3})); }) ==
        "matmul: [] @ [3]: operands must have at least one dimension (use * to scale)");
}

TEST_CASE("reduce_shape with keepdims and negative axes", "[shape]") {
  const Shape a = S({2, 3, 4});
  CHECK(reduce_shape("sum", a, {}, false) == S({}));
  CHECK(reduce_shape("sum", a, {}, true) == S({1, 1, 1}));
  CHECK(reduce_shape("sum", a, {1}, false) == S({2, 4}));
  CHECK(reduce_shape("sum", a, {1}, true) == S({2, 1, 4}));
  CHECK(reduce_shape("sum", a, {-1}, false) == S({2, 3}));
  CHECK(reduce_shape("sum", a, {-1, 0}, true) == S({1, 3, 1}));
  CHECK(reduce_shape("sum", a, {0, 1, 2}, false) == S({}));
  CHECK(reduce_shape("sum", S({}), {}, false) == S({}));
  CHECK(reduce_shape("reduce_max", S({B, 10}), {1}, true, &kNames) == S({B, 1}));
}

TEST_CASE("reduce_shape errors", "[shape]") {
  CHECK(error_of([] { reduce_shape("sum", S({3, 4}), {2}, false); }) ==
        "sum: axis 2 is out of range for shape [3,4] (rank 2)");
  CHECK(error_of([] { reduce_shape("reduce_max", S({3, 4}), {-3}, false); }) ==
        "reduce_max: axis -3 is out of range for shape [3,4] (rank 2)");
  CHECK(error_of([] { reduce_shape("sum", S({3, 4}), {1, -1}, false); }) ==
        "sum: axis -1 is repeated in (1,-1) for shape [3,4]");
  CHECK(error_of([] { reduce_shape("sum", S({}), {0}, false); }) ==
        "sum: axis 0 is out of range for shape [] (rank 0)");
}

TEST_CASE("transpose_shape", "[shape]") {
  CHECK(transpose_shape(S({})) == S({}));
  CHECK(transpose_shape(S({3})) == S({3}));
  CHECK(transpose_shape(S({784, 256})) == S({256, 784}));
  CHECK(transpose_shape(S({2, 3, 4})) == S({4, 3, 2}));
  CHECK(transpose_shape(S({2, 3, 4}), {0, 2, 1}) == S({2, 4, 3}));
  CHECK(transpose_shape(S({2, 3, 4}), {-1, 0, 1}) == S({4, 2, 3}));
  CHECK(transpose_shape(S({B, 3}), {}, &kNames) == S({3, B}));
  CHECK(error_of([] { transpose_shape(S({2, 3}), {0}); }) ==
        "transpose: permutation (0) has 1 entries but shape [2,3] has rank 2");
  CHECK(error_of([] { transpose_shape(S({2, 3}), {0, 0}); }) == "transpose: axis 0 is repeated in (0,0) for shape [2,3]");
  CHECK(error_of([] { transpose_shape(S({2, 3}), {0, 2}); }) ==
        "transpose: axis 2 is out of range for shape [2,3] (rank 2)");
}

TEST_CASE("reshape_shape", "[shape]") {
  CHECK(reshape_shape(S({2, 3, 4}), {6, 4}) == S({6, 4}));
  CHECK(reshape_shape(S({2, 3, 4}), {-1}) == S({24}));
  CHECK(reshape_shape(S({2, 3, 4}), {4, -1}) == S({4, 6}));
  CHECK(reshape_shape(S({2, 3, 4}), {2, -1, 1, 3}) == S({2, 4, 1, 3}));
  CHECK(reshape_shape(S({}), {1, 1}) == S({1, 1}));
  CHECK(reshape_shape(S({1, 1}), {}) == S({}));
  CHECK(reshape_shape(S({0, 3}), {3, 0}) == S({3, 0}));
  CHECK(reshape_shape(S({0, 3}), {-1, 3}) == S({0, 3}));
}

TEST_CASE("reshape_shape errors name both shapes", "[shape]") {
  CHECK(error_of([] { reshape_shape(S({2, 3}), {4, 2}); }) ==
        "reshape: cannot reshape [2,3] (6 elements) into [4,2] (8 elements)");
  CHECK(error_of([] { reshape_shape(S({2, 3}), {4, -1}); }) == "reshape: cannot reshape [2,3] (6 elements) into [4,-1]");
  CHECK(error_of([] { reshape_shape(S({0, 3}), {0, -1}); }) == "reshape: cannot reshape [0,3] (0 elements) into [0,-1]");
  CHECK(error_of([] { reshape_shape(S({2, 3}), {-1, -1}); }) == "reshape: [2,3] into [-1,-1]: only one dimension can be -1");
  CHECK(error_of([] { reshape_shape(S({2, 3}), {-2, 3}); }) ==
        "reshape: [2,3] into [-2,3]: dimension 0 is -2; only -1 (infer) may be negative");
  CHECK(error_of([] { reshape_shape(S({B, 784}), {-1}, &kNames); }) ==
        "reshape: [B,784] into [-1]: reshape of a symbolic dim is not supported yet");
}

TEST_CASE("element_count checks overflow and symbols", "[shape]") {
  CHECK(element_count(S({})) == 1);
  CHECK(element_count(S({64, 784})) == 50176);
  CHECK(element_count(S({1LL << 62, 1LL << 62, 0})) == 0);
  CHECK(element_count(S({3037000499, 3037000499})) == 9223372030926249001);  // just below 2^63
  CHECK(error_of([] { element_count(S({1LL << 32, 1LL << 31})); }) ==
        "element_count: shape [4294967296,2147483648] has more than 9223372036854775807 elements");
  CHECK(error_of([] { element_count(S({B, 3}), &kNames); }) == "element_count: shape [B,3] has a symbolic dim");
  CHECK(error_of([] { reshape_shape(S({1LL << 32, 1LL << 31}), {-1}); }) ==
        "element_count: shape [4294967296,2147483648] has more than 9223372036854775807 elements");
}
