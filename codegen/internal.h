// codegen/internal.h — interfaces shared by codegen's own files (LLVM types allowed here only).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include "codegen/codegen.h"

namespace gradc::codegen::detail {

// Calls generated code at `entry` as a function of type Fn. Clang's -fsanitize=function (part
// of UBSan's `undefined` since clang 17) checks an indirect call by reading a type signature
// that clang places just before every function it compiles; JIT-compiled code has none, and
// the read faults when the code starts a page (the fuzz build, clang with UBSan, crashed here on
// its first scalar program). The check is off in this one function; GCC has no such check.
template <class Fn, class... Args>
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
void call_generated(void* entry, Args... args) {
  reinterpret_cast<Fn>(entry)(args...);
}

// The two entry points' symbol names in one module.
struct EntryNames {
  std::string point;  // void point(const T* in, T* out)
  std::string batch;  // void batch(const T* const* in, T* const* out, int64_t n)
};

// emit.cpp: the module holding both entry points, with `tm`'s CPU, features and layout.
std::unique_ptr<llvm::Module> emit_module(const ir::Graph& g, ir::DType dtype,
                                          llvm::LLVMContext& ctx, const EntryNames& names,
                                          const llvm::TargetMachine& tm);

// emit.cpp: a function with the host CPU's attributes; the LLVM type of a dtype.
llvm::Function* make_function(llvm::Module& m, llvm::FunctionType* ft, const std::string& name,
                              llvm::GlobalValue::LinkageTypes linkage, const llvm::TargetMachine& tm);
llvm::Type* element_type(llvm::LLVMContext& ctx, ir::DType t);

// emit_tensor.cpp: the module of a tensor graph, one entry
//   void entry(const T* const* in, T* const* out, void* workspace)
// whose matmuls call the external function named `gemm` (gradc_gemm_f32/_f64's signature).
struct TensorNames {
  std::string entry;
  std::string gemm;
  std::string gemm_rows;  // gradc_gemm_rows_f32's signature: matmuls of inputs passed by rows
};
// Inputs passed by rows (CodegenOptions::inputs_by_rows); `gemm_rows`: whether the module may
// call names.gemm_rows, else every such input is gathered.
struct RowsInputs {
  std::vector<ir::NodeId> ids;
  bool gemm_rows = false;
};
struct TensorModule {
  std::unique_ptr<llvm::Module> module;
  size_t workspace_bytes = 0;
};
TensorModule emit_tensor_module(const ir::Graph& g, ir::DType dtype, llvm::LLVMContext& ctx,
                                const TensorNames& names, const llvm::TargetMachine& tm,
                                const RowsInputs& rows = {});
RowsInputs rows_inputs(const CodegenOptions& opts);
bool is_scalar_graph(const ir::Graph& g);
// Throws std::invalid_argument naming the first node with a symbolic dim or an unbound count.
void require_concrete(const ir::Graph& g);

// gemm_fallback.cpp: codegen's own GEMM, used when CodegenOptions gives none.
extern "C" void gradc_codegen_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                                       float alpha, const float* a, int64_t lda, const float* b,
                                       int64_t ldb, float beta, float* c, int64_t ldc);
extern "C" void gradc_codegen_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                                       double alpha, const double* a, int64_t lda, const double* b,
                                       int64_t ldb, double beta, double* c, int64_t ldc);

// emit_math.cpp: the value of node `n` given its operands' values (the op → LLVM switch).
llvm::Value* emit_op(llvm::IRBuilder<>& b, const ir::Node& n, llvm::ArrayRef<llvm::Value*> x);

// optimize.cpp: LLVM's host target registration, once per process (the registry
// is not thread-safe); a target machine for the host CPU, and the O-level pipeline with libmvec.
void init_llvm_targets();
std::unique_ptr<llvm::TargetMachine> host_target_machine();
void optimize(llvm::Module& m, llvm::TargetMachine& tm, int opt_level);

// Graphs above this many nodes are compiled for compile time, not run time: IR at
// most O1 and LLVM's fast code generator (O2 on a 50,000-node sum takes 16 s,
// this under a second). Each node is evaluated once per call, so the loss is small.
inline constexpr size_t kLargeGraphNodes = 4000;
int effective_opt_level(const ir::Graph& g, int opt_level);
void mark_large_module(llvm::Module& m);        // tells the JIT's compiler
bool is_large_module(const llvm::Module& m);

// jit.cpp: the process-wide LLJIT. add_module returns the tracker owning the code.
struct JitEntries {
  llvm::orc::ResourceTrackerSP tracker;
  void* point = nullptr;
  void* batch = nullptr;
};
JitEntries jit_add(std::unique_ptr<llvm::Module> m, std::unique_ptr<llvm::LLVMContext> ctx,
                   const EntryNames& names);
void jit_remove(const llvm::orc::ResourceTrackerSP& tracker) noexcept;
// A module with one entry, plus absolute symbols (name → address) it calls, defined
// under the same tracker so that they go away with the code.
struct JitEntry {
  llvm::orc::ResourceTrackerSP tracker;
  void* entry = nullptr;
};
JitEntry jit_add_with_symbols(std::unique_ptr<llvm::Module> m, std::unique_ptr<llvm::LLVMContext> ctx,
                              const std::string& entry,
                              const std::vector<std::pair<std::string, void*>>& symbols);

}  // namespace gradc::codegen::detail
