// codegen/codegen.h — graph IR → native code through LLVM ORC LLJIT.
//
// The only folder that sees LLVM: this header exposes none of it, so the rest
// of gradc builds without LLVM's headers.
//
// Calling convention of a compiled graph (scalar graphs):
//   point:  void f(const T* in, T* out)              in[i]: g.inputs()[i], out[k]: g.outputs[k]
//   batch:  void f_batch(const T* const* in, T* const* out, int64_t n)
//           in[i] points to n values of input i (a column), out[k] to n values of output k;
//           the loop over n is vectorised by LLVM for the host CPU. Output columns must
//           not overlap each other or any input column (they are compiled as noalias);
//           point's `in` and `out` may overlap.
// Numerics: point code calls the same libm functions as the interpreter; batch
// code uses libmvec's vector exp/log/sin/cos/pow/tan/tanh/log1p (≤ 4 ulp each).
// Tensor graphs (compile_tensors, below) are loop nests vectorised the same way; sums
// are reassociated (vectorised; f32 sums accumulate in f64) and matmul calls a GEMM, so
// results match the interpreter to rounding, not bit for bit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace gradc::codegen {

struct CodegenOptions {
  ir::DType dtype = ir::DType::F64;  // element type of the compiled code
  int opt_level = 2;                 // LLVM O-level
  // Tensor graphs: the GEMM that matmul calls, with gradc_gemm_f32/_f64's signature and
  // row-major BLAS semantics (runtime/gemm.h). Null: codegen's own blocked loop, so that
  // codegen needs no GEMM library. Only the one of `dtype` is used.
  void* gemm_f32 = nullptr;
  void* gemm_f64 = nullptr;
  // Tensor graphs: 2-D inputs passed by rows. For each, in[i] points to a table of dims[0]
  // row pointers, each to dims[1] contiguous elements, not to one buffer: a training step
  // passes its shuffled examples where they lie instead of copying them into a batch. Matmuls
  // that read the input (or its folded transpose) as their left operand call gemm_rows_f32
  // (gradc_gemm_rows_f32's signature, runtime/gemm.h) on the table itself; with any other
  // reader, in f64, or with no gemm_rows_f32, the call first gathers the rows into workspace.
  std::vector<ir::NodeId> inputs_by_rows = {};
  void* gemm_rows_f32 = nullptr;
};

// A compiled graph. Owns its JIT code; moving is cheap, copying is not allowed.
class CompiledFunction {
 public:
  CompiledFunction();
  CompiledFunction(CompiledFunction&&) noexcept;
  CompiledFunction& operator=(CompiledFunction&&) noexcept;
  ~CompiledFunction();

  size_t num_inputs() const;
  size_t num_outputs() const;

  // dtype F64
  void call(const double* in, double* out) const;
  void call_batch(const double* const* in, double* const* out, int64_t n) const;
  // dtype F32
  void call(const float* in, float* out) const;
  void call_batch(const float* const* in, float* const* out, int64_t n) const;

  struct Impl;

 private:
  explicit CompiledFunction(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend CompiledFunction compile(const ir::Graph&, const CodegenOptions&);
};

// JIT-compiles the graph (point and batch entry points) at the given O-level for
// the host CPU. Throws std::runtime_error with LLVM's message if LLVM fails.
CompiledFunction compile(const ir::Graph& g, const CodegenOptions& opts = {});

// A compiled tensor graph (concrete shapes). Calling convention of the generated code:
//   void f(const T* const* in, T* const* out, void* workspace)
// in[i] points to g.inputs()[i]'s buffer, out[k] to g.outputs[k]'s, each in C order with
// its node's shape; no output overlaps another or an input but out[k] == in[i] per output alias. `workspace`
// holds every intermediate (workspace_bytes(), 64-byte aligned); run() supplies it.
//
// Workspace and threads: one workspace is allocated with the function and reused by every
// call (no allocation per call). run() may be called from several threads at once: a call
// that finds the workspace busy allocates its own for that call, so concurrent calls are
// correct, just slower.
class CompiledTensorFunction {
 public:
  CompiledTensorFunction();
  CompiledTensorFunction(CompiledTensorFunction&&) noexcept;
  CompiledTensorFunction& operator=(CompiledTensorFunction&&) noexcept;
  ~CompiledTensorFunction();

  size_t num_inputs() const;
  size_t num_outputs() const;
  size_t workspace_bytes() const;

  void run(const double* const* in, double* const* out) const;  // dtype F64
  void run(const float* const* in, float* const* out) const;    // dtype F32

  struct Impl;

 private:
  explicit CompiledTensorFunction(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend CompiledTensorFunction compile_tensors(const ir::Graph&, const CodegenOptions&);
};

// JIT-compiles a graph of any shapes (all-scalar graphs included) to one function of loop
// nests and GEMM calls. Every dim must be concrete (ir::bind_dims first): throws
// std::invalid_argument otherwise. Throws std::runtime_error if LLVM fails.
CompiledTensorFunction compile_tensors(const ir::Graph& g, const CodegenOptions& opts = {});

// The LLVM version gradc was built with ("19.1.7"), for `gradc --version`.
std::string llvm_version();

// The optimised LLVM IR / host assembly of the same module, for `gradc emit`.
// A graph with tensors gives compile_tensors' module (entry `f`), a scalar one compile()'s.
std::string emit_llvm(const ir::Graph& g, const CodegenOptions& opts = {});
std::string emit_asm(const ir::Graph& g, const CodegenOptions& opts = {});

}  // namespace gradc::codegen
