// bench/fusion_handwritten.cpp — the baseline of bench/fusion_bench.cpp: what a C++ programmer
// writes for softmax → GELU → MSE and its gradient, one row at a time so that the row's
// softmax and its gradient stay in L1 (three passes over a row, x and t read once, dx written
// once). Built with -O3 -march=native -ffast-math: GCC vectorises expf/erff through libmvec.
#include "bench/fusion_handwritten.h"

#include <cmath>
#include <limits>
#include <vector>

namespace gradc::bench {

float softmax_gelu_mse(const float* x, const float* t, float* dx, int64_t rows, int64_t cols) {
  const float inv_n = 1.0f / static_cast<float>(rows * cols);
  const float inv_sqrt2 = 0.70710678118654752f, inv_sqrt_2pi = 0.39894228040143268f;
  std::vector<float> y(static_cast<size_t>(cols)), dy(static_cast<size_t>(cols));
  double loss = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    const float* tr = t + r * cols;
    float* dxr = dx + r * cols;
    // Not -INFINITY: this file is built with -ffast-math, under which an infinity is
    // undefined (clang says so); the lowest float is as good a start for a max.
    float m = std::numeric_limits<float>::lowest();
    for (int64_t j = 0; j < cols; ++j) m = std::fmax(m, xr[j]);
    float s = 0;
    for (int64_t j = 0; j < cols; ++j) {
      y[j] = std::exp(xr[j] - m);
      s += y[j];
    }
    const float inv_s = 1.0f / s;
    float row_loss = 0, dot = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const float yj = y[j] * inv_s;
      const float phi = 0.5f * (1.0f + std::erf(yj * inv_sqrt2));  // Φ(y)
      const float d = yj * phi - tr[j];
      row_loss += d * d;
      // ∂loss/∂y = 2d/N · (Φ(y) + y·φ(y))
      const float dyj = 2.0f * d * inv_n * (phi + yj * std::exp(-0.5f * yj * yj) * inv_sqrt_2pi);
      y[j] = yj;
      dy[j] = dyj;
      dot += dyj * yj;
    }
    loss += row_loss;
    for (int64_t j = 0; j < cols; ++j) dxr[j] = y[j] * (dy[j] - dot);  // softmax's VJP
  }
  return static_cast<float>(loss * inv_n);
}

}  // namespace gradc::bench
