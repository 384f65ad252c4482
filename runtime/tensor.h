// runtime/tensor.h — a tensor value as the runtime and the command line see it.
#pragma once

#include <cstdint>
#include <vector>

namespace gradc::runtime {

// Values widened to double whatever the program's dtype; C (row-major) order.
struct Tensor {
  std::vector<int64_t> shape;  // [] is a scalar holding one element
  std::vector<double> data;    // product(shape) elements

  static Tensor scalar(double v) { return Tensor{{}, {v}}; }
  bool operator==(const Tensor&) const = default;
};

}  // namespace gradc::runtime
