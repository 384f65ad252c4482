// bench/gemm_bench.cpp — which GEMM library should gradc's runtime call for `matmul`?
//
// Row-major C = op(A)·op(B) at the shapes of an MLP 784-256-128-64-10 (forward, dW = Xᵀ·dY,
// dX = dY·Wᵀ) at batch 64 and 256, plus 512³: oneDNN (f32 only), OpenBLAS, BLIS when its
// header was found, plain loops, and gradc's own gradc_gemm_*; f32 and f64, 1 and 2 threads.
// Counters: GFLOPS (2·M·N·K per wall second) and cpu_util (process CPU time / wall time: above
// the thread count means helper threads are spinning).
//
// Run one library per process (bench/gemm.sh does): OpenMP's and OpenBLAS's thread pools
// spin after a call, which would steal the core from the next library's benchmark, and
// OpenBLAS picks its kernels once, at load, from OPENBLAS_CORETYPE.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/gemm.h"

#include <cblas.h>
#include <omp.h>  // Debian's oneDNN runs on OpenMP: its thread count is OpenMP's
#include <oneapi/dnnl/dnnl.h>
#ifdef GRADC_BLIS_H
#include <dlfcn.h>

#include "bench/blis_wrap.h"
#endif

namespace {

struct Shape {
  std::string name;
  bool ta, tb;
  int64_t m, n, k;
};

// The products of one training step of the MLP at batch b. dX of layer 1 is left out: the
// input's gradient is never needed.
std::vector<Shape> mlp_shapes(int64_t b) {
  const int64_t w[] = {784, 256, 128, 64, 10};
  std::vector<Shape> s;
  auto tag = [&](const char* what, int layer) {
    std::string t = "b";
    t += std::to_string(b) + "/" + what + std::to_string(layer);
    return t;
  };
  for (int l = 0; l < 4; ++l) s.push_back({tag("fwd", l + 1), false, false, b, w[l + 1], w[l]});
  for (int l = 0; l < 4; ++l) s.push_back({tag("dW", l + 1), true, false, w[l], w[l + 1], b});
  for (int l = 1; l < 4; ++l) s.push_back({tag("dX", l + 1), false, true, b, w[l], w[l + 1]});
  return s;
}

// The "generated loops" baseline: what straightforward codegen would emit, loop orders chosen
// so the innermost loop is contiguous (vectorisable) in every case.
template <class T>
void naive_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                const T* b, int64_t ldb, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) ci[j] = 0;
    if (!tb) {  // C[i,:] += op(A)[i,p] · B[p,:]
      for (int64_t p = 0; p < k; ++p) {
        const T aip = ta ? a[p * lda + i] : a[i * lda + p];
        const T* bp = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) ci[j] += aip * bp[j];
      }
    } else {  // C[i,j] = op(A)[i,:] · B[j,:]  (a dot product; needs reassociation to vectorise)
      for (int64_t j = 0; j < n; ++j) {
        T s = 0;
        for (int64_t p = 0; p < k; ++p) s += (ta ? a[p * lda + i] : a[i * lda + p]) * b[j * ldb + p];
        ci[j] = s;
      }
    }
  }
}

enum class Lib { Loops, Runtime, Dnnl, OpenBlas, Blis };

#ifdef GRADC_BLIS_H
// BLIS is dlopen'ed RTLD_LOCAL, not linked: it defines cblas_* too, and linked it could take
// OpenBLAS's place in cblas_dgemm calls (the runtime's f64 path).
struct Blis {
  decltype(&bli_sgemm) sgemm = nullptr;
  decltype(&bli_dgemm) dgemm = nullptr;
  decltype(&bli_thread_set_num_threads) set_threads = nullptr;
  decltype(&bli_arch_query_id) arch_id = nullptr;
  decltype(&bli_arch_string) arch_string = nullptr;
};
const Blis* blis() {
  static const Blis lib = [] {
    Blis l;
    if (void* h = dlopen("libblis.so.4", RTLD_NOW | RTLD_LOCAL)) {
      l.sgemm = reinterpret_cast<decltype(l.sgemm)>(dlsym(h, "bli_sgemm"));
      l.dgemm = reinterpret_cast<decltype(l.dgemm)>(dlsym(h, "bli_dgemm"));
      l.set_threads = reinterpret_cast<decltype(l.set_threads)>(dlsym(h, "bli_thread_set_num_threads"));
      l.arch_id = reinterpret_cast<decltype(l.arch_id)>(dlsym(h, "bli_arch_query_id"));
      l.arch_string = reinterpret_cast<decltype(l.arch_string)>(dlsym(h, "bli_arch_string"));
    }
    return l;
  }();
  return lib.sgemm && lib.dgemm && lib.set_threads && lib.arch_id && lib.arch_string ? &lib : nullptr;
}
#endif

template <class T>
void call(Lib lib, const Shape& s, const T* a, const T* b, T* c) {
  // Row-major, densely packed: lda/ldb are the stored rows' lengths.
  const int64_t lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n, ldc = s.n;
  constexpr bool f32 = sizeof(T) == 4;
  switch (lib) {
    case Lib::Loops:
      naive_gemm(s.ta, s.tb, s.m, s.n, s.k, a, lda, b, ldb, c, ldc);
      return;
    case Lib::Runtime:
      if constexpr (f32)
        gradc_gemm_f32(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc);
      else
        gradc_gemm_f64(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, ldc);
      return;
    case Lib::Dnnl:
      if constexpr (f32)  // oneDNN has no f64 GEMM; only registered for f32
        dnnl_sgemm(s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', s.m, s.n, s.k, 1.f, a, lda, b, ldb, 0.f, c, ldc);
      return;
    case Lib::OpenBlas:
      if constexpr (f32)
        cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans,
                    int(s.m), int(s.n), int(s.k), 1.f, a, int(lda), b, int(ldb), 0.f, c, int(ldc));
      else
        cblas_dgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans,
                    int(s.m), int(s.n), int(s.k), 1., a, int(lda), b, int(ldb), 0., c, int(ldc));
      return;
    case Lib::Blis:
#ifdef GRADC_BLIS_H
    {  // BLIS's typed API takes row and column strides, so row-major needs no transposition trick
      const trans_t bta = s.ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE;
      const trans_t btb = s.tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE;
      T one = 1, zero = 0;
      if constexpr (f32)
        blis()->sgemm(bta, btb, s.m, s.n, s.k, &one, const_cast<T*>(a), lda, 1, const_cast<T*>(b), ldb, 1,
                  &zero, c, ldc, 1);
      else
        blis()->dgemm(bta, btb, s.m, s.n, s.k, &one, const_cast<T*>(a), lda, 1, const_cast<T*>(b), ldb, 1,
                  &zero, c, ldc, 1);
    }
#endif
      return;
  }
}

void set_threads(Lib lib, int n) {
  switch (lib) {
    case Lib::Loops: return;
    case Lib::Runtime: gradc::runtime::set_gemm_threads(n); return;
    case Lib::Dnnl: omp_set_num_threads(n); return;  // per calling thread, as OpenMP settings are
    case Lib::OpenBlas: openblas_set_num_threads(n); return;
#ifdef GRADC_BLIS_H
    case Lib::Blis: blis()->set_threads(n); return;  // BLIS defaults to 1, ignores OpenMP's
#endif
    default: return;
  }
}

double seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

template <class T>
void bm_gemm(benchmark::State& state, Lib lib, Shape s, int threads) {
  set_threads(lib, threads);
  auto alloc = [](int64_t count) {  // 64-byte aligned, like the JIT's buffers
    const size_t bytes = (size_t(count) * sizeof(T) + 63) / 64 * 64;
    return std::unique_ptr<T[], decltype(&std::free)>(static_cast<T*>(std::aligned_alloc(64, bytes)),
                                                      &std::free);
  };
  auto a = alloc(s.m * s.k), b = alloc(s.k * s.n), c = alloc(s.m * s.n);
  std::mt19937 rng(42);
  std::uniform_real_distribution<T> dist(-1, 1);
  for (int64_t i = 0; i < s.m * s.k; ++i) a[i] = dist(rng);
  for (int64_t i = 0; i < s.k * s.n; ++i) b[i] = dist(rng);
  call(lib, s, a.get(), b.get(), c.get());  // warm-up: JIT kernels, thread pools, caches
  {  // and a check that the call computes the product we think it does
    auto ref = alloc(s.m * s.n);
    naive_gemm(s.ta, s.tb, s.m, s.n, s.k, a.get(), s.ta ? s.m : s.k, b.get(), s.tb ? s.k : s.n,
               ref.get(), s.n);
    for (int64_t i = 0; i < s.m * s.n; ++i)
      if (!(std::abs(c[i] - ref[i]) <= T(1e-3) * (1 + std::abs(ref[i])))) {
        state.SkipWithError("wrong result");
        return;
      }
  }

  const double cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID), wall0 = seconds(CLOCK_MONOTONIC);
  for (auto _ : state) {
    call(lib, s, a.get(), b.get(), c.get());
    benchmark::DoNotOptimize(c.get());
    benchmark::ClobberMemory();
  }
  const double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0, wall = seconds(CLOCK_MONOTONIC) - wall0;
  state.counters["GFLOPS"] = benchmark::Counter(2e-9 * double(s.m * s.n * s.k),
                                                benchmark::Counter::kIsIterationInvariantRate);
  state.counters["cpu_util"] = wall > 0 ? cpu / wall : 0;
}

std::string lib_name(Lib lib) {
  switch (lib) {
    case Lib::Loops: return "loops";
    case Lib::Runtime: return "runtime";
    case Lib::Dnnl: return "onednn";
    case Lib::OpenBlas: return std::string("openblas-") + openblas_get_corename();  // kernels in use
#ifdef GRADC_BLIS_H
    case Lib::Blis: return std::string("blis-") + blis()->arch_string(blis()->arch_id());
#endif
    default: return "?";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Shape> shapes = mlp_shapes(64);
  for (const Shape& s : mlp_shapes(256)) shapes.push_back(s);
  shapes.push_back({"square512", false, false, 512, 512, 512});

  std::vector<Lib> libs = {Lib::Loops, Lib::Runtime, Lib::Dnnl, Lib::OpenBlas};
#ifdef GRADC_BLIS_H
  if (blis()) libs.push_back(Lib::Blis);
#endif
  // Name: gemm/<lib>/<dtype>/t<threads>/<shape>, e.g. gemm/onednn/f32/t1/b64/fwd1.
  for (Lib lib : libs)
    for (int threads : {1, 2}) {
      if (lib == Lib::Loops && threads == 2) continue;  // the baseline is single-threaded
      for (const char* dtype : {"f32", "f64"}) {
        if (lib == Lib::Dnnl && dtype[1] == '6') continue;
        for (const Shape& s : shapes) {
          const std::string name =
              "gemm/" + lib_name(lib) + "/" + dtype + "/t" + std::to_string(threads) + "/" + s.name;
          auto* b = dtype[1] == '3' ? benchmark::RegisterBenchmark(name.c_str(), bm_gemm<float>, lib, s, threads)
                                    : benchmark::RegisterBenchmark(name.c_str(), bm_gemm<double>, lib, s, threads);
          b->UseRealTime()->Unit(benchmark::kMicrosecond);
        }
      }
    }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
