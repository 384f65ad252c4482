// bench/jit_bench.cpp — JIT latency (source text → callable) and value+gradient
// throughput of gradc's batch code against a hand-written C++ loop.
#include <benchmark/benchmark.h>

#include <random>
#include <stdexcept>
#include <vector>

#include "bench/handwritten.h"
#include "codegen/codegen.h"
#include "frontend/frontend.h"
#include "passes/autodiff.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"

using namespace gradc;

namespace {

constexpr const char* kSeedSource = "f = ln x + exp(y)*z\n";
constexpr int64_t kPoints = 1 << 20;

// What `gradc` does for a gradient: parse, lower, differentiate, simplify.
ir::Graph value_and_gradient(ir::DType t) {
  frontend::SourceFile src("seed.grad", kSeedSource);
  ir::Graph g = frontend::compile_to_ir(src, t);
  passes::PassContext ctx;
  passes::PassManager pm(passes::build_pipeline({}));  // -O2
  return pm.run(std::move(g), ctx);
}

// Parse to callable: frontend, autodiff, IR passes, LLVM O2, JIT.
void BM_Latency(benchmark::State& state, ir::DType t) {
  for (auto _ : state) {
    ir::Graph g = value_and_gradient(t);
    codegen::CompiledFunction fn = codegen::compile(g, {t});
    benchmark::DoNotOptimize(&fn);
  }
  state.SetLabel("parse+autodiff+passes+LLVM+JIT");
}

// Only the codegen part of the above.
void BM_CompileOnly(benchmark::State& state, ir::DType t) {
  ir::Graph g = value_and_gradient(t);
  for (auto _ : state) {
    codegen::CompiledFunction fn = codegen::compile(g, {t});
    benchmark::DoNotOptimize(&fn);
  }
}

// SoA columns x ∈ [0.5, 2], y, z ∈ [-1, 1] and the four result columns f, ∂x, ∂y, ∂z.
template <class T>
struct Columns {
  std::vector<T> x, y, z, f, dx, dy, dz;
  Columns() : x(kPoints), y(kPoints), z(kPoints), f(kPoints), dx(kPoints), dy(kPoints), dz(kPoints) {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> ux(0.5, 2), uy(-1, 1);
    for (int64_t i = 0; i < kPoints; ++i) {
      x[i] = static_cast<T>(ux(rng));
      y[i] = static_cast<T>(uy(rng));
      z[i] = static_cast<T>(uy(rng));
    }
  }
};

// The compiled graph's outputs are f then ∂f/∂(inputs in first-use order: x, y, z).
template <class T>
void BM_Gradc(benchmark::State& state) {
  constexpr ir::DType t = sizeof(T) == 8 ? ir::DType::F64 : ir::DType::F32;
  ir::Graph g = value_and_gradient(t);
  if (g.outputs.size() != 4 || g.inputs().size() != 3) throw std::runtime_error("unexpected graph");
  codegen::CompiledFunction fn = codegen::compile(g, {t});
  Columns<T> c;
  const T* in[] = {c.x.data(), c.y.data(), c.z.data()};
  T* out[] = {c.f.data(), c.dx.data(), c.dy.data(), c.dz.data()};
  for (auto _ : state) {
    fn.call_batch(in, out, kPoints);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kPoints);
}

template <class T>
void BM_Handwritten(benchmark::State& state) {
  Columns<T> c;
  for (auto _ : state) {
    if constexpr (sizeof(T) == 8)
      bench::handwritten_f64(c.x.data(), c.y.data(), c.z.data(), c.f.data(), c.dx.data(),
                             c.dy.data(), c.dz.data(), kPoints);
    else
      bench::handwritten_f32(c.x.data(), c.y.data(), c.z.data(), c.f.data(), c.dx.data(),
                             c.dy.data(), c.dz.data(), kPoints);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kPoints);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Latency, f64, ir::DType::F64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_CompileOnly, f64, ir::DType::F64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gradc<double>)->Name("Throughput/gradc/f64")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Handwritten<double>)->Name("Throughput/handwritten/f64")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gradc<float>)->Name("Throughput/gradc/f32")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Handwritten<float>)->Name("Throughput/handwritten/f32")->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
