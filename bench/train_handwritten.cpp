// bench/train_handwritten.cpp — the hand-written SGD step (bench/train_handwritten.h).
#include "bench/train_handwritten.h"

#include <algorithm>
#include <cmath>

#include "runtime/gemm.h"

namespace gradc::bench {

namespace {

// out[r, :] = relu(out[r, :] + bias) (relu: the hidden layers; the logits keep the sum).
void add_bias(float* out, const float* bias, int64_t rows, int64_t cols, bool relu) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = out + r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      const float v = row[c] + bias[c];
      row[c] = relu ? std::max(v, 0.0f) : v;
    }
  }
}

// d = (softmax(z) − onehot(y)) / count row by row; returns the summed loss, counts the
// correct argmaxes.
double softmax_ce_grad(const float* z, const int32_t* y, float* d, int64_t count, int64_t classes,
                       int64_t* correct) {
  double loss = 0;
  const float scale = 1.0f / static_cast<float>(count);
  for (int64_t r = 0; r < count; ++r) {
    const float* zr = z + r * classes;
    float* dr = d + r * classes;
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (zr[c] > zr[best]) best = c;
    *correct += best == y[r];
    const float top = zr[best];
    float sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += dr[c] = std::exp(zr[c] - top);
    loss += std::log(sum) - (zr[y[r]] - top);
    const float inv = scale / sum;
    for (int64_t c = 0; c < classes; ++c) dr[c] *= inv;
    dr[y[r]] -= scale;
  }
  return loss;
}

// d ⊙= (h > 0), and bias -= lr · column sums of the masked d: one pass.
void relu_mask_and_bias_step(float* d, const float* h, float* bias, int64_t rows, int64_t cols, float lr,
                             float* colsum) {
  std::fill_n(colsum, cols, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      float& v = d[r * cols + c];
      v = h[r * cols + c] > 0 ? v : 0.0f;
      colsum[c] += v;
    }
  for (int64_t c = 0; c < cols; ++c) bias[c] -= lr * colsum[c];
}

}  // namespace

HandwrittenMlp::HandwrittenMlp(int64_t batch) {
  for (int l = 0; l < kLayers; ++l) {
    W[l].resize(static_cast<size_t>(kWidth[l] * kWidth[l + 1]));
    b[l].resize(static_cast<size_t>(kWidth[l + 1]));
    h_[l].resize(static_cast<size_t>(batch * kWidth[l + 1]));
    d_[l].resize(static_cast<size_t>(batch * kWidth[l + 1]));
  }
}

float HandwrittenMlp::step(const float* x, const int32_t* y, int64_t count, float lr, int64_t* correct) {
  const float* in[kLayers] = {x, h_[0].data(), h_[1].data(), h_[2].data()};
  for (int l = 0; l < kLayers; ++l) {
    const int64_t k = kWidth[l], n = kWidth[l + 1];
    gradc_gemm_f32(0, 0, count, n, k, 1.0f, in[l], k, W[l].data(), n, 0.0f, h_[l].data(), n);
    add_bias(h_[l].data(), b[l].data(), count, n, l + 1 < kLayers);
  }
  const double loss = softmax_ce_grad(h_[3].data(), y, d_[3].data(), count, kWidth[4], correct);
  float colsum[256];
  // The output layer's bias gradient is the column sum of d_[3]; the hidden layers' come
  // with their ReLU masks below.
  std::fill_n(colsum, kWidth[4], 0.0f);
  for (int64_t r = 0; r < count; ++r)
    for (int64_t c = 0; c < kWidth[4]; ++c) colsum[c] += d_[3][static_cast<size_t>(r * kWidth[4] + c)];
  for (int64_t c = 0; c < kWidth[4]; ++c) b[3][static_cast<size_t>(c)] -= lr * colsum[c];
  for (int l = kLayers - 1; l >= 0; --l) {
    const int64_t k = kWidth[l], n = kWidth[l + 1];
    if (l > 0) {  // the input gradient, with the old W, before W is updated
      gradc_gemm_f32(0, 1, count, k, n, 1.0f, d_[l].data(), n, W[l].data(), n, 0.0f, d_[l - 1].data(), k);
      relu_mask_and_bias_step(d_[l - 1].data(), h_[l - 1].data(), b[l - 1].data(), count, k, lr, colsum);
    }
    gradc_gemm_f32(1, 0, k, n, count, -lr, in[l], k, d_[l].data(), n, 1.0f, W[l].data(), n);  // W -= lr·Xᵀ·dY
  }
  return static_cast<float>(loss / static_cast<double>(count));
}

}  // namespace gradc::bench
