// tests/unit/codegen_alias_test.cpp — outputs written over inputs (ir::OutputAlias): the
// compiled function is called with ONE buffer for each aliased pair, as training's in-place
// update does, and must give what the interpreter gives with separate buffers, whichever
// order the kernels read and write that buffer in.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <random>

#include "codegen/codegen.h"
#include "ir/builder.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/pass_manager.h"
#include "runtime/interpreter.h"

using namespace gradc;
using ir::DType;
using ir::NodeId;
using ir::Shape;
using runtime::Tensor;

namespace {

int64_t count(const std::vector<int64_t>& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

// Runs fn with output k's buffer being input i's for every alias; returns the outputs.
template <class T>
std::vector<Tensor> run_aliased(const ir::Graph& g, DType t, const std::vector<Tensor>& inputs) {
  codegen::CodegenOptions opts;
  opts.dtype = t;
  const codegen::CompiledTensorFunction fn = codegen::compile_tensors(g, opts);
  std::vector<std::vector<T>> in, out;
  for (const Tensor& x : inputs) in.emplace_back(x.data.begin(), x.data.end());
  for (const ir::Output& o : g.outputs) out.emplace_back(static_cast<size_t>(count(g[o.id].shape.dims)), T(-777));
  std::vector<const T*> in_ptrs;
  std::vector<T*> out_ptrs;
  for (auto& v : in) in_ptrs.push_back(v.data());
  for (auto& v : out) out_ptrs.push_back(v.data());
  for (const ir::OutputAlias& a : g.memory.output_aliases) out_ptrs[a.output] = in[a.input].data();
  fn.run(in_ptrs.data(), out_ptrs.data());
  std::vector<Tensor> res;
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const T* p = out_ptrs[k];
    const size_t n = out[k].size();
    res.push_back(Tensor{g[g.outputs[k].id].shape.dims, std::vector<double>(p, p + n)});
  }
  return res;
}

void check_aliased(const std::string& what, const ir::Graph& g, const std::vector<std::string>& pipeline) {
  INFO(what << " with passes " << fmt::format("{}", fmt::join(pipeline, ",")));
  passes::PassContext ctx;
  const ir::Graph c = pipeline.empty() ? g : passes::PassManager(pipeline).run(g, ctx);
  INFO(ir::print(c) << "\n" << ir::print_kernels(c));
  REQUIRE(ir::verify(c).empty());
  REQUIRE(c.memory.output_aliases == g.memory.output_aliases);  // every pass keeps them
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<Tensor> inputs;
  for (NodeId id : c.inputs()) {
    Tensor x{c[id].shape.dims, {}};
    for (int64_t i = 0; i < count(x.shape); ++i) x.data.push_back(u(rng));
    inputs.push_back(x);
  }
  const std::vector<Tensor> want = runtime::interpret_tensors(c, inputs);
  const DType t = c[c.outputs[0].id].dtype;
  const std::vector<Tensor> got = t == DType::F32 ? run_aliased<float>(c, t, inputs) : run_aliased<double>(c, t, inputs);
  for (size_t k = 0; k < want.size(); ++k)
    for (size_t i = 0; i < want[k].data.size(); ++i) {
      const double w = want[k].data[i];
      INFO("output " << c.outputs[k].name << " element " << i);
      REQUIRE(std::fabs(got[k].data[i] - w) <= 1e-5 * (1 + std::fabs(w)));
    }
}

const std::vector<std::vector<std::string>> kPipelines{
    {}, {"simplify", "cse", "dce"}, {"fuse", "plan-memory"}, {"simplify", "cse", "dce", "fuse", "plan-memory"}};

}  // namespace

TEST_CASE("output aliases: x' = x - 0.1 (x @ W) in the buffer of x, then x read again", "[codegen][alias]") {
  for (DType t : {DType::F32, DType::F64}) {
    ir::Graph g;
    ir::Builder b(g, t);
    const NodeId x = b.input("x", Shape{{8, 3}}), w = b.input("W", Shape{{3, 3}}), v = b.input("V", Shape{{3, 5}});
    const NodeId x_new = b.sub(x, b.mul(b.constant(0.1), b.matmul(x, w)));
    // Read x after the update was computed (higher ids: later kernels): a GEMM, a
    // reduction, and x itself as an output. Each must see the old x.
    const NodeId u = b.matmul(x, v);
    const NodeId s = b.sum(b.mul(x, x));
    g.outputs = {{"x'", x_new}, {"u", u}, {"s", s}};
    g.memory.output_aliases = {{0, 0}};
    for (const auto& p : kPipelines) check_aliased("reads after the update", g, p);
    g.outputs.push_back({"x", x});
    for (const auto& p : kPipelines) check_aliased("x also an output", g, p);
  }
}

TEST_CASE("output aliases: SGD-style updates of two params, one unchanged", "[codegen][alias]") {
  for (DType t : {DType::F32, DType::F64}) {
    ir::Graph g;
    ir::Builder b(g, t);
    const NodeId x = b.input("x", Shape{{4, 6}}), w = b.input("W", Shape{{6, 3}}), c = b.input("c", Shape{{3}});
    const NodeId bias = b.input("b", Shape{{3}}), lr = b.input("lr", Shape{});
    const NodeId h = b.add(b.matmul(x, w), bias);
    const NodeId loss = b.sum(b.mul(h, h));
    const NodeId dh = b.mul(b.constant(2), h);
    const NodeId dw = b.matmul(b.transpose(x), dh);
    const NodeId db = b.sum(dh, {0});
    g.outputs = {{"loss", loss}, {"W'", b.sub(w, b.mul(lr, dw))}, {"b'", b.sub(bias, b.mul(lr, db))}, {"c'", c}};
    g.memory.output_aliases = {{1, 1}, {2, 3}, {3, 2}};
    for (const auto& p : kPipelines) check_aliased("sgd", g, p);
  }
}

TEST_CASE("output aliases: the verifier rejects pairs of different types or shared buffers", "[codegen][alias]") {
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  const NodeId x = b.input("x", Shape{{2, 3}}), y = b.input("y", Shape{{3}});
  g.outputs = {{"a", b.add(x, x)}, {"b", b.add(y, y)}};
  g.memory.output_aliases = {{0, 1}};
  CHECK_FALSE(ir::verify(g).empty());
  g.memory.output_aliases = {{0, 0}, {1, 0}};
  CHECK_FALSE(ir::verify(g).empty());
  g.memory.output_aliases = {{0, 0}, {1, 1}};
  CHECK(ir::verify(g).empty());
}

namespace {

// The compiled function's workspace with and without the graph's output aliases: an output
// computed in its input's buffer takes no workspace; one computed apart and copied over
// the input at the end takes a buffer of its size.
std::pair<size_t, size_t> workspace_with_and_without_aliases(const ir::Graph& g) {
  passes::PassContext ctx;
  const ir::Graph c = passes::PassManager({"simplify", "cse", "dce", "fuse", "plan-memory"}).run(g, ctx);
  ir::Graph apart = c;
  apart.memory.output_aliases.clear();
  codegen::CodegenOptions opts;
  opts.dtype = DType::F32;
  return {codegen::compile_tensors(c, opts).workspace_bytes(), codegen::compile_tensors(apart, opts).workspace_bytes()};
}

}  // namespace

TEST_CASE("output aliases: SGD folded into the dW GEMM accumulates in W's own buffer, no copy",
          "[codegen][alias]") {
  // W' = W - lr·(Xᵀ·dY): one GEMM call with beta = 1 and C = W's buffer, as the hand-written
  // step does; before, W' went to a buffer of its own, W was copied in and W' copied back.
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  const NodeId x = b.input("x", Shape{{16, 40}}), w = b.input("W", Shape{{40, 24}}), lr = b.input("lr", Shape{});
  const NodeId h = b.matmul(x, w);
  const NodeId dh = b.mul(b.constant(2), h);  // d(sum h²)/dh
  g.outputs = {{"loss", b.sum(b.mul(h, h))}, {"W'", b.sub(w, b.mul(lr, b.matmul(b.transpose(x), dh)))}};
  g.memory.output_aliases = {{1, 1}};
  const auto [with, without] = workspace_with_and_without_aliases(g);
  CHECK(with == without);
  check_aliased("sgd in the GEMM", g, {"simplify", "cse", "dce", "fuse", "plan-memory"});
}

TEST_CASE("output aliases: a GEMM that also reads the param as an operand is not run in its buffer",
          "[codegen][alias]") {
  // x' = x - 0.1·(x @ W): C = x's buffer would overlap the operand x, so x' is computed apart
  // and copied over x at the end (the first test checks the numbers).
  ir::Graph g;
  ir::Builder b(g, DType::F32);
  const NodeId x = b.input("x", Shape{{16, 16}}), w = b.input("W", Shape{{16, 16}});
  g.outputs = {{"x'", b.sub(x, b.mul(b.constant(0.1), b.matmul(x, w)))}};
  g.memory.output_aliases = {{0, 0}};
  const auto [with, without] = workspace_with_and_without_aliases(g);
  CHECK(with >= without + 16 * 16 * sizeof(float));
}
