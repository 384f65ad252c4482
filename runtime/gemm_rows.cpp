// runtime/gemm_rows.cpp — a GEMM whose A is read through a table of row pointers, so that a
// training step multiplies the shuffled examples where they lie instead of first copying them
// into a batch (docs/gemm.md, "A read by rows").
//
// On an AVX2 CPU without AVX-512 it runs its own kernels: B packed into 16-column panels, a 6×16
// register tile, A's elements broadcast straight from the rows, and the depths where a tile of
// op(A) is all zero skipped (below, "Skipping zeros"). Elsewhere (AVX-512, where oneDNN's
// wider kernels win, or no AVX2) it gathers op(A) into a dense buffer and calls
// gradc_gemm_f32. Both are deterministic for a given thread count.
#include <algorithm>
#include <climits>
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

// Skipping zeros. A training batch is sparse where it matters most: half of fashion-mnist's
// pixels are exactly 0 (the background), and a ReLU layer's outputs often are. A depth p at
// which every element of a tile's op(A) is zero adds only zero products, so the kernels leave
// it out: each tile runs over a list of its live depths. This changes no bit of the result as
// long as the B it meets is finite (0·inf and 0·NaN are NaN, so a panel holding either runs
// every depth): a sum that starts from +0 stays +0 through zero products, and any other sum
// is unchanged by adding ±0. (One exception, the sign of a zero: C = −0 accumulated onto with
// only zero products stays −0 where the dense loop gives +0; the values compare equal.)
// Which depths live is decided per tile from the data, so the result stays deterministic.

// Depths are listed as int32; a GEMM deeper than that (8 GiB rows) runs every depth.
constexpr int64_t kMaxListedDepth = INT32_MAX;

// The panel of scale·op(B) at columns j0..j0+15 (zero past n), as k rows of 16 floats. Returns
// whether every packed value is finite.
GRADC_AVX2 bool pack_panel(int trans_b, const float* b, int64_t ldb, int64_t n, int64_t j0, int64_t k, float* out,
                           float scale = 1.0f) {
  const int64_t cols = std::min(kNR, n - j0);
  const __m256 s = _mm256_set1_ps(scale);
  __m256 bad = _mm256_setzero_ps();  // lanes where x − x is not 0: x is ±inf or NaN
  bool finite = true;
  for (int64_t p = 0; p < k; ++p) {
    float* o = out + p * kNR;
    if (!trans_b && cols == kNR) {
      const __m256 lo = _mm256_mul_ps(s, _mm256_loadu_ps(b + p * ldb + j0));
      const __m256 hi = _mm256_mul_ps(s, _mm256_loadu_ps(b + p * ldb + j0 + 8));
      _mm256_store_ps(o, lo);
      _mm256_store_ps(o + 8, hi);
      bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_sub_ps(lo, lo), _mm256_setzero_ps(), _CMP_NEQ_UQ));
      bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_sub_ps(hi, hi), _mm256_setzero_ps(), _CMP_NEQ_UQ));
      continue;
    }
    for (int64_t j = 0; j < kNR; ++j) {
      o[j] = j >= cols ? 0.0f : scale * (trans_b ? b[(j0 + j) * ldb + p] : b[p * ldb + j0 + j]);
      finite &= o[j] - o[j] == 0.0f;
    }
  }
  return finite && _mm256_movemask_ps(bad) == 0;
}

// Which of depths p..p+7 live in op(A)'s rows i0..i0+mr−1 (A by rows): bit j is set where some
// row is not zero at p + j (NaN counts as not zero).
GRADC_AVX2 inline unsigned live_bits(const RowsA& a, int64_t i0, int64_t mr, int64_t p) {
  __m256 any = _mm256_setzero_ps();
  for (int64_t r = 0; r < mr; ++r)
    any = _mm256_or_ps(any, _mm256_cmp_ps(_mm256_loadu_ps(a.at(i0 + r, p)), _mm256_setzero_ps(), _CMP_NEQ_UQ));
  return static_cast<unsigned>(_mm256_movemask_ps(any));
}
bool live_at(const RowsA& a, int64_t i0, int64_t mr, int64_t p) {
  bool any = false;
  for (int64_t r = 0; r < mr; ++r) any |= !(*a.at(i0 + r, p) == 0.0f);
  return any;
}

// The depths 0..k−1 at which some of op(A)'s rows i0..i0+mr−1 (A by rows) is not zero, in
// order, into live; returns how many. A dense tile (every depth lives: the common case away
// from images) costs one counting pass and writes no list; otherwise a second pass, over rows
// the first brought into the cache, writes it branch-free (every depth is written, and the
// count moves past it only if it lives).
GRADC_AVX2 int64_t live_depths(const RowsA& a, int64_t i0, int64_t mr, int64_t k, int32_t* live) {
  const int64_t whole = k / 8 * 8;
  int64_t count = 0;
  for (int64_t p = 0; p < whole; p += 8) count += __builtin_popcount(live_bits(a, i0, mr, p));
  for (int64_t p = whole; p < k; ++p) count += live_at(a, i0, mr, p);
  if (count == k) return k;
  int64_t q = 0;
  for (int64_t p = 0; p < whole; p += 8) {
    const unsigned bits = live_bits(a, i0, mr, p);
    for (int j = 0; j < 8; ++j) {
      live[q] = static_cast<int32_t>(p + j);
      q += (bits >> j) & 1;
    }
  }
  for (int64_t p = whole; p < k; ++p) {
    live[q] = static_cast<int32_t>(p);
    q += live_at(a, i0, mr, p);
  }
  return q;
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

// C[0:MR, 0:cols] = alpha·(an MR-row tile of op(A) · panel) + beta·C over `count` depths: the
// q-th is live[q] (Listed) or q, and element (r, q) of the tile is *a(r, q, depth). The
// accumulators are named variables, not an array: GCC keeps an array of __m256 in memory and
// stores it back on every step (the type may alias the floats the loop reads), which halved the
// kernels' speed.
#define GRADC_EACH_ROW(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define GRADC_ZERO(r) __m256 lo##r = _mm256_setzero_ps(), hi##r = _mm256_setzero_ps();
#define GRADC_FMA(r)                                  \
  if constexpr (r < MR) {                             \
    const __m256 x = _mm256_broadcast_ss(a(r, q, p)); \
    lo##r = _mm256_fmadd_ps(x, b0, lo##r);            \
    hi##r = _mm256_fmadd_ps(x, b1, hi##r);            \
  }
template <int MR, bool Listed, class ElementOf>
GRADC_AVX2 inline void run_tile(const ElementOf& a, const int32_t* live, int64_t count, const float* panel, float alpha,
                                float beta, float* c, int64_t ldc, int64_t cols) {
  GRADC_EACH_ROW(GRADC_ZERO)
#pragma GCC unroll 4
  for (int64_t q = 0; q < count; ++q) {
    const int64_t p = Listed ? live[q] : q;
    const __m256 b0 = _mm256_load_ps(panel + p * kNR), b1 = _mm256_load_ps(panel + p * kNR + 8);
    GRADC_EACH_ROW(GRADC_FMA)
  }
  const __m256 lo[kMR] = {lo0, lo1, lo2, lo3, lo4, lo5}, hi[kMR] = {hi0, hi1, hi2, hi3, hi4, hi5};
  store_tile<MR>(lo, hi, alpha, beta, c, ldc, cols);
}
#undef GRADC_FMA
#undef GRADC_ZERO

// op(A) by rows (not trans): each row's elements broadcast straight from where it lies; over
// the listed depths (live != null) or all k.
template <int MR>
GRADC_AVX2 void tile(const RowsA& a, int64_t i0, const int32_t* live, int64_t count, const float* panel, float alpha,
                     float beta, float* c, int64_t ldc, int64_t cols) {
  const float* row[MR];
  for (int r = 0; r < MR; ++r) row[r] = a.at(i0 + r, 0);
  const auto element = [&](int r, int64_t, int64_t p) { return row[r] + p; };
  if (live)
    run_tile<MR, true>(element, live, count, panel, alpha, beta, c, ldc, cols);
  else
    run_tile<MR, false>(element, nullptr, count, panel, alpha, beta, c, ldc, cols);
}
using TileFn = void (*)(const RowsA&, int64_t, const int32_t*, int64_t, const float*, float, float, float*, int64_t,
                        int64_t);
constexpr TileFn kTiles[kMR + 1] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};

// A packed tile (pack_a_tile): `count` rows of kMR floats, the q-th at depth live[q] (or q:
// live null).
template <int MR>
GRADC_AVX2 void packed_tile(const float* at, const int32_t* live, int64_t count, const float* panel, float alpha,
                            float beta, float* c, int64_t ldc, int64_t cols) {
  // C's tile is read last; ask for it now so that it arrives while the products run.
  if (beta != 0)
    for (int r = 0; r < MR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + kNR - 1), _MM_HINT_T0);
    }
  const auto element = [&](int r, int64_t q, int64_t) { return at + q * kMR + r; };
  if (live)
    run_tile<MR, true>(element, live, count, panel, alpha, beta, c, ldc, cols);
  else
    run_tile<MR, false>(element, nullptr, count, panel, alpha, beta, c, ldc, cols);
}
using PackedTileFn = void (*)(const float*, const int32_t*, int64_t, const float*, float, float, float*, int64_t,
                              int64_t);
constexpr PackedTileFn kPackedTiles[kMR + 1] = {nullptr, packed_tile<1>, packed_tile<2>, packed_tile<3>,
                                               packed_tile<4>, packed_tile<5>, packed_tile<6>};

// A buffer of at least n elements, 32-byte aligned, kept per thread (no allocation once grown).
template <class T>
T* scratch(std::vector<T>& v, int64_t n) {
  const size_t pad = 32 / sizeof(T);
  if (v.size() < static_cast<size_t>(n) + pad) v.resize(static_cast<size_t>(n) + pad);
  return v.data() + ((32 - reinterpret_cast<uintptr_t>(v.data()) % 32) % 32) / sizeof(T);
}

// `threads` is unused where OpenMP is not compiled in (clang's fuzz build: docs/fuzzing.md).

// op(A) by rows (X·W): each thread takes whole panels of B, packs one at a time (k×16 floats,
// L2-sized) and runs every row tile against it. Its first panel runs every depth, and after
// each tile the thread finds the tile's live depths in the rows the tile just brought into
// the cache (a pass of its own before the products, waiting on memory with nothing to
// overlap, cost 3 % on dense rows); the later panels run over those, except a tile with no
// zero depth, or a panel holding a non-finite value: every depth. The lists take 4·k bytes
// per tile of 6 rows, two thirds of A's own size, kept per thread like the panel.
void by_panels(int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const RowsA& a, const float* b,
               int64_t ldb, float beta, float* c, int64_t ldc, [[maybe_unused]] int threads) {
  const int64_t panels = (n + kNR - 1) / kNR, tiles = (m + kMR - 1) / kMR;
  const bool listable = k <= kMaxListedDepth;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    thread_local std::vector<float> buffer;
    thread_local std::vector<int32_t> live_buffer;
    thread_local std::vector<int64_t> counts;
    float* panel = scratch(buffer, k * kNR);
    int32_t* live = scratch(live_buffer, listable ? tiles * k : 0);
    counts.resize(static_cast<size_t>(tiles));
    bool first = true;
#pragma omp for schedule(static) nowait
    for (int64_t j = 0; j < panels; ++j) {
      const int64_t j0 = j * kNR, cols = std::min(kNR, n - j0);
      const bool finite = pack_panel(trans_b, b, ldb, n, j0, k, panel);
      for (int64_t t = 0; t < tiles; ++t) {
        const int64_t i = t * kMR, mr = std::min(kMR, m - i), count = first || !listable ? k : counts[size_t(t)];
        const bool skip = finite && count < k;
        kTiles[mr](a, i, skip ? live + t * k : nullptr, skip ? count : k, panel, alpha, beta, c + j0 + i * ldc, ldc,
                   cols);
        if (first && listable) counts[size_t(t)] = live_depths(a, i, mr, k, live + t * k);
      }
      first = false;
    }
  }
}

// A row tile of op(A) by columns: op(A)[i0 + r][p] is rows[p][col0 + i0 + r], so each depth p
// gives up to 6 neighbouring floats, packed as row p of `at` (kMR floats, zero past m), and
// lives[p] says whether one of them is not zero. With skip_zeros, the depths where none is are
// then dropped: the live rows move up to the front, row q of `at` being depth live[q]. Returns
// the rows kept (k, and no list written, without skip_zeros or zeros). The first loop only
// counts, so that nothing in it waits on its data (a list written as it went stored each entry
// at an address that depended on the previous rows' values: 3–4 % slower). An 8-float load
// where the two floats past the tile still lie inside op(A) (the buffer has two to spare,
// overwritten by the next row); element by element at the edge. The lines of the tile 16 rows ahead are asked for meanwhile: a batch's
// rows are too many streams for the hardware prefetcher.
GRADC_AVX2 int64_t pack_a_tile(const RowsA& a, int64_t m, int64_t i0, int64_t k, bool skip_zeros, float* at,
                               int32_t* live, uint8_t* lives) {
  const int64_t mr = std::min(kMR, m - i0), ahead = std::min(i0 + kMR + 16, m - 1);
  const bool vector = i0 + 8 <= m;
  int64_t count = 0;
  for (int64_t p = 0; p < k; ++p) {
    _mm_prefetch(reinterpret_cast<const char*>(a.at(ahead, p)), _MM_HINT_T0);
    bool any = false;
    if (vector) {
      const __m256 v = _mm256_loadu_ps(a.at(i0, p));
      _mm256_storeu_ps(at + p * kMR, v);
      any = (_mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_NEQ_UQ)) & 0x3f) != 0;
    } else {
      for (int64_t r = 0; r < kMR; ++r) {
        const float x = r < mr ? *a.at(i0 + r, p) : 0.0f;
        at[p * kMR + r] = x;
        any |= !(x == 0.0f);
      }
    }
    lives[p] = any;
    count += any;
  }
  if (!skip_zeros || count == k) return k;
  // Row p moves to row q <= p as 8 floats: the two past it land on row q + 1, which is either
  // p + 1 itself (q == p, nothing moved yet: the same values) or a row already moved.
  int64_t q = 0;
  for (int64_t p = 0; p < k; ++p) {
    _mm256_storeu_ps(at + q * kMR, _mm256_loadu_ps(at + p * kMR));
    live[q] = static_cast<int32_t>(p);
    q += lives[p];
  }
  return q;
}

// C[0:6, every panel] = beta·C + at·panels over the tile's packed depths, beta 0 or 1 (alpha
// already in the panels): the accumulators start from C, so C is read once and written once
// and no scaling follows. The next panel's C is asked for while this one runs.
#define GRADC_START(r)                                                                  \
  __m256 lo##r = keep ? _mm256_loadu_ps(c + r * ldc) : _mm256_setzero_ps();             \
  __m256 hi##r = keep ? _mm256_loadu_ps(c + r * ldc + 8) : _mm256_setzero_ps();         \
  if (j + 1 < panels) _mm_prefetch(reinterpret_cast<const char*>(c + kNR + r * ldc), _MM_HINT_T0);
#define GRADC_FMA(r)                                        \
  {                                                         \
    const __m256 x = _mm256_broadcast_ss(at + q * kMR + r); \
    lo##r = _mm256_fmadd_ps(x, b0, lo##r);                  \
    hi##r = _mm256_fmadd_ps(x, b1, hi##r);                  \
  }
#define GRADC_STORE(r)                  \
  _mm256_storeu_ps(c + r * ldc, lo##r); \
  _mm256_storeu_ps(c + r * ldc + 8, hi##r);
template <bool Listed>
GRADC_AVX2 void accumulate_row_tile(const float* at, const int32_t* live, int64_t count, int64_t k,
                                    const float* packed, int64_t panels, bool keep, float* c, int64_t ldc) {
  for (int64_t j = 0; j < panels; ++j, c += kNR, packed += k * kNR) {
    GRADC_EACH_ROW(GRADC_START)
#pragma GCC unroll 4
    for (int64_t q = 0; q < count; ++q) {
      const float* bp = packed + (Listed ? int64_t{live[q]} : q) * kNR;
      const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
      GRADC_EACH_ROW(GRADC_FMA)
    }
    GRADC_EACH_ROW(GRADC_STORE)
  }
}
#undef GRADC_STORE
#undef GRADC_FMA
#undef GRADC_START
#undef GRADC_EACH_ROW

// op(A) by columns (Xᵀ·dY, k the batch): each thread packs all of B (k×n, small: k is a batch;
// packing it twice costs less than a barrier), then takes row tiles of C, packs each tile's A
// (its live depths, k×6 at most, L1) and runs it against every panel. With beta 0 or 1 and
// whole panels (the trainer's SGD update and gradients), alpha goes into the packed B and full
// tiles accumulate onto C in registers (accumulate_row_tile); otherwise, and for the last rows,
// packed_tile scales after.
void by_row_tiles(int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const RowsA& a, const float* b,
                  int64_t ldb, float beta, float* c, int64_t ldc, [[maybe_unused]] int threads) {
  const int64_t panels = (n + kNR - 1) / kNR, tiles = (m + kMR - 1) / kMR;
  const bool onto_c = (beta == 0 || beta == 1) && n % kNR == 0;
  const float alpha_after = onto_c ? 1.0f : alpha;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    thread_local std::vector<float> b_buffer, a_buffer;
    thread_local std::vector<int32_t> live_buffer;
    thread_local std::vector<uint8_t> lives_buffer;
    float* packed = scratch(b_buffer, panels * k * kNR);
    float* at = scratch(a_buffer, k * kMR + 2);
    int32_t* live = scratch(live_buffer, k);
    uint8_t* lives = scratch(lives_buffer, k);
    bool finite = true;
    for (int64_t j = 0; j < panels; ++j)
      finite &= pack_panel(trans_b, b, ldb, n, j * kNR, k, packed + j * k * kNR, onto_c ? alpha : 1.0f);
#pragma omp for schedule(static) nowait
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t i = t * kMR, mr = std::min(kMR, m - i);
      const int64_t count = pack_a_tile(a, m, i, k, finite && k <= kMaxListedDepth, at, live, lives);
      const int32_t* list = count < k ? live : nullptr;  // only where it skips: reading it costs a load per depth
      if (onto_c && mr == kMR) {
        (list ? accumulate_row_tile<true> : accumulate_row_tile<false>)(at, list, count, k, packed, panels, beta == 1,
                                                                       c + i * ldc, ldc);
        continue;
      }
      for (int64_t j = 0; j < panels; ++j)
        kPackedTiles[mr](at, list, count, packed + j * k * kNR, alpha_after, beta, c + i * ldc + j * kNR, ldc,
                         std::min(kNR, n - j * kNR));
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
