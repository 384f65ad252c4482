// bench/fusion_bench.cpp — what the kernel form (passes/fuse.cpp, passes/plan_memory.cpp) buys.
//
// Benchmarks (wall time, ms, 1 thread; counters: kernels = functions with code, GEMM calls
// included; workspace_KiB; iter_median_ms, the median call):
//   fusion/sgm/<level>       softmax(x) → GELU → MSE against t, value and ∂/∂x, x and t
//                            f32[4096,1024], compiled after the pipeline of <level>:
//                              O0 [autodiff], O1 [+ simplify, cse, dce], O2 [+ fuse, plan-memory]
//   fusion/sgm/handwritten   bench/fusion_handwritten.cpp (-O3 -march=native -ffast-math)
//   fusion/mlp/<level>/b:B   examples/mlp.grad's step (loss and 8 parameter gradients), oneDNN
//                            GEMM on 1 thread
// bench/fusion.sh runs it with 5 repetitions and prints the medians' ratios.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/fusion_handwritten.h"
#include "codegen/codegen.h"
#include "frontend/frontend.h"
#include "ir/bind_dims.h"
#include "passes/pass_manager.h"
#include "runtime/gemm.h"

#ifndef GRADC_MLP_GRAD
#error "GRADC_MLP_GRAD (the path of examples/mlp.grad) must be defined by the build"
#endif

using namespace gradc;

namespace {

constexpr int64_t kRows = 4096, kCols = 1024;
const char* kSoftmaxGeluMse =
    "input x[B, 1024]\n"
    "input t[B, 1024]\n"
    "loss = mse(gelu(softmax(x)), t)\n";

enum class Level { O0, O1, O2 };

std::vector<std::string> pipeline(Level level) {
  std::vector<std::string> p{"autodiff"};
  if (level != Level::O0) p.insert(p.end(), {"simplify", "cse", "dce"});
  if (level == Level::O2) p.insert(p.end(), {"fuse", "plan-memory"});
  return p;
}

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot open ") + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ir::Graph build(const std::string& text, int64_t batch, Level level, std::vector<std::string> wrt) {
  frontend::SourceFile src("bench.grad", text);
  ir::Graph g = ir::bind_dims(frontend::compile_to_ir(src, ir::DType::F32), {{"B", batch}});
  passes::PassContext ctx;
  ctx.wrt = std::move(wrt);
  return passes::PassManager(pipeline(level)).run(std::move(g), ctx);
}

// Functions with code: the module's internal functions (one per node or per loop, transpose,
// one_hot kernel) plus one per matmul (a GEMM call).
double code_kernels(const ir::Graph& g) {
  const std::string ll = codegen::emit_llvm(g, {ir::DType::F32, 0});
  double n = 0;
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

// A compiled program and its f32 buffers (inputs random: x ~ N(0,1)·scale, t ~ U(0,1),
// labels in [0, 10), weights He-scaled).
struct Program {
  ir::Graph graph;
  codegen::CompiledTensorFunction fn;
  std::vector<std::vector<float>> in, out;
  std::vector<const float*> in_ptrs;
  std::vector<float*> out_ptrs;

  explicit Program(ir::Graph g) : graph(std::move(g)) {
    codegen::CodegenOptions opts;
    opts.dtype = ir::DType::F32;
    opts.gemm_f32 = reinterpret_cast<void*>(&gradc_gemm_f32);
    fn = codegen::compile_tensors(graph, opts);
    std::mt19937_64 rng(42);
    std::normal_distribution<float> normal(0, 1);
    std::uniform_real_distribution<float> unit(0, 1);
    for (ir::NodeId id : graph.inputs()) {
      const ir::Node& n = graph[id];
      size_t count = 1;
      for (int64_t d : n.shape.dims) count *= static_cast<size_t>(d);
      const float he = n.shape.dims.size() == 2 ? std::sqrt(2.0f / static_cast<float>(n.shape.dims[0])) : 0.f;
      std::vector<float> v(count);
      for (float& x : v)
        x = n.integer ? static_cast<float>(rng() % 10) : n.name == "t" ? unit(rng) : n.name == "x" ? normal(rng) * 3 : normal(rng) * he;
      in.push_back(std::move(v));
    }
    for (const ir::Output& o : graph.outputs) {
      size_t count = 1;
      for (int64_t d : graph[o.id].shape.dims) count *= static_cast<size_t>(d);
      out.emplace_back(count);
    }
    for (auto& v : in) in_ptrs.push_back(v.data());
    for (auto& v : out) out_ptrs.push_back(v.data());
    run();  // first touch of the workspace's pages (0.5 GiB at -O0) is not the program's time
  }
  void run() const { fn.run(in_ptrs.data(), out_ptrs.data()); }
};

Program& sgm(Level level) {
  static std::map<Level, std::unique_ptr<Program>> cache;
  auto& p = cache[level];
  if (!p) p = std::make_unique<Program>(build(kSoftmaxGeluMse, kRows, level, {"x"}));
  return *p;
}

Program& mlp(Level level, int64_t batch) {
  static std::map<std::pair<Level, int64_t>, std::unique_ptr<Program>> cache;
  auto& p = cache[{level, batch}];
  if (!p) p = std::make_unique<Program>(build(read_file(GRADC_MLP_GRAD), batch, level, {}));
  return *p;
}

// The hand-written loops must agree with the compiled program before either is timed.
void check_handwritten(const Program& p, std::vector<float>& dx) {
  p.run();
  const float loss = bench::softmax_gelu_mse(p.in[0].data(), p.in[1].data(), dx.data(), kRows, kCols);
  float scale = 0, err = 0;
  for (size_t i = 0; i < dx.size(); ++i) {
    scale = std::max(scale, std::fabs(p.out[1][i]));
    err = std::max(err, std::fabs(p.out[1][i] - dx[i]));
  }
  if (std::fabs(loss - p.out[0][0]) > 1e-4f * std::fabs(loss) || err > 1e-3f * scale)
    throw std::runtime_error("fusion_bench: hand-written loops disagree with gradc");
}

template <class F>
void time_calls(benchmark::State& state, F&& call) {
  runtime::set_gemm_threads(1);
  std::vector<double> times;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    benchmark::ClobberMemory();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
  state.counters["iter_median_ms"] = times[times.size() / 2];
}

void counters(benchmark::State& state, const Program& p) {
  state.counters["kernels"] = code_kernels(p.graph);
  state.counters["workspace_KiB"] = static_cast<double>(p.fn.workspace_bytes()) / 1024;
}

void BM_Sgm(benchmark::State& state, Level level) {
  const Program& p = sgm(level);
  time_calls(state, [&] { p.run(); });
  counters(state, p);
}

void BM_SgmHandwritten(benchmark::State& state) {
  const Program& p = sgm(Level::O2);
  std::vector<float> dx(static_cast<size_t>(kRows * kCols));
  check_handwritten(p, dx);
  time_calls(state, [&] {
    benchmark::DoNotOptimize(bench::softmax_gelu_mse(p.in[0].data(), p.in[1].data(), dx.data(), kRows, kCols));
  });
}

void BM_Mlp(benchmark::State& state, Level level) {
  const Program& p = mlp(level, state.range(0));
  time_calls(state, [&] { p.run(); });
  counters(state, p);
}

void ms(benchmark::internal::Benchmark* b) { b->Unit(benchmark::kMillisecond)->UseRealTime(); }
void batches(benchmark::internal::Benchmark* b) { ms(b->Arg(64)->Arg(256)->ArgName("b")); }

}  // namespace

BENCHMARK_CAPTURE(BM_Sgm, O0, Level::O0)->Name("fusion/sgm/O0")->Apply(ms);
BENCHMARK_CAPTURE(BM_Sgm, O1, Level::O1)->Name("fusion/sgm/O1")->Apply(ms);
BENCHMARK_CAPTURE(BM_Sgm, O2, Level::O2)->Name("fusion/sgm/O2")->Apply(ms);
BENCHMARK(BM_SgmHandwritten)->Name("fusion/sgm/handwritten")->Apply(ms);
BENCHMARK_CAPTURE(BM_Mlp, O1, Level::O1)->Name("fusion/mlp/O1")->Apply(batches);
BENCHMARK_CAPTURE(BM_Mlp, O2, Level::O2)->Name("fusion/mlp/O2")->Apply(batches);

BENCHMARK_MAIN();
