// tests/unit/runtime_gemm_test.cpp — gradc_gemm_f32/f64 against a naive double-precision loop.
//
// Every trans combination, odd and degenerate sizes, padded leading dimensions, and the BLAS
// rule that beta == 0 overwrites C (NaN already in C must not survive).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "runtime/gemm.h"

namespace {

struct Case {
  int64_t m, n, k;
};

template <class T>
void gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if constexpr (sizeof(T) == 4)
    gradc_gemm_f32(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    gradc_gemm_f64(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Runs one product with leading dimensions padded by `pad` and checks every element of C, and
// that the padding of C is left alone.
template <class T>
void check(int ta, int tb, Case s, T alpha, T beta, int64_t pad = 0) {
  INFO("trans_a " << ta << " trans_b " << tb << " m " << s.m << " n " << s.n << " k " << s.k
                  << " alpha " << alpha << " beta " << beta << " pad " << pad);
  const int64_t rows_a = ta ? s.k : s.m, cols_a = ta ? s.m : s.k;
  const int64_t rows_b = tb ? s.n : s.k, cols_b = tb ? s.k : s.n;
  const int64_t lda = cols_a + pad, ldb = cols_b + pad, ldc = s.n + pad;
  std::mt19937 rng(7);
  std::uniform_real_distribution<T> dist(-1, 1);
  std::vector<T> a(size_t(rows_a * lda)), b(size_t(rows_b * ldb)), c(size_t(s.m * ldc));
  for (T& x : a) x = dist(rng);
  for (T& x : b) x = dist(rng);
  const T garbage = beta == 0 ? std::numeric_limits<T>::quiet_NaN() : T(0);
  for (T& x : c) x = beta == 0 ? garbage : dist(rng);
  const std::vector<T> c0 = c;

  gemm<T>(ta, tb, s.m, s.n, s.k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);

  const double eps = std::numeric_limits<T>::epsilon();
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      double ref = 0, mag = 0;  // mag: the sum of |terms|, which bounds the rounding error
      for (int64_t p = 0; p < s.k; ++p) {
        const double x = ta ? a[size_t(p * lda + i)] : a[size_t(i * lda + p)];
        const double y = tb ? b[size_t(j * ldb + p)] : b[size_t(p * ldb + j)];
        ref += x * y;
        mag += std::abs(x * y);
      }
      const double old = c0[size_t(i * ldc + j)];
      ref = double(alpha) * ref + (beta == 0 ? 0.0 : double(beta) * old);
      mag = std::abs(double(alpha)) * mag + (beta == 0 ? 0.0 : std::abs(double(beta) * old));
      const double got = c[size_t(i * ldc + j)];
      INFO("C[" << i << "," << j << "] = " << got << ", expected " << ref);
      REQUIRE(std::abs(got - ref) <= 4 * eps * double(s.k + 2) * mag + 1e-300);
    }
    for (int64_t j = s.n; j < ldc; ++j) {  // padding: untouched
      const T before = c0[size_t(i * ldc + j)], after = c[size_t(i * ldc + j)];
      REQUIRE((after == before || (std::isnan(after) && std::isnan(before))));
    }
  }
}

const Case kSizes[] = {{1, 1, 1}, {3, 5, 7}, {65, 33, 17}, {4, 6, 0}, {2, 1, 9}, {1, 8, 3}};

template <class T>
void check_all() {
  for (int ta : {0, 1})
    for (int tb : {0, 1})
      for (Case s : kSizes) {
        check<T>(ta, tb, s, 1, 0);       // C fully overwritten, NaN in C ignored
        check<T>(ta, tb, s, 1.5, 0.5);   // accumulation into C
        check<T>(ta, tb, s, -2, 0, 3);   // padded leading dimensions
        check<T>(ta, tb, s, 0, 0.25);    // alpha == 0: only beta·C
      }
}

}  // namespace

TEST_CASE("gemm f32 matches a naive loop for all trans and odd sizes", "[runtime][gemm]") {
  check_all<float>();
}

TEST_CASE("gemm f64 matches a naive loop for all trans and odd sizes", "[runtime][gemm]") {
  check_all<double>();
}

TEST_CASE("gemm k = 0 gives beta*C, and 0*C with NaN in C is 0", "[runtime][gemm]") {
  std::vector<double> c = {1, 2, std::numeric_limits<double>::quiet_NaN(), 4};
  gradc_gemm_f64(0, 0, 2, 2, 0, 1.0, nullptr, 1, nullptr, 2, 3.0, c.data(), 2);
  CHECK(c[0] == 3);
  CHECK(c[3] == 12);
  CHECK(std::isnan(c[2]));  // beta != 0: NaN·3 stays NaN, as in BLAS
  gradc_gemm_f64(0, 0, 2, 2, 0, 1.0, nullptr, 1, nullptr, 2, 0.0, c.data(), 2);
  CHECK(c == std::vector<double>{0, 0, 0, 0});
}

TEST_CASE("gemm with 1 and 2 threads gives the same result", "[runtime][gemm]") {
  // Large enough that the library actually splits the work.
  for (int threads : {1, 2, 0}) {
    gradc::runtime::set_gemm_threads(threads);
    check<float>(0, 1, {300, 200, 150}, 1, 0);
    check<double>(1, 0, {256, 128, 64}, 1, 0);
  }
}

namespace {

// How check_rows fills A and B: dense; sparse (many exact zeros, in the patterns of a batch
// of images: whole depths, whole tiles and scattered elements, which the kernels skip); or
// sparse with ±inf and NaN in B where A is zero (0·inf is NaN: nothing may be skipped there).
enum class Fill { dense, sparse, sparse_inf };

// gradc_gemm_rows_f32 against the naive loop: A's rows stored apart in a shuffled order, each
// behind `col0` columns of NaN that must never be read, and the product checked element by
// element (NaN where the loop gives NaN). Sizes cover every tile remainder (m mod 6, n mod 16),
// k = 1 and the MLP's shapes.
void check_rows(int ta, int tb, Case s, float alpha, float beta, Fill fill = Fill::dense) {
  INFO("trans_a " << ta << " trans_b " << tb << " m " << s.m << " n " << s.n << " k " << s.k << " alpha "
                  << alpha << " beta " << beta << " fill " << static_cast<int>(fill));
  const int64_t rows_a = ta ? s.k : s.m, cols_a = ta ? s.m : s.k, col0 = 3, stride = cols_a + col0 + 1;
  const int64_t rows_b = tb ? s.n : s.k, cols_b = tb ? s.k : s.n;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1, 1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> store(size_t(rows_a * stride), nan), b(size_t(rows_b * cols_b)), c(size_t(s.m * s.n));
  std::vector<const float*> rows(static_cast<size_t>(rows_a));
  for (int64_t r = 0; r < rows_a; ++r) {
    const int64_t slot = (r * 7 + 3) % rows_a;  // rows_a is never a multiple of 7 below
    rows[size_t(r)] = store.data() + slot * stride;
    for (int64_t p = 0; p < cols_a; ++p) {
      const bool zero = fill != Fill::dense && (r % 4 == 1 || (p / 6) % 3 == 0 || p % 5 == 2 || rng() % 3 == 0);
      store[size_t(slot * stride + col0 + p)] = zero ? 0.0f : dist(rng);
    }
  }
  for (float& x : b) x = dist(rng);
  if (fill == Fill::sparse_inf)
    for (size_t i = 0; i < b.size(); i += 7) b[i] = i % 3 == 0 ? nan : (i % 2 ? 1 : -1) * std::numeric_limits<float>::infinity();
  for (float& x : c) x = beta == 0 ? nan : dist(rng);
  const std::vector<float> c0 = c;

  gradc_gemm_rows_f32(ta, tb, s.m, s.n, s.k, alpha, rows.data(), col0, b.data(), cols_b, beta, c.data(), s.n);

  const double eps = std::numeric_limits<float>::epsilon();
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      double ref = 0, mag = 0;
      for (int64_t p = 0; p < s.k; ++p) {
        const double x = ta ? rows[size_t(p)][col0 + i] : rows[size_t(i)][col0 + p];
        const double y = tb ? b[size_t(j * cols_b + p)] : b[size_t(p * cols_b + j)];
        ref += x * y;
        mag += std::abs(x * y);
      }
      const double old = c0[size_t(i * s.n + j)];
      ref = double(alpha) * ref + (beta == 0 ? 0.0 : double(beta) * old);
      mag = std::abs(double(alpha)) * mag + (beta == 0 ? 0.0 : std::abs(double(beta) * old));
      const double got = c[size_t(i * s.n + j)];
      INFO("C[" << i << "," << j << "] = " << got << ", expected " << ref);
      if (!std::isfinite(ref)) {
        REQUIRE((std::isnan(ref) ? std::isnan(got) : got == ref));
        continue;
      }
      REQUIRE(std::abs(got - ref) <= 4 * eps * double(s.k + 2) * mag + 1e-30);
    }
}

}  // namespace

TEST_CASE("gemm by rows matches a naive loop for all trans, tile remainders and threads", "[runtime][gemm]") {
  const Case sizes[] = {{1, 1, 1},   {5, 15, 1},  {6, 16, 2},   {13, 33, 9}, {64, 10, 65},
                        {65, 17, 64}, {11, 100, 3}, {200, 40, 30}, {4, 6, 0},
                        {50, 64, 7},  {97, 48, 20}};  // whole 16-column panels: Xᵀ·dY onto C
  for (int threads : {1, 2})
    for (int ta : {0, 1})
      for (int tb : {0, 1})
        for (Case s : sizes) {
          gradc::runtime::set_gemm_threads(threads);
          check_rows(ta, tb, s, 1, 0);       // C overwritten: NaN in C never read
          check_rows(ta, tb, s, -0.5f, 1);   // the SGD update: W -= lr·Xᵀ·dY
          check_rows(ta, tb, s, 2, 0.25f);
          check_rows(ta, tb, s, 0, 0.5f);    // alpha == 0: only beta·C
          for (Fill fill : {Fill::sparse, Fill::sparse_inf}) {
            check_rows(ta, tb, s, 1, 0, fill);
            check_rows(ta, tb, s, -0.5f, 1, fill);
            check_rows(ta, tb, s, 2, 0.25f, fill);
          }
        }
  gradc::runtime::set_gemm_threads(0);
}
