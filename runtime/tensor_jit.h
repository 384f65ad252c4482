// runtime/tensor_jit.h — a tensor graph compiled to native code, fed with Tensors.
//
// The glue between codegen (raw typed buffers) and the rest of gradc (Tensor values
// in double): it wires matmul to the tuned GEMM (runtime/gemm.h) and converts values
// to and from the graph's dtype. The graph's dims must be bound (ir/bind_dims.h).
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "codegen/codegen.h"
#include "ir/graph.h"
#include "runtime/tensor.h"

namespace gradc::runtime {

class TensorJit {
 public:
  static TensorJit compile(const ir::Graph& g, int opt_level = 2);

  // Inputs in g.inputs() order, each of its node's shape; outputs in g.outputs order.
  std::vector<Tensor> run(std::span<const Tensor> inputs) const;

 private:
  TensorJit(codegen::CompiledTensorFunction fn, std::vector<std::vector<int64_t>> in_shapes,
            std::vector<std::vector<int64_t>> out_shapes, ir::DType dtype);

  // Conversion buffers kept between calls (behind a pointer: TensorJit stays movable).
  struct Buffers {
    std::mutex mutex;
    std::vector<std::vector<float>> in32, out32;
    std::vector<std::vector<double>> in64, out64;
  };

  codegen::CompiledTensorFunction fn_;
  std::unique_ptr<Buffers> buffers_ = std::make_unique<Buffers>();
  std::vector<std::vector<int64_t>> in_shapes_, out_shapes_;
  ir::DType dtype_;
};

}  // namespace gradc::runtime
