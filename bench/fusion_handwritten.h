// bench/fusion_handwritten.h — softmax → GELU → MSE value and gradient written by hand, fused
// per row: fusion_bench's baseline (built -O3 -march=native -ffast-math).
#pragma once

#include <cstdint>

namespace gradc::bench {

// loss = mean((gelu(softmax(x, rows)) - t)^2) over x, t [rows, cols]; dx = ∂loss/∂x.
float softmax_gelu_mse(const float* x, const float* t, float* dx, int64_t rows, int64_t cols);

}  // namespace gradc::bench
