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
#include "ir/bind_dims.h"
#include "ir/nn.h"
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
  auto grads = passes::append_gradients(c.g, c.loss, c.xs).wrt;
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

TEST_CASE("neural-network functions: values stable, gradients match finite differences", "[tensor][fd][nn]") {
  namespace nn = ir::nn;
  check_gradients("softmax", {{{3, 4}}}, [](ir::Builder& b, auto x) { return nn::softmax(b, x[0]); });
  check_gradients("softmax axis 0", {{{3, 4}}}, [](ir::Builder& b, auto x) { return nn::softmax(b, x[0], 0); });
  check_gradients("log_softmax", {{{2, 5}}}, [](ir::Builder& b, auto x) { return nn::log_softmax(b, x[0]); });
  check_gradients("logsumexp", {{{2, 5}}}, [](ir::Builder& b, auto x) { return nn::logsumexp(b, x[0]); });
  check_gradients("leaky_relu", {{{7}}}, [](ir::Builder& b, auto x) { return nn::leaky_relu(b, x[0], 0.1); });
  check_gradients("gelu", {{{7}}}, [](ir::Builder& b, auto x) { return nn::gelu(b, x[0]); });
  check_gradients("mse", {{{3, 2}}, {{3, 2}}}, [](ir::Builder& b, auto x) { return nn::mse(b, x[0], x[1]); });
  check_gradients("bce", {{{4}}, {{4}}}, [](ir::Builder& b, auto x) {
    return nn::bce(b, b.unary(ir::Op::Sigmoid, x[0]), b.unary(ir::Op::Sigmoid, x[1]));
  });
  check_gradients("bce_with_logits", {{{2, 3}}, {{2, 3}}},
                  [](ir::Builder& b, auto x) { return nn::bce_with_logits(b, x[0], x[1]); });
  check_gradients("cross_entropy on probabilities", {{{3, 4}}, {{3, 4}}}, [](ir::Builder& b, auto x) {
    return nn::cross_entropy(b, x[0], nn::softmax(b, x[1]));
  });
}

TEST_CASE("cross_entropy with class indices is the mean negative log-likelihood", "[tensor][nn]") {
  ir::Graph g;
  ir::Builder b(g);
  NodeId z = b.input("z", Shape{{2, 3}});
  NodeId y = b.input("y", Shape{{2}});
  g[y].integer = true;
  NodeId loss = ir::nn::cross_entropy(b, z, y);
  g.outputs.push_back({"loss", loss});
  auto grads = passes::append_gradients(g, loss, {z}).wrt;
  g.outputs.push_back({"dz", grads[0]});
  REQUIRE(ir::verify(g).empty());
  // Huge logits: the max shift keeps exp from overflowing.
  std::vector<Tensor> at = {{{2, 3}, {1, 2, 3, 1000, 0, -1000}}, {{2}, {2, 0}}};
  auto out = runtime::interpret_tensors(g, at);
  const double lse0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  CHECK(out[0].data[0] == Approx((lse0 - 3 + 0) / 2).epsilon(1e-14));
  // d/dz = (softmax(z) − onehot(y)) / batch
  CHECK(out[1].data[2] == Approx((std::exp(3 - lse0) - 1) / 2).epsilon(1e-14));
  CHECK(out[1].data[3] == Approx(0).margin(1e-300));
  CHECK_THROWS_WITH(ir::nn::cross_entropy(b, z, b.input("bad", Shape{{3}})),
                    Catch::Contains("[2,3]") && Catch::Contains("[3]") && Catch::Contains("cross_entropy"));
}

TEST_CASE("symbolic dims: checked once, bound later, counts filled in", "[tensor][dims]") {
  ir::Graph g;
  g.dim_names.names = {"B"};
  ir::Builder b(g);
  NodeId x = b.input("x", Shape{{ir::symbol_dim(0), 3}});
  NodeId w = b.input("w", Shape{{3, 2}});
  NodeId loss = b.mean(b.matmul(x, w));
  g.outputs.push_back({"loss", loss});
  CHECK(g.type_string(x) == "f64[B,3]");
  CHECK(ir::symbols_used(g) == std::vector<std::string>{"B"});
  CHECK_THROWS_WITH(ir::bind_dims(g, {}), Catch::Contains("dimension B is not bound"));
  ir::Graph bound = ir::bind_dims(g, {{"B", 2}});
  REQUIRE(ir::verify(bound).empty());
  CHECK(bound.type_string(bound.find_input("x")) == "f64[2,3]");
  std::vector<Tensor> at = {{{2, 3}, {1, 2, 3, 4, 5, 6}}, {{3, 2}, {1, 0, 0, 1, 1, 1}}};
  CHECK(runtime::interpret_tensors(bound, at)[0].data[0] == Approx((4 + 5 + 10 + 11) / 4.0));
  // A symbol clashes with a number and with another symbol.
  NodeId v = b.input("v", Shape{{4}});
  CHECK_THROWS_WITH(b.add(x, v), Catch::Contains("[B,3]") && Catch::Contains("[4]"));
}
