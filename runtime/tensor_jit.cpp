// runtime/tensor_jit.cpp — compile once, run on Tensors.
#include "runtime/tensor_jit.h"

#include <stdexcept>

#include "ir/check.h"
#include "runtime/gemm.h"

namespace gradc::runtime {

namespace {

size_t element_count(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

// Runs fn on buffers of type T converted from / to the double Tensors. The buffers
// are kept between calls: allocating megabytes per call costs page faults that took
// 25 times the compiled code's own time in bench/mlp.sh.
template <class T>
std::vector<Tensor> run_typed(const codegen::CompiledTensorFunction& fn, std::span<const Tensor> inputs,
                              const std::vector<std::vector<int64_t>>& out_shapes,
                              std::vector<std::vector<T>>& in, std::vector<std::vector<T>>& out) {
  in.resize(inputs.size());
  out.resize(out_shapes.size());
  std::vector<const T*> in_ptrs;
  std::vector<T*> out_ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    in[i].assign(inputs[i].data.begin(), inputs[i].data.end());
    in_ptrs.push_back(in[i].data());
  }
  for (size_t k = 0; k < out_shapes.size(); ++k) {
    out[k].resize(element_count(out_shapes[k]));
    out_ptrs.push_back(out[k].data());
  }
  fn.run(in_ptrs.data(), out_ptrs.data());
  std::vector<Tensor> result;
  for (size_t k = 0; k < out.size(); ++k)
    result.push_back(Tensor{out_shapes[k], std::vector<double>(out[k].begin(), out[k].end())});
  return result;
}

}  // namespace

TensorJit::TensorJit(codegen::CompiledTensorFunction fn, std::vector<std::vector<int64_t>> in_shapes,
                     std::vector<std::vector<int64_t>> out_shapes, ir::DType dtype)
    : fn_(std::move(fn)), in_shapes_(std::move(in_shapes)), out_shapes_(std::move(out_shapes)), dtype_(dtype) {}

TensorJit TensorJit::compile(const ir::Graph& g, int opt_level) {
  GRADC_ASSERT(!g.outputs.empty(), "tensor jit: graph has no outputs");
  codegen::CodegenOptions opts;
  opts.dtype = g[g.outputs.front().id].dtype;
  opts.opt_level = opt_level;
  opts.gemm_f32 = reinterpret_cast<void*>(&gradc_gemm_f32);
  opts.gemm_f64 = reinterpret_cast<void*>(&gradc_gemm_f64);
  std::vector<std::vector<int64_t>> in_shapes, out_shapes;
  for (ir::NodeId id : g.inputs()) in_shapes.push_back(g[id].shape.dims);
  for (const ir::Output& o : g.outputs) out_shapes.push_back(g[o.id].shape.dims);
  return TensorJit(codegen::compile_tensors(g, opts), std::move(in_shapes), std::move(out_shapes), opts.dtype);
}

std::vector<Tensor> TensorJit::run(std::span<const Tensor> inputs) const {
  if (inputs.size() != in_shapes_.size()) throw std::invalid_argument("tensor jit: wrong number of inputs");
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].shape != in_shapes_[i] || inputs[i].data.size() != element_count(in_shapes_[i]))
      throw std::invalid_argument("tensor jit: an input has the wrong shape");
  // One caller at a time uses the kept buffers; a concurrent one gets its own.
  std::unique_lock<std::mutex> lock(buffers_->mutex, std::try_to_lock);
  Buffers own;
  Buffers& b = lock.owns_lock() ? *buffers_ : own;
  return dtype_ == ir::DType::F32 ? run_typed<float>(fn_, inputs, out_shapes_, b.in32, b.out32)
                                  : run_typed<double>(fn_, inputs, out_shapes_, b.in64, b.out64);
}

}  // namespace gradc::runtime
