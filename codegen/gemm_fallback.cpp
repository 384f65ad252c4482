// codegen/gemm_fallback.cpp — codegen's own GEMM: what matmul calls when CodegenOptions
// names no tuned one, so that codegen works and is tested without a BLAS.
//
// Row-major BLAS semantics (runtime/gemm.h): C = alpha·op(A)·op(B) + beta·C, beta == 0
// overwrites C. The classic blocking, kept short: op(B) is packed in kc×NR strips and op(A)
// in MR×kc strips (which also absorbs the trans flags), and an MR×NR tile of C lives in
// registers as GCC vector-extension values while p runs over kc. Compiled ahead of time
// for three x86-64 levels (target_clones: v4, v3, baseline; chosen by CPU features, so AMD
// parts qualify too), picked at load time, so it uses AVX-512/AVX2+FMA
// where the host has them. Not threaded.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "codegen/internal.h"

namespace gradc::codegen::detail {

namespace {

typedef float VecF __attribute__((vector_size(64)));
typedef double VecD __attribute__((vector_size(64)));

template <class T> struct VecOf;
template <> struct VecOf<float> { using type = VecF; };
template <> struct VecOf<double> { using type = VecD; };

constexpr int64_t kMR = 6;                 // rows of the register tile
constexpr int64_t kKC = 256, kMC = 96, kNC = 1024;  // cache blocks (kMC a multiple of kMR)

template <class T>
struct Gemm {
  using V = typename VecOf<T>::type;
  static constexpr int64_t NR = 64 / sizeof(T);  // columns of the register tile: one 64-byte vector

  bool ta, tb;
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t lda;
  const T* b;
  int64_t ldb;
  T* c;
  int64_t ldc;
  std::vector<T> ap, bp;  // packed blocks, zero-padded to whole tiles

  T A(int64_t i, int64_t p) const { return ta ? a[p * lda + i] : a[i * lda + p]; }
  T B(int64_t p, int64_t j) const { return tb ? b[j * ldb + p] : b[p * ldb + j]; }

  // op(B)[p0:p0+kc, j0:j0+nc] as strips of NR columns, each kc rows of NR.
  void pack_b(int64_t p0, int64_t kc, int64_t j0, int64_t nc) {
    const int64_t strips = (nc + NR - 1) / NR;
    bp.assign(static_cast<size_t>(strips * kc * NR), T(0));
    for (int64_t s = 0; s < strips; ++s)
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t j = 0; j < NR && s * NR + j < nc; ++j)
          bp[static_cast<size_t>((s * kc + p) * NR + j)] = B(p0 + p, j0 + s * NR + j);
  }

  // op(A)[i0:i0+mc, p0:p0+kc] as strips of kMR rows, stored column by column.
  void pack_a(int64_t i0, int64_t mc, int64_t p0, int64_t kc) {
    const int64_t strips = (mc + kMR - 1) / kMR;
    ap.assign(static_cast<size_t>(strips * kc * kMR), T(0));
    for (int64_t s = 0; s < strips; ++s)
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t r = 0; r < kMR && s * kMR + r < mc; ++r)
          ap[static_cast<size_t>((s * kc + p) * kMR + r)] = A(i0 + s * kMR + r, p0 + p);
  }

  // C[i0.., j0..] += alpha · (kMR×kc strip) · (kc×NR strip), the valid part of the tile only.
  [[gnu::always_inline]] void tile(const T* as, const T* bs, int64_t kc, int64_t i0, int64_t rows, int64_t j0, int64_t cols) {
    V acc[kMR] = {};
    for (int64_t p = 0; p < kc; ++p) {
      V bv;
      std::memcpy(&bv, bs + p * NR, sizeof(V));
      for (int64_t r = 0; r < kMR; ++r) acc[r] += as[p * kMR + r] * bv;
    }
    for (int64_t r = 0; r < rows; ++r) {
      T* ci = c + (i0 + r) * ldc + j0;
      for (int64_t j = 0; j < cols; ++j) ci[j] += alpha * acc[r][j];
    }
  }

  // Inlined into each target clone below, so the tile loop is compiled for that CPU.
  [[gnu::always_inline]] void run(T beta) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    for (int64_t j0 = 0; j0 < n; j0 += kNC) {
      const int64_t nc = std::min(kNC, n - j0);
      for (int64_t p0 = 0; p0 < k; p0 += kKC) {
        const int64_t kc = std::min(kKC, k - p0);
        pack_b(p0, kc, j0, nc);
        for (int64_t i0 = 0; i0 < m; i0 += kMC) {
          const int64_t mc = std::min(kMC, m - i0);
          pack_a(i0, mc, p0, kc);
          for (int64_t s = 0; s * kMR < mc; ++s)
            for (int64_t t = 0; t * NR < nc; ++t)
              tile(ap.data() + s * kc * kMR, bp.data() + t * kc * NR, kc, i0 + s * kMR,
                   std::min(kMR, mc - s * kMR), j0 + t * NR, std::min(NR, nc - t * NR));
        }
      }
    }
  }
};

}  // namespace

#define GRADC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

extern "C" GRADC_CLONES void gradc_codegen_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                                                    float alpha, const float* a, int64_t lda, const float* b,
                                                    int64_t ldb, float beta, float* c, int64_t ldc) {
  Gemm<float>{trans_a != 0, trans_b != 0, m, n, k, alpha, a, lda, b, ldb, c, ldc, {}, {}}.run(beta);
}

extern "C" GRADC_CLONES void gradc_codegen_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                                                    double alpha, const double* a, int64_t lda, const double* b,
                                                    int64_t ldb, double beta, double* c, int64_t ldc) {
  Gemm<double>{trans_a != 0, trans_b != 0, m, n, k, alpha, a, lda, b, ldb, c, ldc, {}, {}}.run(beta);
}

}  // namespace gradc::codegen::detail
