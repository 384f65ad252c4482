// tests/unit/codegen_tensor_test.cpp — compiled tensor graphs against the reference interpreter.
//
// Each case builds a graph, runs compile_tensors' code and runtime::interpret_tensors on
// the same random inputs and compares every output element: f64 within 1e-12 relative
// (summation order differs: the JIT vectorises sums and calls a blocked GEMM), f32 within
// 1e-5 relative. Both also allow a margin of the same relative size times the largest
// magnitude in that output, for elements that cancel to near 0.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <thread>

#include "codegen/codegen.h"
#include "ir/builder.h"
#include "ir/kernel.h"
#include "ir/nn.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "passes/pass_manager.h"
#include "runtime/gemm.h"
#include "runtime/interpreter.h"

using namespace gradc;
using ir::DType;
using ir::NodeId;
using ir::Op;
using ir::Shape;
using runtime::Tensor;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

int64_t count(const std::vector<int64_t>& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

Tensor random_tensor(const std::vector<int64_t>& shape, std::mt19937_64& rng, double lo = -2, double hi = 2) {
  std::uniform_real_distribution<double> u(lo, hi);
  Tensor t{shape, {}};
  for (int64_t i = 0; i < count(shape); ++i) t.data.push_back(u(rng));
  return t;
}

std::vector<Tensor> random_inputs(const ir::Graph& g, std::mt19937_64& rng) {
  std::vector<Tensor> at;
  for (NodeId id : g.inputs()) at.push_back(random_tensor(g[id].shape.dims, rng));
  return at;
}

// Runs the compiled function on `inputs` (converted to T), outputs widened to double. The
// inputs in `by_rows` are passed as row tables (CodegenOptions::inputs_by_rows) over rows
// stored in reverse order, each 2 columns into a stride of NaN, as a shuffled batch lies.
template <class T>
std::vector<Tensor> run_as(const codegen::CompiledTensorFunction& fn, const ir::Graph& g,
                           const std::vector<Tensor>& inputs, const std::vector<NodeId>& by_rows = {}) {
  std::vector<std::vector<T>> in, out, scattered;
  std::vector<std::vector<const T*>> tables;
  for (const Tensor& t : inputs) in.emplace_back(t.data.begin(), t.data.end());
  for (const ir::Output& o : g.outputs) out.emplace_back(static_cast<size_t>(count(g[o.id].shape.dims)), T(-777));
  std::vector<const T*> in_ptrs;
  std::vector<T*> out_ptrs;
  for (size_t i = 0; i < in.size(); ++i) {
    if (std::find(by_rows.begin(), by_rows.end(), g.inputs()[i]) == by_rows.end()) {
      in_ptrs.push_back(in[i].data());
      continue;
    }
    const int64_t rows = inputs[i].shape[0], cols = inputs[i].shape[1], stride = cols + 5;
    std::vector<T>& store = scattered.emplace_back(static_cast<size_t>(rows * stride), T(kNaN));
    std::vector<const T*>& table = tables.emplace_back();
    for (int64_t r = 0; r < rows; ++r) {
      T* row = store.data() + (rows - 1 - r) * stride + 2;
      std::copy_n(in[i].data() + r * cols, cols, row);
      table.push_back(row);
    }
    in_ptrs.push_back(reinterpret_cast<const T*>(table.data()));
  }
  for (auto& v : out) out_ptrs.push_back(v.data());
  fn.run(in_ptrs.data(), out_ptrs.data());
  std::vector<Tensor> res;
  for (size_t k = 0; k < out.size(); ++k)
    res.push_back(Tensor{g[g.outputs[k].id].shape.dims, std::vector<double>(out[k].begin(), out[k].end())});
  return res;
}

std::vector<Tensor> run_compiled(const ir::Graph& g, DType t, const std::vector<Tensor>& inputs,
                                 const codegen::CodegenOptions& extra = {}) {
  codegen::CodegenOptions opts = extra;
  opts.dtype = t;
  codegen::CompiledTensorFunction fn = codegen::compile_tensors(g, opts);
  REQUIRE(fn.num_inputs() == g.inputs().size());
  REQUIRE(fn.num_outputs() == g.outputs.size());
  return t == DType::F64 ? run_as<double>(fn, g, inputs, opts.inputs_by_rows)
                         : run_as<float>(fn, g, inputs, opts.inputs_by_rows);
}

double tolerance(DType t) { return t == DType::F64 ? 1e-12 : 1e-5; }

// got vs want element by element (both NaN matches; an infinity must match exactly).
void check_close(const std::string& what, const Tensor& got, const Tensor& want, DType t, double tol_scale = 1) {
  REQUIRE(got.shape == want.shape);
  double scale = 0;
  for (double w : want.data)
    if (std::isfinite(w)) scale = std::max(scale, std::fabs(w));
  const double rtol = tolerance(t) * tol_scale;
  size_t bad = 0;
  for (size_t i = 0; i < got.data.size(); ++i) {
    const double g = got.data[i], w = want.data[i];
    bool ok;
    if (std::isnan(g) || std::isnan(w)) ok = std::isnan(g) && std::isnan(w);
    else if (std::isinf(g) || std::isinf(w)) ok = g == w;
    else ok = std::fabs(g - w) <= rtol * (std::fabs(w) + scale) || std::fabs(g - w) < std::numeric_limits<float>::min();
    if (!ok && bad++ < 5) FAIL_CHECK(fmt::format("{}: element {}: got {} want {}", what, i, g, w));
  }
  CHECK(bad == 0);
}

// Interpreter vs JIT on the given inputs (random ones if empty), in the graph's dtype.
void check_graph(const std::string& what, const ir::Graph& g, std::vector<Tensor> inputs = {}, uint64_t seed = 1,
                 double tol_scale = 1, const codegen::CodegenOptions& opts = {}) {
  INFO(what << "\n" << ir::print(g));
  REQUIRE(ir::verify(g).empty());
  std::mt19937_64 rng(seed);
  if (inputs.empty()) inputs = random_inputs(g, rng);
  const DType t = g.size() > 0 ? g[g.size() - 1].dtype : DType::F64;
  const std::vector<Tensor> want = runtime::interpret_tensors(g, inputs);
  const std::vector<Tensor> got = run_compiled(g, t, inputs, opts);
  for (size_t k = 0; k < want.size(); ++k) check_close(what + " output " + g.outputs[k].name, got[k], want[k], t, tol_scale);
  // The same graph in kernel form: fused loops and a reused workspace (passes/fuse.cpp,
  // passes/plan_memory.cpp) must give the same values.
  passes::PassContext ctx;
  const ir::Graph fused = passes::PassManager({"fuse", "plan-memory"}).run(g, ctx);
  INFO("kernels:\n" << ir::print_kernels(fused));
  REQUIRE_FALSE(fused.kernels.empty());
  CHECK(ir::check_memory_plan(fused, fused.memory).empty());
  codegen::CodegenOptions fused_opts = opts;  // the same inputs, found by name in the fused graph
  for (NodeId& id : fused_opts.inputs_by_rows)
    for (NodeId f : fused.inputs())
      if (fused[f].name == g[id].name) id = f;
  const std::vector<Tensor> got_fused = run_compiled(fused, t, inputs, fused_opts);
  for (size_t k = 0; k < want.size(); ++k)
    check_close(what + " (fused) output " + g.outputs[k].name, got_fused[k], want[k], t, tol_scale);
}

using BuildFn = std::function<NodeId(ir::Builder&, const std::vector<NodeId>&)>;

// A Reshape node made directly, so that these tests exercise codegen's Reshape whatever
// the builder's shape checks do (they are tested with the builder).
NodeId reshape(ir::Builder& b, NodeId a, std::vector<int64_t> dims) {
  ir::Node n;
  n.op = Op::Reshape;
  n.dtype = b.dtype();
  n.shape = Shape{std::move(dims)};
  n.inputs = {a};
  return b.graph().add(std::move(n));
}

// y = f(x0, x1, ...) as the only output, in both dtypes.
void check_op(const std::string& what, const std::vector<Shape>& shapes, const BuildFn& f, uint64_t seed = 1) {
  for (DType t : {DType::F64, DType::F32}) {
    ir::Graph g;
    ir::Builder b(g, t);
    std::vector<NodeId> xs;
    for (size_t i = 0; i < shapes.size(); ++i) xs.push_back(b.input(fmt::format("x{}", i), shapes[i]));
    g.outputs.push_back({"y", f(b, xs)});
    check_graph(what + (t == DType::F64 ? " f64" : " f32"), g, {}, seed);
  }
}

// y = f(xs), then L = sum(y · r) and dL/dx for every x: the values and the gradients.
void check_with_gradients(const std::string& what, const std::vector<Shape>& shapes, const BuildFn& f,
                          uint64_t seed = 1, double f32_scale = 1) {
  for (DType t : {DType::F64, DType::F32}) {
    ir::Graph g;
    ir::Builder b(g, t);
    std::vector<NodeId> xs;
    for (size_t i = 0; i < shapes.size(); ++i) xs.push_back(b.input(fmt::format("x{}", i), shapes[i]));
    NodeId y = f(b, xs);
    NodeId r = b.input("r", b.shape(y));
    NodeId loss = b.sum(b.mul(y, r));
    g.outputs = {{"y", y}, {"L", loss}};
    auto grads = passes::append_gradients(g, loss, xs).wrt;
    for (size_t i = 0; i < grads.size(); ++i) g.outputs.push_back({fmt::format("dL/dx{}", i), grads[i]});
    check_graph(what + (t == DType::F64 ? " f64" : " f32"), g, {}, seed, t == DType::F32 ? f32_scale : 1);
  }
}

}  // namespace

TEST_CASE("tensor JIT: every elementwise op on broadcast operands", "[codegen][tensor]") {
  for (int i = 0; i < ir::kOpCount; ++i) {
    const Op op = static_cast<Op>(i);
    if (!ir::is_elementwise(op)) continue;
    const std::string name(ir::mnemonic(op));
    const int n = ir::arity(op);
    if (n == 1) {
      check_op(name + " [3,5]", {Shape{{3, 5}}}, [op](ir::Builder& b, auto x) { return b.unary(op, x[0]); });
      check_op(name + " [37]", {Shape{{37}}}, [op](ir::Builder& b, auto x) { return b.unary(op, x[0]); });
    } else if (n == 2) {
      check_op(name + " [3,1] [1,4]", {Shape{{3, 1}}, Shape{{1, 4}}},
               [op](ir::Builder& b, auto x) { return b.binary(op, x[0], x[1]); });
      check_op(name + " [2,3,4] [4]", {Shape{{2, 3, 4}}, Shape{{4}}},
               [op](ir::Builder& b, auto x) { return b.binary(op, x[0], x[1]); });
      check_op(name + " [] [5,2]", {Shape{}, Shape{{5, 2}}},
               [op](ir::Builder& b, auto x) { return b.binary(op, x[0], x[1]); });
    } else {
      check_op(name + " [3,1] [4] [2,3,4]", {Shape{{3, 1}}, Shape{{4}}, Shape{{2, 3, 4}}},
               [op](ir::Builder& b, auto x) { return b.make(op, {b.unary(Op::Step, x[0]), x[1], x[2]}); });
    }
  }
}

TEST_CASE("tensor JIT: [3,1] + [1,4] is the outer sum (broadcast strides)", "[codegen][tensor]") {
  for (DType t : {DType::F64, DType::F32}) {
    ir::Graph g;
    ir::Builder b(g, t);
    NodeId a = b.input("a", Shape{{3, 1}}), c = b.input("c", Shape{{1, 4}});
    g.outputs.push_back({"y", b.add(a, c)});
    g.outputs.push_back({"z", b.mul(c, b.constant(2))});  // [1,4] times a constant
    std::vector<Tensor> at = {{{3, 1}, {100, 200, 300}}, {{1, 4}, {1, 2, 3, 4}}};
    std::vector<Tensor> got = run_compiled(g, t, at);
    CHECK(got[0] == Tensor{{3, 4}, {101, 102, 103, 104, 201, 202, 203, 204, 301, 302, 303, 304}});
    CHECK(got[1] == Tensor{{1, 4}, {2, 4, 6, 8}});
    check_graph("outer sum", g, at);
  }
}

TEST_CASE("tensor JIT: broadcast, reshape, transpose", "[codegen][tensor]") {
  check_op("broadcast [3,1] to [2,3,4]", {Shape{{3, 1}}},
           [](ir::Builder& b, auto x) { return b.broadcast_to(x[0], Shape{{2, 3, 4}}); });
  check_op("broadcast [] to [5]", {Shape{}}, [](ir::Builder& b, auto x) { return b.broadcast_to(x[0], Shape{{5}}); });
  check_op("reshape [2,6] to [3,4] as output", {Shape{{2, 6}}},
           [](ir::Builder& b, auto x) { return reshape(b, x[0], {3, 4}); });
  check_op("reshape as an alias, then used", {Shape{{2, 6}}},
           [](ir::Builder& b, auto x) { return b.unary(Op::Exp, reshape(b, b.neg(x[0]), {4, 3})); });
  check_op("transpose [2,3,4] by (2,0,1)", {Shape{{2, 3, 4}}},
           [](ir::Builder& b, auto x) { return b.transpose(x[0], {2, 0, 1}); });
  check_op("transpose [2,3,4] by (0,2,1)", {Shape{{2, 3, 4}}},
           [](ir::Builder& b, auto x) { return b.transpose(x[0], {0, 2, 1}); });
  check_op("x.T of [33,17]", {Shape{{33, 17}}}, [](ir::Builder& b, auto x) { return b.transpose(x[0]); });
  check_op("stop_gradient of a product", {Shape{{4, 3}}},
           [](ir::Builder& b, auto x) { return b.stop_gradient(b.mul(x[0], x[0])); });
}

TEST_CASE("tensor JIT: sum and reduce_max over axes", "[codegen][tensor]") {
  const Shape s{{3, 4, 5}};
  for (bool keep : {false, true}) {
    for (std::vector<int> axes : std::vector<std::vector<int>>{{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {}}) {
      std::string what = fmt::format("axes {} keepdims {}", fmt::join(axes, ","), keep);
      check_op("sum " + what, {s}, [&](ir::Builder& b, auto x) { return b.sum(x[0], axes, keep); });
      check_op("max " + what, {s}, [&](ir::Builder& b, auto x) { return b.reduce_max(x[0], axes, keep); });
    }
  }
  check_op("sum with unit axes", {Shape{{2, 1, 3, 1}}}, [](ir::Builder& b, auto x) { return b.sum(x[0], {1, 2}); });
  check_op("mean of [7,1]", {Shape{{7, 1}}}, [](ir::Builder& b, auto x) { return b.mean(x[0], {0}); });
}

TEST_CASE("tensor JIT: reduce_max propagates NaN and starts at -inf", "[codegen][tensor]") {
  for (DType t : {DType::F64, DType::F32}) {
    ir::Graph g;
    ir::Builder b(g, t);
    NodeId x = b.input("x", Shape{{3, 4}});
    g.outputs = {{"rows", b.reduce_max(x, {1})}, {"cols", b.reduce_max(x, {0})}, {"sum", b.sum(x, {1})}};
    std::vector<Tensor> at = {{{3, 4}, {1, kNaN, 3, 2, -kInf, -kInf, -kInf, -kInf, 5, kInf, -1, 0}}};
    std::vector<Tensor> got = run_compiled(g, t, at);
    CHECK(std::isnan(got[0].data[0]));
    CHECK(got[0].data[1] == -kInf);
    CHECK(got[0].data[2] == kInf);
    CHECK(std::isnan(got[1].data[1]));
    CHECK(got[1].data[0] == 5);
    check_graph("max with NaN and inf", g, at);
  }
}

TEST_CASE("tensor JIT: f32 sums of many elements stay within 1e-5 of the interpreter", "[codegen][tensor]") {
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  NodeId x = b.input("x", Shape{{3, 20000}});
  g.outputs = {{"rows", b.sum(x, {1})}, {"all", b.sum(x)}, {"cols", b.sum(b.transpose(x), {0})}};
  std::mt19937_64 rng(7);
  std::vector<Tensor> at = {random_tensor({3, 20000}, rng, 0, 1)};  // all positive: no cancellation to hide behind
  const std::vector<Tensor> want = runtime::interpret_tensors(g, at);
  const std::vector<Tensor> got = run_compiled(g, DType::F32, at);
  for (size_t k = 0; k < got.size(); ++k)
    for (size_t i = 0; i < got[k].data.size(); ++i) CHECK(got[k].data[i] == Approx(want[k].data[i]).epsilon(1e-6));
}

TEST_CASE("tensor JIT: matmul of matrices, vectors and broadcast batches", "[codegen][tensor]") {
  auto mm = [](ir::Builder& b, auto x) { return b.matmul(x[0], x[1]); };
  check_op("[3,4]@[4,5]", {Shape{{3, 4}}, Shape{{4, 5}}}, mm);
  check_op("[4]@[4,5]", {Shape{{4}}, Shape{{4, 5}}}, mm);
  check_op("[3,4]@[4]", {Shape{{3, 4}}, Shape{{4}}}, mm);
  check_op("[4]@[4]", {Shape{{4}}, Shape{{4}}}, mm);
  check_op("[2,3,4]@[4,5]", {Shape{{2, 3, 4}}, Shape{{4, 5}}}, mm);
  check_op("[2,1,3,4]@[5,4,2]", {Shape{{2, 1, 3, 4}}, Shape{{5, 4, 2}}}, mm);
  check_op("[4]@[2,4,3]", {Shape{{4}}, Shape{{2, 4, 3}}}, mm);
  check_op("large: [70,300]@[300,130]", {Shape{{70, 300}}, Shape{{300, 130}}}, mm);
  check_op("transpose folded: [20,33].T @ [20,7]", {Shape{{20, 33}}, Shape{{20, 7}}},
           [](ir::Builder& b, auto x) { return b.matmul(b.transpose(x[0]), x[1]); });
  check_op("transpose folded: [9,20] @ [33,20].T", {Shape{{9, 20}}, Shape{{33, 20}}},
           [](ir::Builder& b, auto x) { return b.matmul(x[0], b.transpose(x[1])); });
  check_op("both folded, batched: [2,5,3].T @ [4,5].T", {Shape{{2, 5, 3}}, Shape{{4, 5}}}, [](ir::Builder& b, auto x) {
    return b.matmul(b.transpose(x[0], {0, 2, 1}), b.transpose(x[1]));
  });
  check_op("transpose used by matmul and by add (not folded)", {Shape{{6, 6}}, Shape{{6, 6}}},
           [](ir::Builder& b, auto x) {
             NodeId t = b.transpose(x[0]);
             return b.add(b.matmul(t, x[1]), t);
           });
}

TEST_CASE("tensor JIT: matmul calls the GEMM given in CodegenOptions", "[codegen][tensor]") {
  static std::atomic<int> calls{0};
  struct Counting {
    static void f64(int ta, int tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
                    const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
      ++calls;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double acc = 0;
          for (int64_t p = 0; p < k; ++p) acc += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
          c[i * ldc + j] = alpha * acc + (beta == 0 ? 0 : beta * c[i * ldc + j]);
        }
    }
  };
  ir::Graph g;
  ir::Builder b(g);
  NodeId x = b.input("x", Shape{{3, 4, 5}}), w = b.input("w", Shape{{6, 5}});
  g.outputs.push_back({"y", b.matmul(x, b.transpose(w))});
  codegen::CodegenOptions opts;
  opts.gemm_f64 = reinterpret_cast<void*>(&Counting::f64);
  check_graph("custom gemm", g, {}, 3, 1, opts);
  CHECK(calls == 6);  // one per batch element, unfused then fused
}

TEST_CASE("tensor JIT: one_hot, with NaN rows for bad labels", "[codegen][tensor]") {
  for (DType t : {DType::F64, DType::F32}) {
    ir::Graph g;
    ir::Builder b(g, t);
    NodeId y = b.input("y", Shape{{2, 4}});
    g.outputs.push_back({"oh", b.one_hot(y, 3)});
    std::vector<Tensor> at = {{{2, 4}, {0, 2, 1, 3, -1, 1.5, kNaN, 2}}};
    std::vector<Tensor> got = run_compiled(g, t, at);
    CHECK(std::vector<double>(got[0].data.begin(), got[0].data.begin() + 9) ==
          std::vector<double>{1, 0, 0, 0, 0, 1, 0, 1, 0});
    for (int i = 9; i < 21; ++i) CHECK(std::isnan(got[0].data[static_cast<size_t>(i)]));
    CHECK(got[0].data[21 + 2] == 1);
    check_graph("one_hot", g, at);
  }
}

TEST_CASE("tensor JIT: leaves and repeats as outputs, scalar graphs, dead nodes", "[codegen][tensor]") {
  for (DType t : {DType::F64, DType::F32}) {
    ir::Graph g;
    ir::Builder b(g, t);
    NodeId x = b.input("x", Shape{{2, 3}}), s = b.input("s");
    b.unary(Op::Exp, x);  // dead: not an output
    NodeId y = b.mul(x, s);
    g.outputs = {{"x", x}, {"y", y}, {"y again", y}, {"c", b.constant(2.5)}, {"r", reshape(b, y, {3, 2})},
                 {"t", b.sum(reshape(b, y, {6}))}};
    check_graph("leaves and repeats", g);
  }
  for (DType t : {DType::F64, DType::F32}) {
    ir::Graph g;
    ir::Builder b(g, t);
    NodeId x = b.input("x"), y = b.input("y"), z = b.input("z");
    NodeId f = b.add(b.unary(Op::Log, x), b.mul(b.unary(Op::Exp, y), z));
    g.outputs.push_back({"f", f});
    auto grads = passes::append_gradients(g, f, {x, y, z}).wrt;
    for (NodeId d : grads) g.outputs.push_back({"d", d});
    std::vector<Tensor> at = {Tensor::scalar(1), Tensor::scalar(3), Tensor::scalar(2)};
    std::vector<Tensor> got = run_compiled(g, t, at);
    CHECK(got[0].data[0] == Approx(2 * std::exp(3.0)).epsilon(1e-6));
    check_graph("seed formula and its gradient", g, at);
  }
}

TEST_CASE("tensor JIT: symbolic dims are refused until bound", "[codegen][tensor]") {
  ir::Graph g;
  ir::Builder b(g);
  g.dim_names.names = {"B"};
  NodeId x = b.input("x", Shape{{ir::symbol_dim(0), 3}});
  g.outputs.push_back({"m", b.mean(x)});
  CHECK_THROWS_AS(codegen::compile_tensors(g), std::invalid_argument);
}

TEST_CASE("tensor JIT: neural-network functions and their gradients", "[codegen][tensor][nn]") {
  namespace nn = ir::nn;
  check_with_gradients("softmax", {Shape{{5, 7}}}, [](ir::Builder& b, auto x) { return nn::softmax(b, x[0]); });
  check_with_gradients("softmax axis 0", {Shape{{5, 7}}}, [](ir::Builder& b, auto x) { return nn::softmax(b, x[0], 0); });
  check_with_gradients("log_softmax", {Shape{{4, 9}}}, [](ir::Builder& b, auto x) { return nn::log_softmax(b, x[0]); });
  check_with_gradients("logsumexp", {Shape{{4, 9}}}, [](ir::Builder& b, auto x) { return nn::logsumexp(b, x[0]); });
  check_with_gradients("leaky_relu", {Shape{{17}}}, [](ir::Builder& b, auto x) { return nn::leaky_relu(b, x[0], 0.1); });
  check_with_gradients("gelu", {Shape{{17}}}, [](ir::Builder& b, auto x) { return nn::gelu(b, x[0]); });
  check_with_gradients("mse", {Shape{{6, 2}}, Shape{{6, 2}}}, [](ir::Builder& b, auto x) { return nn::mse(b, x[0], x[1]); });
  check_with_gradients("bce", {Shape{{8}}, Shape{{8}}}, [](ir::Builder& b, auto x) {
    return nn::bce(b, b.unary(Op::Sigmoid, x[0]), b.unary(Op::Sigmoid, x[1]));
  });
  check_with_gradients("bce_with_logits", {Shape{{3, 5}}, Shape{{3, 5}}},
                       [](ir::Builder& b, auto x) { return nn::bce_with_logits(b, x[0], x[1]); });
  check_with_gradients("cross_entropy on probabilities", {Shape{{6, 4}}, Shape{{6, 4}}},
                       [](ir::Builder& b, auto x) { return nn::cross_entropy(b, x[0], nn::softmax(b, x[1])); });
  check_with_gradients("matmul chain", {Shape{{2, 3, 4}}, Shape{{4, 5}}, Shape{{5}}},
                       [](ir::Builder& b, auto x) { return b.matmul(b.matmul(x[0], x[1]), x[2]); });
}

namespace {

// An MLP on x[batch, sizes[0]] with relu between layers, cross_entropy on class labels,
// and the gradient of the loss with respect to every weight and bias.
ir::Graph mlp(DType t, const std::vector<int64_t>& sizes, int64_t batch) {
  ir::Graph g;
  ir::Builder b(g, t);
  NodeId x = b.input("x", Shape{{batch, sizes[0]}});
  NodeId labels = b.input("labels", Shape{{batch}});
  g[labels].integer = true;
  std::vector<NodeId> params;
  NodeId h = x;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    NodeId w = b.input(fmt::format("W{}", l), Shape{{sizes[l], sizes[l + 1]}}, ir::Role::Param);
    NodeId bias = b.input(fmt::format("b{}", l), Shape{{sizes[l + 1]}}, ir::Role::Param);
    params.insert(params.end(), {w, bias});
    h = b.add(b.matmul(h, w), bias);
    if (l + 2 < sizes.size()) h = b.unary(Op::Relu, h);
  }
  NodeId loss = ir::nn::cross_entropy(b, h, labels);
  g.outputs.push_back({"loss", loss});
  auto grads = passes::append_gradients(g, loss, params).wrt;
  for (size_t i = 0; i < grads.size(); ++i) g.outputs.push_back({"d" + g[params[i]].name, grads[i]});
  return g;
}

std::vector<Tensor> mlp_inputs(const ir::Graph& g, std::mt19937_64& rng, int64_t classes) {
  std::vector<Tensor> at;
  for (NodeId id : g.inputs()) {
    const ir::Node& n = g[id];
    if (n.name == "labels") {
      Tensor t{n.shape.dims, {}};
      for (int64_t i = 0; i < n.shape.dims[0]; ++i) t.data.push_back(static_cast<double>(rng() % static_cast<uint64_t>(classes)));
      at.push_back(t);
    } else {
      const double fan_in = static_cast<double>(n.shape.dims[0]);
      const double s = n.name[0] == 'W' ? std::sqrt(6 / fan_in) : 1;  // He-like: activations stay O(1)
      at.push_back(random_tensor(n.shape.dims, rng, -s, s));
    }
  }
  return at;
}

}  // namespace

TEST_CASE("tensor JIT: MLP forward and backward match the interpreter", "[codegen][tensor][nn]") {
  for (DType t : {DType::F64, DType::F32}) {
    for (auto [sizes, batch] : {std::pair<std::vector<int64_t>, int64_t>{{20, 32, 16, 10}, 8}, {{300, 64, 10}, 33}}) {
      ir::Graph g = mlp(t, sizes, batch);
      std::mt19937_64 rng(11);
      check_graph(fmt::format("mlp {} batch {} {}", fmt::join(sizes, "-"), batch, ir::dtype_name(t)), g,
                  mlp_inputs(g, rng, sizes.back()));
    }
  }
}

TEST_CASE("tensor JIT: random elementwise graphs over random broadcast shapes", "[codegen][tensor]") {
  std::mt19937_64 rng(2024);
  const Op ops[] = {Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Max, Op::Min, Op::Exp, Op::Tanh, Op::Sigmoid,
                    Op::Relu, Op::Sin, Op::Abs, Op::Softplus};
  for (int trial = 0; trial < 40; ++trial) {
    // A full shape of rank 1..4, dims 1..7; each input keeps a random suffix of it with some dims set to 1.
    const int rank = 1 + static_cast<int>(rng() % 4);
    std::vector<int64_t> full;
    for (int i = 0; i < rank; ++i) full.push_back(1 + static_cast<int64_t>(rng() % 7));
    const DType t = trial % 2 ? DType::F32 : DType::F64;
    ir::Graph g;
    ir::Builder b(g, t);
    std::vector<NodeId> pool;
    for (int i = 0; i < 3; ++i) {
      const size_t keep = rng() % (full.size() + 1);
      std::vector<int64_t> dims(full.end() - static_cast<long>(keep), full.end());
      for (int64_t& d : dims)
        if (rng() % 3 == 0) d = 1;
      pool.push_back(b.input(fmt::format("x{}", i), Shape{dims}));
    }
    for (int step = 0; step < 8; ++step) {
      const Op op = ops[rng() % std::size(ops)];
      NodeId a = pool[rng() % pool.size()];
      pool.push_back(ir::arity(op) == 1 ? b.unary(op, a) : b.binary(op, a, pool[rng() % pool.size()]));
    }
    NodeId y = b.broadcast_to(b.add(pool.back(), pool[pool.size() - 2]), Shape{full});
    const int axis = static_cast<int>(rng() % full.size());
    g.outputs = {{"y", y}, {"sum", b.sum(y, {axis})}, {"max", b.reduce_max(y, {axis}, true)}};
    check_graph(fmt::format("random graph {} shape [{}]", trial, fmt::join(full, ",")), g, {}, static_cast<uint64_t>(trial));
  }
}

TEST_CASE("tensor JIT: concurrent runs of one function are correct", "[codegen][tensor]") {
  ir::Graph g = mlp(DType::F64, {12, 16, 5}, 4);
  std::mt19937_64 rng(5);
  const std::vector<Tensor> at = mlp_inputs(g, rng, 5);
  const std::vector<Tensor> want = runtime::interpret_tensors(g, at);
  const codegen::CompiledTensorFunction fn = codegen::compile_tensors(g);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int rep = 0; rep < 200; ++rep) {
        std::vector<Tensor> got = run_as<double>(fn, g, at);
        for (size_t k = 0; k < got.size(); ++k)
          for (size_t j = 0; j < got[k].data.size(); ++j)
            if (std::fabs(got[k].data[j] - want[k].data[j]) > 1e-9 * (1 + std::fabs(want[k].data[j]))) ++bad;
      }
    });
  for (std::thread& th : threads) th.join();
  CHECK(bad == 0);
}

// gradc train warms the JIT up on a thread while the data loads, and a background thread
// compiles the evaluation's graphs while the first one runs.
TEST_CASE("tensor JIT: two graphs compiled at once on two threads", "[codegen][tensor]") {
  // gradc train compiles its step on a thread while the data loads, and the other batch
  // sizes' graphs on another while training starts.
  std::mt19937_64 rng(6);
  ir::Graph g1 = mlp(DType::F64, {12, 16, 5}, 4), g2 = mlp(DType::F64, {7, 9, 3}, 2);
  const std::vector<Tensor> at1 = mlp_inputs(g1, rng, 5), at2 = mlp_inputs(g2, rng, 3);
  codegen::CompiledTensorFunction fn2;
  std::thread other([&] { fn2 = codegen::compile_tensors(g2); });
  const codegen::CompiledTensorFunction fn1 = codegen::compile_tensors(g1);
  other.join();
  const auto check = [](const codegen::CompiledTensorFunction& fn, const ir::Graph& g, const std::vector<Tensor>& at) {
    const std::vector<Tensor> want = runtime::interpret_tensors(g, at), got = run_as<double>(fn, g, at);
    REQUIRE(got.size() == want.size());
    for (size_t k = 0; k < got.size(); ++k)
      for (size_t j = 0; j < got[k].data.size(); ++j)
        CHECK(got[k].data[j] == Approx(want[k].data[j]).epsilon(1e-9).margin(1e-12));
  };
  check(fn1, g1, at1);
  check(fn2, g2, at2);
}

TEST_CASE("tensor JIT: emit_llvm shows the tensor module", "[codegen][tensor]") {
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  NodeId x = b.input("x", Shape{{64, 256}}), w = b.input("w", Shape{{256, 32}});
  g.outputs.push_back({"y", b.unary(Op::Exp, b.matmul(x, w))});
  const std::string ll = codegen::emit_llvm(g, {DType::F32});
  CHECK(ll.find("define void @f(") != std::string::npos);
  CHECK(ll.find("@gradc_gemm") != std::string::npos);
  CHECK(ll.find("x float>") != std::string::npos);  // the exp loop is vectorised
  CHECK_FALSE(codegen::emit_asm(g, {DType::F32}).empty());
}

namespace {

std::atomic<int> g_rows_calls{0};
void counting_gemm_rows(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* const* a,
                        int64_t col0, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  ++g_rows_calls;
  gradc_gemm_rows_f32(ta, tb, m, n, k, alpha, a, col0, b, ldb, beta, c, ldc);
}

codegen::CodegenOptions by_rows(std::vector<NodeId> ids) {
  codegen::CodegenOptions opts;
  opts.inputs_by_rows = std::move(ids);
  opts.gemm_rows_f32 = reinterpret_cast<void*>(&counting_gemm_rows);
  return opts;
}

}  // namespace

TEST_CASE("tensor JIT: an input passed by rows feeds its GEMMs directly", "[codegen][tensor][rows]") {
  // The training step's two products of the batch, X·W (with bias and ReLU fused after it)
  // and Xᵀ·dY, read the row table itself, unfused and fused; at batch 300 the fused forward
  // runs in row blocks (its result is over 256 KiB), each from its own first row pointer.
  // Sparse: X zero in whole columns and scattered elements, as images are (the kernels skip
  // the depths where a tile is all zero).
  for (bool sparse : {false, true})
    for (auto [sizes, batch] : {std::pair<std::vector<int64_t>, int64_t>{{20, 32, 16, 10}, 8}, {{300, 64, 10}, 33},
                                {{40, 300, 10}, 300}}) {
      ir::Graph g = mlp(DType::F32, sizes, batch);
      std::mt19937_64 rng(5);
      std::vector<Tensor> at = mlp_inputs(g, rng, sizes.back());
      if (sparse)
        for (size_t i = 0; i < at[0].data.size(); ++i) {
          const size_t col = i % static_cast<size_t>(sizes[0]), row = i / static_cast<size_t>(sizes[0]);
          if (col % 3 == 0 || col < 8 || (row + col) % 4 == 0) at[0].data[i] = 0;
        }
      g_rows_calls = 0;
      check_graph(fmt::format("mlp {} batch {} by rows{}", fmt::join(sizes, "-"), batch, sparse ? ", sparse" : ""), g,
                  at, 1, 1, by_rows({g.inputs()[0]}));
      CHECK(g_rows_calls >= 4);  // forward and dW, in both forms
    }
}

TEST_CASE("tensor JIT: an input passed by rows in an accumulating GEMM's row blocks", "[codegen][tensor][rows]") {
  // SGD's W - Xᵀ·D, fused into one GEMM accumulating into W (beta = 1), then a ReLU: with an
  // epilogue and a 360 KiB result the call is split into blocks of C's rows, which are columns
  // of the row table (a_col0).
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  NodeId x = b.input("x", Shape{{8, 300}}), d = b.input("d", Shape{{8, 300}}), w = b.input("w", Shape{{300, 300}});
  g.outputs = {{"w'", b.unary(Op::Relu, b.sub(w, b.matmul(b.transpose(x), d)))}};
  g_rows_calls = 0;
  check_graph("W - x.T @ d by rows", g, {}, 4, 1, by_rows({x}));
  CHECK(g_rows_calls >= 3);  // unfused: one call; fused: two blocks or more
}

TEST_CASE("tensor JIT: an input passed by rows that other nodes read is gathered first", "[codegen][tensor][rows]") {
  auto build = [](DType t, bool as_output) {
    ir::Graph g;
    ir::Builder b(g, t);
    NodeId x = b.input("x", Shape{{7, 5}}), w = b.input("w", Shape{{5, 3}}), v = b.input("v", Shape{{7, 4}});
    NodeId y = b.add(b.matmul(x, w), b.sum(b.mul(x, x)));  // x read elementwise too
    g.outputs = {{"y", y}, {"xt_v", b.matmul(b.transpose(x), v)}};
    if (as_output) g.outputs.push_back({"x", x});
    return g;
  };
  for (DType t : {DType::F32, DType::F64})
    for (bool as_output : {false, true}) {
      const ir::Graph g = build(t, as_output);
      g_rows_calls = 0;
      check_graph(fmt::format("gathered, {}{}", ir::dtype_name(t), as_output ? ", x an output" : ""), g, {}, 2, 1,
                  by_rows({g.inputs()[0]}));
      CHECK(g_rows_calls == 0);
    }
  // f32 GEMM readers only, but no gemm_rows_f32 given: gathered, still correct.
  ir::Graph g = mlp(DType::F32, {12, 8, 3}, 5);
  std::mt19937_64 rng(9);
  codegen::CodegenOptions opts;
  opts.inputs_by_rows = {g.inputs()[0]};
  check_graph("mlp by rows without gemm_rows_f32", g, mlp_inputs(g, rng, 3), 1, 1, opts);
}

TEST_CASE("tensor JIT: only a 2-D input can be passed by rows", "[codegen][tensor][rows]") {
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  NodeId v = b.input("v", Shape{{4}});
  NodeId m = b.input("m", Shape{{4, 4}});
  NodeId y = b.matmul(m, v);
  g.outputs = {{"y", y}};
  for (NodeId bad : {v, y})
    CHECK_THROWS_WITH(codegen::compile_tensors(g, by_rows({bad})), Catch::Contains("must be a 2-D input"));
}
