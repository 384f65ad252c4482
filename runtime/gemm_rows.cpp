// runtime/gemm_rows.cpp — a GEMM whose A is read through a table of row pointers, so that a
// training step multiplies the shuffled examples where they lie instead of first copying them
// into a batch (docs/gemm.md, "A read by rows").
//
// On an AVX2 CPU without AVX-512 it runs its own kernels: B packed into 16-column panels, a 6×16
// register tile, A's elements broadcast straight from the rows. Elsewhere (AVX-512, where
// oneDNN's wider kernels win, or no AVX2) it gathers op(A) into a dense buffer and calls
// gradc_gemm_f32. Both are deterministic for a given thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define GRADC_AVX2 __attribute__((target("avx2,fma")))
#endif

namespace {

constexpr int64_t kMR = 6;   // rows of C in a register tile
constexpr int64_t kNR = 16;  // columns of C in a register tile: two 8-float vectors

// op(A)[i][p]: A's row i at column p, or (trans_a) A's row p at column i.
struct RowsA {
  const float* const* rows;
  int64_t col0;
  bool trans;
  const float* at(int64_t i, int64_t p) const { return trans ? rows[p] + col0 + i : rows[i] + col0 + p; }
};

// The portable path: op(A) gathered into a dense m×k buffer (one per thread, reused).
void gather_then_gemm(int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const RowsA& a,
                      const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  thread_local std::vector<float> dense;
  dense.resize(static_cast<size_t>(m * k));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) dense[static_cast<size_t>(i * k + p)] = *a.at(i, p);
  gradc_gemm_f32(0, trans_b, m, n, k, alpha, dense.data(), k, b, ldb, beta, c, ldc);
}

#if defined(__x86_64__)

bool use_own_kernels() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                          !__builtin_cpu_supports("avx512f");
  return yes;
}

// The panel of op(B) at columns j0..j0+15 (zero past n), as k rows of 16 floats.
void pack_panel(int trans_b, const float* b, int64_t ldb, int64_t n, int64_t j0, int64_t k, float* out) {
  const int64_t cols = std::min(kNR, n - j0);
  for (int64_t p = 0; p < k; ++p) {
    float* o = out + p * kNR;
    if (!trans_b && cols == kNR) {
      std::memcpy(o, b + p * ldb + j0, kNR * sizeof(float));
      continue;
    }
    for (int64_t j = 0; j < kNR; ++j)
      o[j] = j >= cols ? 0.0f : trans_b ? b[(j0 + j) * ldb + p] : b[p * ldb + j0 + j];
  }
}

// C[0:MR, 0:cols] = alpha·acc + beta·C; beta == 0 never reads C.
template <int MR>
GRADC_AVX2 inline void store_tile(const __m256* lo, const __m256* hi, float alpha, float beta, float* c, int64_t ldc,
                                  int64_t cols) {
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    if (cols == kNR) {
      __m256 l = _mm256_mul_ps(va, lo[r]), h = _mm256_mul_ps(va, hi[r]);
      if (beta != 0) {
        l = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), l);
        h = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), h);
      }
      _mm256_storeu_ps(cr, l);
      _mm256_storeu_ps(cr + 8, h);
      continue;
    }
    alignas(32) float t[kNR];
    _mm256_store_ps(t, lo[r]);
    _mm256_store_ps(t + 8, hi[r]);
    for (int64_t j = 0; j < cols; ++j) cr[j] = alpha * t[j] + (beta != 0 ? beta * cr[j] : 0.0f);
  }
}

// C[0:MR, 0:cols] = alpha·(an MR-row tile of op(A) · panel) + beta·C over depth k, where
// element p of the tile's row r is *a(r, p). The accumulators are named variables, not an
// array: GCC keeps an array of __m256 in memory and stores it back on every step (the type
// may alias the floats the loop reads), which halved the kernels' speed.
#define GRADC_EACH_ROW(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define GRADC_ZERO(r) __m256 lo##r = _mm256_setzero_ps(), hi##r = _mm256_setzero_ps();
#define GRADC_FMA(r)                              \
  if constexpr (r < MR) {                         \
    const __m256 x = _mm256_broadcast_ss(a(r, p)); \
    lo##r = _mm256_fmadd_ps(x, b0, lo##r);        \
    hi##r = _mm256_fmadd_ps(x, b1, hi##r);        \
  }
template <int MR, class ElementOf>
GRADC_AVX2 inline void run_tile(const ElementOf& a, int64_t k, const float* panel, float alpha, float beta, float* c,
                                int64_t ldc, int64_t cols) {
  GRADC_EACH_ROW(GRADC_ZERO)
#pragma GCC unroll 4
  for (int64_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_load_ps(panel + p * kNR), b1 = _mm256_load_ps(panel + p * kNR + 8);
    GRADC_EACH_ROW(GRADC_FMA)
  }
  const __m256 lo[kMR] = {lo0, lo1, lo2, lo3, lo4, lo5}, hi[kMR] = {hi0, hi1, hi2, hi3, hi4, hi5};
  store_tile<MR>(lo, hi, alpha, beta, c, ldc, cols);
}
#undef GRADC_FMA
#undef GRADC_ZERO
#undef GRADC_EACH_ROW

// op(A) by rows (not trans): each row's elements broadcast straight from where it lies.
template <int MR>
GRADC_AVX2 void tile(const RowsA& a, int64_t i0, int64_t k, const float* panel, float alpha, float beta, float* c,
                     int64_t ldc, int64_t cols) {
  const float* row[MR];
  for (int r = 0; r < MR; ++r) row[r] = a.at(i0 + r, 0);
  run_tile<MR>([&](int r, int64_t p) { return row[r] + p; }, k, panel, alpha, beta, c, ldc, cols);
}
using TileFn = void (*)(const RowsA&, int64_t, int64_t, const float*, float, float, float*, int64_t, int64_t);
constexpr TileFn kTiles[kMR + 1] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};

// A packed tile: k rows of kMR floats (zero past MR).
template <int MR>
GRADC_AVX2 void packed_tile(const float* at, int64_t k, const float* panel, float alpha, float beta, float* c,
                            int64_t ldc, int64_t cols) {
  // C's tile is read last; ask for it now so that it arrives while the products run.
  if (beta != 0)
    for (int r = 0; r < MR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + kNR - 1), _MM_HINT_T0);
    }
  run_tile<MR>([&](int r, int64_t p) { return at + p * kMR + r; }, k, panel, alpha, beta, c, ldc, cols);
}
using PackedTileFn = void (*)(const float*, int64_t, const float*, float, float, float*, int64_t, int64_t);
constexpr PackedTileFn kPackedTiles[kMR + 1] = {nullptr, packed_tile<1>, packed_tile<2>, packed_tile<3>,
                                               packed_tile<4>, packed_tile<5>, packed_tile<6>};

// Every row block of C against one packed panel of full depth.
void rows_against_panel(const RowsA& a, int64_t m, int64_t k, const float* panel, float alpha, float beta, float* c,
                        int64_t ldc, int64_t cols) {
  for (int64_t i = 0; i < m; i += kMR) kTiles[std::min(kMR, m - i)](a, i, k, panel, alpha, beta, c + i * ldc, ldc, cols);
}

// A buffer of at least n floats, 32-byte aligned, kept per thread (no allocation once grown).
float* scratch(std::vector<float>& v, int64_t n) {
  if (v.size() < static_cast<size_t>(n + 8)) v.resize(static_cast<size_t>(n + 8));
  return v.data() + ((32 - reinterpret_cast<uintptr_t>(v.data()) % 32) % 32) / sizeof(float);
}

// `threads` is unused where OpenMP is not compiled in (clang's fuzz build: docs/fuzzing.md).

// op(A) by rows (X·W): each thread takes whole panels of B, packs one at a time (k×16 floats,
// L2-sized) and runs every row tile against it; A's rows are read once per panel.
void by_panels(int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const RowsA& a, const float* b,
               int64_t ldb, float beta, float* c, int64_t ldc, [[maybe_unused]] int threads) {
  const int64_t panels = (n + kNR - 1) / kNR;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    thread_local std::vector<float> buffer;
    float* panel = scratch(buffer, k * kNR);
#pragma omp for schedule(static) nowait
    for (int64_t j = 0; j < panels; ++j) {
      const int64_t j0 = j * kNR;
      pack_panel(trans_b, b, ldb, n, j0, k, panel);
      rows_against_panel(a, m, k, panel, alpha, beta, c + j0, ldc, std::min(kNR, n - j0));
    }
  }
}

// op(A) by columns (Xᵀ·dY, k the batch): each thread packs all of B (k×n, small: k is a batch;
// packing it twice costs less than a barrier), then takes row tiles of C, packs each tile's A
// (k×6, L1) and runs it against every panel.
void by_row_tiles(int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const RowsA& a, const float* b,
                  int64_t ldb, float beta, float* c, int64_t ldc, [[maybe_unused]] int threads) {
  const int64_t panels = (n + kNR - 1) / kNR, tiles = (m + kMR - 1) / kMR;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    thread_local std::vector<float> b_buffer, a_buffer;
    float* packed = scratch(b_buffer, panels * k * kNR);
    float* at = scratch(a_buffer, k * kMR);
    for (int64_t j = 0; j < panels; ++j) pack_panel(trans_b, b, ldb, n, j * kNR, k, packed + j * k * kNR);
#pragma omp for schedule(static) nowait
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t i = t * kMR, mr = std::min(kMR, m - i);
      for (int64_t p = 0; p < k; ++p)
        for (int64_t r = 0; r < kMR; ++r) at[p * kMR + r] = r < mr ? *a.at(i + r, p) : 0.0f;
      for (int64_t j = 0; j < panels; ++j)
        kPackedTiles[mr](at, k, packed + j * k * kNR, alpha, beta, c + i * ldc + j * kNR, ldc, std::min(kNR, n - j * kNR));
    }
  }
}

void own_gemm(int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const RowsA& a, const float* b,
              int64_t ldb, float beta, float* c, int64_t ldc, int threads) {
  (a.trans ? by_row_tiles : by_panels)(trans_b, m, n, k, alpha, a, b, ldb, beta, c, ldc, threads);
}

#else

bool use_own_kernels() { return false; }
void own_gemm(int, int64_t, int64_t, int64_t, float, const RowsA&, const float*, int64_t, float, float*, int64_t,
              int) {}

#endif

}  // namespace

extern "C" void gradc_gemm_rows_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                                    const float* const* a_rows, int64_t a_col0, const float* b, int64_t ldb,
                                    float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  const RowsA a{a_rows, a_col0, trans_a != 0};
  if (k == 0 || alpha == 0 || !use_own_kernels())
    return gather_then_gemm(trans_b, m, n, k, alpha, a, b, ldb, beta, c, ldc);
  own_gemm(trans_b, m, n, k, alpha, a, b, ldb, beta, c, ldc, gradc::runtime::gemm_threads());
}

bool gradc::runtime::gemm_rows_in_place() { return use_own_kernels(); }
