// tests/unit/tensor_rules_fd_test.cpp — the tensor ops' values and adjoints.
//
// Each case builds y = op(inputs) on random shapes and values, takes the
// gradient of L = sum(y · r) for a random weight tensor r (so every element of
// the adjoint matters), and compares it with central differences of L through
// the interpreter, element by element, in double precision.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <random>

#include "ir/builder.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "runtime/interpreter.h"

using namespace gradc;
using ir::NodeId;
using ir::Shape;
using runtime::Tensor;

namespace {

using BuildFn = std::function<NodeId(ir::Builder&, const std::vector<NodeId>&)>;

Tensor random_tensor(const Shape& s, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-2, 2);
  Tensor t{s.dims, {}};
  int64_t n = 1;
  for (int64_t d : s.dims) n *= d;
  for (int64_t i = 0; i < n; ++i) t.data.push_back(u(rng));
  return t;
}

struct Case {
  ir::Graph g;
  std::vector<NodeId> xs;
  NodeId loss = ir::kNoNode;
};

Case build(const std::vector<Shape>& shapes, const BuildFn& f) {
  Case c;
  ir::Builder b(c.g);
  for (size_t i = 0; i < shapes.size(); ++i) c.xs.push_back(b.input(fmt::format("x{}", i), shapes[i]));
  NodeId y = f(b, c.xs);
  NodeId r = b.input("r", b.shape(y));
  c.loss = b.sum(b.mul(y, r));
  c.g.outputs.push_back({"L", c.loss});
  auto grads = passes::append_gradients(c.g, c.loss, c.xs);
  for (size_t i = 0; i < grads.size(); ++i) c.g.outputs.push_back({fmt::format("dL/dx{}", i), grads[i]});
  return c;
}

void check_gradients(const std::string& what, const std::vector<Shape>& shapes, const BuildFn& f,
                     uint64_t seed = 1) {
  Case c = build(shapes, f);
  INFO(what << "\n" << ir::print(c.g));
  REQUIRE(ir::verify(c.g).empty());
  std::mt19937_64 rng(seed);
  std::vector<Tensor> at;
  for (NodeId id : c.g.inputs()) at.push_back(random_tensor(c.g[id].shape, rng));
  const std::vector<Tensor> out = runtime::interpret_tensors(c.g, at);
  auto loss_at = [&](const std::vector<Tensor>& v) { return runtime::interpret_tensors(c.g, v)[0].data[0]; };
  for (size_t i = 0; i < c.xs.size(); ++i) {
    const Tensor& grad = out[1 + i];
    REQUIRE(grad.shape == shapes[i].dims);
    for (size_t k = 0; k < grad.data.size(); ++k) {
      auto plus = at, minus = at;
      const double h = 1e-6;
      plus[i].data[k] += h;
      minus[i].data[k] -= h;
      const double fd = (loss_at(plus) - loss_at(minus)) / (2 * h);
      INFO(fmt::format("d/dx{} element {}", i, k));
      CHECK(grad.data[k] == Approx(fd).epsilon(1e-6).margin(1e-7));
    }
  }
}

}  // namespace

TEST_CASE("elementwise ops broadcast, and their adjoints sum over the broadcast axes", "[tensor][fd]") {
  check_gradients("add [3,1] + [4]", {{{3, 1}}, {{4}}}, [](ir::Builder& b, auto x) { return b.add(x[0], x[1]); });
  check_gradients("mul [2,3] * [3]", {{{2, 3}}, {{3}}}, [](ir::Builder& b, auto x) { return b.mul(x[0], x[1]); });
  check_gradients("div [] / [2,2]", {{{}}, {{2, 2}}},
                  [](ir::Builder& b, auto x) { return b.div(x[0], b.add(b.unary(ir::Op::Exp, x[1]), x[0])); });
  check_gradients("max [2,1,3] vs [4,1]", {{{2, 1, 3}}, {{4, 1}}},
                  [](ir::Builder& b, auto x) { return b.binary(ir::Op::Max, x[0], x[1]); });
  check_gradients("tanh of [2,3,2]", {{{2, 3, 2}}}, [](ir::Builder& b, auto x) { return b.unary(ir::Op::Tanh, x[0]); });
  check_gradients("erf of [5]", {{{5}}}, [](ir::Builder& b, auto x) { return b.unary(ir::Op::Erf, x[0]); });
}

TEST_CASE("broadcast, reshape and transpose move adjoints back", "[tensor][fd]") {
  check_gradients("broadcast [3,1] to [2,3,4]", {{{3, 1}}},
                  [](ir::Builder& b, auto x) { return b.broadcast_to(x[0], Shape{{2, 3, 4}}); });
  check_gradients("reshape [2,6] to [3,-1]", {{{2, 6}}}, [](ir::Builder& b, auto x) { return b.reshape(x[0], {3, -1}); });
  check_gradients("transpose [2,3,4] by (2,0,1)", {{{2, 3, 4}}},
                  [](ir::Builder& b, auto x) { return b.transpose(x[0], {2, 0, 1}); });
  check_gradients("x.T of [3,5]", {{{3, 5}}}, [](ir::Builder& b, auto x) { return b.transpose(x[0]); });
}

TEST_CASE("reductions: sum, max and mean over axes, with and without keepdims", "[tensor][fd]") {
  check_gradients("sum axis 1", {{{2, 3, 4}}}, [](ir::Builder& b, auto x) { return b.sum(x[0], {1}); });
  check_gradients("sum axes 0,2 keepdims", {{{2, 3, 4}}}, [](ir::Builder& b, auto x) { return b.sum(x[0], {0, -1}, true); });
  check_gradients("sum all", {{{2, 3}}}, [](ir::Builder& b, auto x) { return b.sum(x[0]); });
  check_gradients("max axis -1", {{{3, 4}}}, [](ir::Builder& b, auto x) { return b.reduce_max(x[0], {-1}); });
  check_gradients("max all keepdims", {{{3, 4}}}, [](ir::Builder& b, auto x) { return b.reduce_max(x[0], {}, true); });
  check_gradients("mean axis 0", {{{3, 4}}}, [](ir::Builder& b, auto x) { return b.mean(x[0], {0}); });
}

TEST_CASE("matmul: matrices, vectors and broadcast batches", "[tensor][fd]") {
  auto mm = [](ir::Builder& b, auto x) { return b.matmul(x[0], x[1]); };
  check_gradients("[3,4]@[4,5]", {{{3, 4}}, {{4, 5}}}, mm);
  check_gradients("[4]@[4,5]", {{{4}}, {{4, 5}}}, mm);
  check_gradients("[3,4]@[4]", {{{3, 4}}, {{4}}}, mm);
  check_gradients("[4]@[4]", {{{4}}, {{4}}}, mm);
  check_gradients("[2,3,4]@[4,5]", {{{2, 3, 4}}, {{4, 5}}}, mm);
  check_gradients("[2,1,3,4]@[5,4,2]", {{{2, 1, 3, 4}}, {{5, 4, 2}}}, mm);
}

TEST_CASE("tensor values match their definitions", "[tensor]") {
  ir::Graph g;
  ir::Builder b(g);
  NodeId x = b.input("x", Shape{{2, 3}});
  NodeId w = b.input("w", Shape{{3, 2}});
  NodeId labels = b.input("labels", Shape{{3}});
  g.outputs = {{"mm", b.matmul(x, w)}, {"t", b.transpose(x)}, {"s", b.sum(x, {0})},
               {"m", b.reduce_max(x, {1}, true)}, {"oh", b.one_hot(labels, 3)}};
  REQUIRE(ir::verify(g).empty());
  std::vector<Tensor> at = {{{2, 3}, {1, 2, 3, 4, 5, 6}}, {{3, 2}, {1, 0, 0, 1, 1, 1}}, {{3}, {2, 0, 7}}};
  auto out = runtime::interpret_tensors(g, at);
  CHECK(out[0] == Tensor{{2, 2}, {4, 5, 10, 11}});
  CHECK(out[1] == Tensor{{3, 2}, {1, 4, 2, 5, 3, 6}});
  CHECK(out[2] == Tensor{{3}, {5, 7, 9}});
  CHECK(out[3] == Tensor{{2, 1}, {3, 6}});
  // An out-of-range label gives a NaN row, never a silent zero.
  CHECK(std::vector<double>(out[4].data.begin(), out[4].data.begin() + 6) == std::vector<double>{0, 0, 1, 1, 0, 0});
  CHECK(std::isnan(out[4].data[6]));
}

TEST_CASE("shape errors name the op and both shapes", "[tensor][shape]") {
  ir::Graph g;
  ir::Builder b(g);
  NodeId x = b.input("x", Shape{{64, 784}});
  NodeId w = b.input("w", Shape{{256, 10}});
  CHECK_THROWS_WITH(b.matmul(x, w), Catch::Contains("[64,784]") && Catch::Contains("[256,10]") &&
                                        Catch::Contains("matmul"));
  CHECK_THROWS_WITH(b.add(x, w), Catch::Contains("add") && Catch::Contains("[64,784]") && Catch::Contains("[256,10]"));
  CHECK_THROWS_AS(b.sum(x, {2}), ir::ShapeError);
}
