// bench/handwritten.h — the seed formula's value and gradient written by hand, the bench's baseline.
#pragma once

#include <cstdint>

namespace gradc::bench {

// f = ln x + exp(y)·z, ∂f/∂x = 1/x, ∂f/∂y = exp(y)·z, ∂f/∂z = exp(y), over n SoA points.
void handwritten_f64(const double* x, const double* y, const double* z, double* f, double* dx,
                     double* dy, double* dz, int64_t n);
void handwritten_f32(const float* x, const float* y, const float* z, float* f, float* dx,
                     float* dy, float* dz, int64_t n);

}  // namespace gradc::bench
