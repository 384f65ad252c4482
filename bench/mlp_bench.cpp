// bench/mlp_bench.cpp — one training step's value and gradient of the MLP in examples/mlp.grad
// (784-256-128-64-10, ReLU, cross-entropy) at batch 64 and 256, 1 and 2 GEMM threads, f32, at
// -O2 (the default) and -O0 (the reference: autodiff and decompose only).
//
// The graph is built as the CLI builds `gradc grad -O<n>`: frontend → bind B → the level's pipeline
// (autodiff w.r.t. the params, the default wrt) → tensor JIT at the same LLVM level, matmul on
// gradc_gemm_f32 (oneDNN). One iteration is one call: the loss and all eight parameter gradients,
// inputs preallocated (random x, integer labels in [0, 10), He-initialised weights, zero
// biases). bench/mlp.sh runs it next to PyTorch eager (bench/mlp_torch.py) and prints the table.
//
// Benchmarks (names mlp/<kind>/b:<B>/t:<T>; wall time, ms; real_time is the mean over a
// repetition's iterations, the counter iter_median_ms the median call, less disturbed by other
// processes on the cores; counters kernels and workspace_bytes describe the compiled step):
//   mlp/O2, mlp/O0          the compiled code: CompiledTensorFunction::run on preallocated float
//                           buffers (what bench/mlp.sh compares with PyTorch)
//   mlp/O2_split, O0_split  the same with every GEMM call timed (steady_clock around each call):
//                           counters gemm_ms and gemm_calls per step; the rest of real_time is
//                           outside sgemm (the generated loops: elementwise, broadcasts, reductions)
//   mlp/O2_tensorjit        runtime::TensorJit::run on double Tensors: the same plus its
//                           double → float → double conversions and per-call buffer allocations
//   mlp/O2_ownloops         codegen's own blocked matmul loop instead of oneDNN (1 thread)
// Threads (runtime::set_gemm_threads) only reach the GEMM; the generated loops run on one thread.
// Kernels: what the step runs one after another: at -O2 the kernel table's entries that have
// code (views have none; a GEMM with its epilogue is one), at -O0 one per node with a loop nest
// or a GEMM call.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "codegen/codegen.h"
#include "frontend/frontend.h"
#include "ir/bind_dims.h"
#include "passes/autodiff.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "runtime/gemm.h"
#include "runtime/tensor_jit.h"

#ifndef GRADC_MLP_GRAD
#error "GRADC_MLP_GRAD (the path of examples/mlp.grad) must be defined by the build"
#endif

using namespace gradc;

namespace {

// What `gradc grad examples/mlp.grad -O<level>` builds, with B bound to `batch` and dtype f32.
ir::Graph mlp_gradient_graph(int64_t batch, int level) {
  std::ifstream in(GRADC_MLP_GRAD, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " GRADC_MLP_GRAD);
  std::ostringstream text;
  text << in.rdbuf();
  frontend::SourceFile src("mlp.grad", text.str());
  ir::Graph g = ir::bind_dims(frontend::compile_to_ir(src, ir::DType::F32), {{"B", batch}});
  passes::PassContext ctx;  // empty wrt: the params
  passes::PassManager pm(passes::build_pipeline({level, {}, true}));
  return pm.run(std::move(g), ctx);
}

// GEMM with its time accumulated (the split benchmark).
double g_gemm_seconds = 0;
int64_t g_gemm_calls = 0;
extern "C" void timed_gemm_f32(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                               int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const auto t0 = std::chrono::steady_clock::now();
  gradc_gemm_f32(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  g_gemm_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++g_gemm_calls;
}

enum class Gemm { Runtime, Timed, OwnLoops };

double kernel_count(const ir::Graph& g) {
  double n = 0;
  if (!g.kernels.empty()) {
    for (const ir::Kernel& k : g.kernels) n += k.kind != ir::KernelKind::View;
    return n;
  }
  const std::string ll = codegen::emit_llvm(g, {ir::DType::F32, 0});  // one internal function per loop nest
  for (size_t at = ll.find("define internal"); at != std::string::npos; at = ll.find("define internal", at + 1)) ++n;
  std::vector<bool> live(g.size(), false);
  for (const ir::Output& o : g.outputs) live[o.id] = true;
  for (ir::NodeId id = g.size(); id-- > 0;)
    if (live[id]) {
      for (ir::NodeId x : g[id].inputs) live[x] = true;
      n += g[id].op == ir::Op::MatMul;
    }
  return n;
}

// One compiled step and its preallocated float buffers (inputs in g.inputs() order, outputs in
// g.outputs order), plus the same inputs as Tensors for TensorJit.
struct Step {
  ir::Graph graph;
  codegen::CompiledTensorFunction fn;
  std::vector<std::vector<float>> in, out;
  std::vector<const float*> in_ptrs;
  std::vector<float*> out_ptrs;
  std::vector<runtime::Tensor> tensors;

  Step(int64_t batch, int level, Gemm gemm) : graph(mlp_gradient_graph(batch, level)) {
    codegen::CodegenOptions opts;
    opts.dtype = ir::DType::F32;
    opts.opt_level = passes::llvm_opt_level(level);
    opts.gemm_f32 = gemm == Gemm::Runtime ? reinterpret_cast<void*>(&gradc_gemm_f32)
                    : gemm == Gemm::Timed ? reinterpret_cast<void*>(&timed_gemm_f32)
                                          : nullptr;
    fn = codegen::compile_tensors(graph, opts);
    std::mt19937_64 rng(42);
    std::normal_distribution<double> normal(0, 1);
    std::uniform_int_distribution<int> label(0, 9);
    for (ir::NodeId id : graph.inputs()) {
      const ir::Node& n = graph[id];
      runtime::Tensor t{n.shape.dims, {}};
      size_t count = 1;
      for (int64_t d : n.shape.dims) count *= static_cast<size_t>(d);
      t.data.resize(count);
      const bool bias = n.role == ir::Role::Param && n.shape.dims.size() == 1;
      const double he = n.shape.dims.size() == 2 ? std::sqrt(2.0 / static_cast<double>(n.shape.dims[0])) : 1;
      for (double& v : t.data) {
        if (n.integer) v = label(rng);
        else if (bias) v = 0;
        else if (n.role == ir::Role::Param) v = normal(rng) * he;
        else v = normal(rng);  // x
      }
      in.emplace_back(t.data.begin(), t.data.end());
      tensors.push_back(std::move(t));
    }
    for (const ir::Output& o : graph.outputs) {
      size_t count = 1;
      for (int64_t d : graph[o.id].shape.dims) count *= static_cast<size_t>(d);
      out.emplace_back(count);
    }
    for (auto& v : in) in_ptrs.push_back(v.data());
    for (auto& v : out) out_ptrs.push_back(v.data());
  }

  void run() const { fn.run(in_ptrs.data(), out_ptrs.data()); }

  // The loss is near ln 10 for He-initialised weights; every gradient must be finite.
  void check() const {
    run();
    if (graph.outputs.size() != 9) throw std::runtime_error("expected the loss and 8 gradients");
    if (!(out[0][0] > 0.5f && out[0][0] < 20.f)) throw std::runtime_error("implausible loss");
    for (const auto& v : out)
      for (float x : v)
        if (!std::isfinite(x)) throw std::runtime_error("non-finite gradient");
  }
};

Step& step(int64_t batch, int level, Gemm gemm) {
  static std::map<std::tuple<int64_t, int, Gemm>, std::unique_ptr<Step>> cache;
  auto& s = cache[{batch, level, gemm}];
  if (!s) {
    s = std::make_unique<Step>(batch, level, gemm);
    s->check();
  }
  return *s;
}

void BM_Compiled(benchmark::State& state, int level, Gemm gemm) {
  const int64_t batch = state.range(0);
  runtime::set_gemm_threads(static_cast<int>(state.range(1)));
  Step& s = step(batch, level, gemm);
  g_gemm_seconds = 0;
  g_gemm_calls = 0;
  std::vector<double> times;  // each call's wall time, for iter_median_ms
  times.reserve(static_cast<size_t>(state.max_iterations));
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    s.run();
    benchmark::ClobberMemory();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  state.SetItemsProcessed(state.iterations() * batch);  // examples per second
  state.counters["kernels"] = kernel_count(s.graph);
  state.counters["workspace_bytes"] = static_cast<double>(s.fn.workspace_bytes());
  if (!times.empty()) {
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
    state.counters["iter_median_ms"] = times[times.size() / 2];
  }
  if (gemm == Gemm::Timed) {
    const double it = static_cast<double>(state.iterations());
    state.counters["gemm_ms"] = benchmark::Counter(g_gemm_seconds * 1e3 / it);
    state.counters["gemm_calls"] = benchmark::Counter(static_cast<double>(g_gemm_calls) / it);
  }
}

void BM_TensorJit(benchmark::State& state) {
  const int64_t batch = state.range(0);
  runtime::set_gemm_threads(static_cast<int>(state.range(1)));
  const Step& s = step(batch, 2, Gemm::Runtime);
  const runtime::TensorJit jit = runtime::TensorJit::compile(s.graph);
  for (auto _ : state) {
    std::vector<runtime::Tensor> out = jit.run(s.tensors);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void args(benchmark::internal::Benchmark* b) {
  for (int64_t batch : {64, 256})
    for (int64_t threads : {1, 2}) b->Args({batch, threads});
  b->ArgNames({"b", "t"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

BENCHMARK_CAPTURE(BM_Compiled, O2, 2, Gemm::Runtime)->Name("mlp/O2")->Apply(args);
BENCHMARK_CAPTURE(BM_Compiled, O0, 0, Gemm::Runtime)->Name("mlp/O0")->Apply(args);
BENCHMARK_CAPTURE(BM_Compiled, O2_split, 2, Gemm::Timed)->Name("mlp/O2_split")->Apply(args);
BENCHMARK_CAPTURE(BM_Compiled, O0_split, 0, Gemm::Timed)->Name("mlp/O0_split")->Apply(args);
BENCHMARK(BM_TensorJit)->Name("mlp/O2_tensorjit")->Apply(args);
BENCHMARK_CAPTURE(BM_Compiled, ownloops, 2, Gemm::OwnLoops)
    ->Name("mlp/O2_ownloops")
    ->Args({64, 1})
    ->Args({256, 1})
    ->ArgNames({"b", "t"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
