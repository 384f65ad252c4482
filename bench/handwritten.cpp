// bench/handwritten.cpp — the baseline, built with -O3 -march=native -ffast-math (see
// CMakeLists.txt) so that GCC vectorises exp/log through libmvec, as a C++ expert would.
#include "bench/handwritten.h"

#include <cmath>

namespace gradc::bench {

namespace {

// One loop for both precisions, as a C++ programmer would write it once.
template <class T>
void value_and_grad(const T* __restrict x, const T* __restrict y, const T* __restrict z,
                    T* __restrict f, T* __restrict dx, T* __restrict dy, T* __restrict dz,
                    int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T e = std::exp(y[i]);
    f[i] = std::log(x[i]) + e * z[i];
    dx[i] = T(1) / x[i];
    dy[i] = e * z[i];
    dz[i] = e;
  }
}

}  // namespace

void handwritten_f64(const double* x, const double* y, const double* z, double* f, double* dx,
                     double* dy, double* dz, int64_t n) {
  value_and_grad(x, y, z, f, dx, dy, dz, n);
}

void handwritten_f32(const float* x, const float* y, const float* z, float* f, float* dx,
                     float* dy, float* dz, int64_t n) {
  value_and_grad(x, y, z, f, dx, dy, dz, n);
}

}  // namespace gradc::bench
