// runtime/gemm.cpp — f32 on oneDNN, f64 on OpenBLAS: the fastest at gradc's MLP shapes, and
// oneDNN has no f64 GEMM (measurements and the reasons: docs/gemm.md).
#include "runtime/gemm.h"

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include <cblas.h>  // OpenBLAS's, which also declares openblas_set_num_threads
#include <omp.h>    // Debian's oneDNN runs on OpenMP: its thread count is OpenMP's
#include <oneapi/dnnl/dnnl.h>

namespace {

// Debian's OpenBLAS takes 32-bit int dimensions; a larger one is a codegen bug, not a case to
// handle.
int blas_int(int64_t v) {
  if (v < 0 || v > INT_MAX) {
    std::fprintf(stderr, "gradc_gemm: dimension %lld out of range\n", static_cast<long long>(v));
    std::abort();
  }
  return static_cast<int>(v);
}

// C = beta·C, done here for k == 0 and alpha == 0 so that the libraries' lda >= max(1, k)
// checks (OpenBLAS prints and skips the call, oneDNN returns an error) never see an empty operand.
template <class T>
void scale(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0 ? T(0) : beta * c[i * ldc + j];
}

CBLAS_TRANSPOSE trans(int t) { return t ? CblasTrans : CblasNoTrans; }

// set_gemm_threads' value (0: library default). OpenMP's thread count is a per-thread setting,
// so the f32 path applies it on whichever thread calls the GEMM.
std::atomic<int> g_threads{0};
const int g_omp_default = omp_get_max_threads();  // OMP_NUM_THREADS or all cores

}  // namespace

extern "C" void gradc_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                               const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                               float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0) return scale(m, n, beta, c, ldc);
  const int threads = gradc::runtime::gemm_threads();
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
  // dnnl_sgemm is row-major already, with BLAS's 'N'/'T' flags and 64-bit dimensions.
  const dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a,
                                      lda, b, ldb, beta, c, ldc);
  if (st != dnnl_success) {
    std::fprintf(stderr, "gradc_gemm_f32: dnnl_sgemm failed (status %d)\n", static_cast<int>(st));
    std::abort();
  }
}

extern "C" void gradc_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                               double alpha, const double* a, int64_t lda, const double* b,
                               int64_t ldb, double beta, double* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0) return scale(m, n, beta, c, ldc);
  cblas_dgemm(CblasRowMajor, trans(trans_a), trans(trans_b), blas_int(m), blas_int(n), blas_int(k),
              alpha, a, blas_int(lda), b, blas_int(ldb), beta, c, blas_int(ldc));
}

namespace gradc::runtime {

int gemm_threads() {
  const int want = g_threads.load(std::memory_order_relaxed);
  return want > 0 ? want : g_omp_default;
}

void set_gemm_threads(int n) {
  g_threads.store(n > 0 ? n : 0, std::memory_order_relaxed);
  // OpenBLAS's count is process-wide; its default (OPENBLAS_NUM_THREADS or all cores) is what it
  // holds before the first change.
  static const int openblas_default = openblas_get_num_threads();
  openblas_set_num_threads(n > 0 ? n : openblas_default);
}

}  // namespace gradc::runtime
