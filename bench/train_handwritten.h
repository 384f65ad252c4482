// bench/train_handwritten.h — the MLP's SGD training step written by hand on gradc's GEMM,
// the baseline bench/train.sh holds gradc's compiled step to (issue 8).
//
// 784-256-128-64-10, ReLU, softmax cross-entropy (mean over the batch), plain SGD. Per step:
// 11 calls of gradc_gemm_f32 (oneDNN sgemm, runtime/gemm.h): 4 forward, each followed by
// one pass adding the bias and applying ReLU; the softmax-CE gradient in one pass per row;
// 3 input gradients dY·Wᵀ, each followed by one pass applying the ReLU mask and summing the
// bias gradient's columns; and 4 weight updates W -= lr·Xᵀ·dY as one GEMM each (alpha =
// -lr, beta = 1: SGD folded into the dW GEMM, so no dW is ever stored). What it leaves
// separate: the batch gather, and the bias/ReLU passes after each GEMM.
#pragma once

#include <cstdint>
#include <vector>

namespace gradc::bench {

struct HandwrittenMlp {
  static constexpr int kLayers = 4;
  static constexpr int64_t kWidth[kLayers + 1] = {784, 256, 128, 64, 10};

  // Weights row-major [in, out], as examples/mlp.grad's W1..W4, and biases b1..b4.
  std::vector<float> W[kLayers], b[kLayers];

  // Buffers for `batch` examples: the gathered input, activations and their gradients.
  explicit HandwrittenMlp(int64_t batch);

  // One SGD step on the first `count` (<= batch) rows of x (count × 784) with labels y.
  // Returns the batch's mean loss; adds the number of correct argmax predictions to *correct.
  float step(const float* x, const int32_t* y, int64_t count, float lr, int64_t* correct);

 private:
  std::vector<float> h_[kLayers];  // h_[l]: layer l's output (the logits for l = 3)
  std::vector<float> d_[kLayers];  // d_[l]: the loss's gradient by h_[l]
};

}  // namespace gradc::bench
