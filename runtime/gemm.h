// runtime/gemm.h — the matrix multiply that generated code calls for `matmul`.
//
// Row-major BLAS semantics: C = alpha·op(A)·op(B) + beta·C with op(X) = X or Xᵀ (trans_x != 0),
// op(A) m×k, op(B) k×n, C m×n; lda/ldb/ldc are row strides in elements. beta == 0 overwrites C
// (NaN or garbage in C does not propagate). The functions are extern "C" so the JIT can bind
// them by symbol name. Which library does the work, and why: docs/gemm.md.
#pragma once

#include <cstdint>

extern "C" {
void gradc_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc);
void gradc_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                    const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                    double* c, int64_t ldc);

// The same product with op(A) read through a table of row pointers, for a matrix whose rows lie
// apart (a training batch: the shuffled examples where they are stored). trans_a == 0:
// op(A)[i][p] = a_rows[i][a_col0 + p], m rows; trans_a == 1: op(A)[i][p] = a_rows[p][a_col0 + i],
// k rows. B, C, alpha, beta as above. runtime/gemm_rows.cpp says which kernels run where; its
// own skip the depths where a tile of op(A) is all zero, which changes no value (docs/gemm.md).
void gradc_gemm_rows_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                         const float* const* a_rows, int64_t a_col0, const float* b, int64_t ldb, float beta,
                         float* c, int64_t ldc);
}

namespace gradc::runtime {

// Threads for later gemm calls, from any thread; n <= 0 restores the library's default (all
// cores).
void set_gemm_threads(int n);

// The threads a GEMM call uses now: set_gemm_threads' count, else OMP_NUM_THREADS or all cores.
int gemm_threads();

// Whether gradc_gemm_rows_f32 reads the rows in place on this CPU (its own AVX2 kernels) rather
// than gathering them first, which a caller can do as well once for several products.
bool gemm_rows_in_place();

}  // namespace gradc::runtime
