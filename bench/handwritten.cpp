// bench/handwritten.cpp — the baseline, built with -O3 -march=native -ffast-math (see
// CMakeLists.txt) so that GCC vectorises exp/log through libmvec, as a C++ expert would.
#include "bench/handwritten.h"

#include <cmath>

namespace gradc::bench {

void handwritten_f64(const double* __restrict x, const double* __restrict y,
                     const double* __restrict z, double* __restrict f, double* __restrict dx,
                     double* __restrict dy, double* __restrict dz, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double e = std::exp(y[i]);
    f[i] = std::log(x[i]) + e * z[i];
    dx[i] = 1.0 / x[i];
    dy[i] = e * z[i];
    dz[i] = e;
  }
}

void handwritten_f32(const float* __restrict x, const float* __restrict y,
                     const float* __restrict z, float* __restrict f, float* __restrict dx,
                     float* __restrict dy, float* __restrict dz, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float e = std::exp(y[i]);
    f[i] = std::log(x[i]) + e * z[i];
    dx[i] = 1.0f / x[i];
    dy[i] = e * z[i];
    dz[i] = e;
  }
}

}  // namespace gradc::bench
