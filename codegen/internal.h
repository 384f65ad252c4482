// codegen/internal.h — interfaces shared by codegen's own files (LLVM types allowed here only).
#pragma once

#include <memory>
#include <string>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include "codegen/codegen.h"

namespace gradc::codegen::detail {

// The two entry points' symbol names in one module.
struct EntryNames {
  std::string point;  // void point(const T* in, T* out)
  std::string batch;  // void batch(const T* const* in, T* const* out, int64_t n)
};

// emit.cpp: the module holding both entry points, with `tm`'s CPU, features and layout.
std::unique_ptr<llvm::Module> emit_module(const ir::Graph& g, ir::DType dtype,
                                          llvm::LLVMContext& ctx, const EntryNames& names,
                                          const llvm::TargetMachine& tm);

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

}  // namespace gradc::codegen::detail
