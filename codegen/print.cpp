// codegen/print.cpp — emit_llvm / emit_asm: the optimised module as text, for `gradc emit`.
#include <stdexcept>

#include <llvm/Config/llvm-config.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/internal.h"

namespace gradc::codegen {

namespace {

// Readable names: the entry points a user would write, f and f_batch.
const detail::EntryNames kNames{"f", "f_batch"};
const detail::TensorNames kTensorNames{"f", "gradc_gemm", "gradc_gemm_rows"};

// The optimised module compile() or, for a graph with tensors, compile_tensors() would JIT.
std::unique_ptr<llvm::Module> optimised_module(const ir::Graph& g, const CodegenOptions& opts,
                                               llvm::LLVMContext& ctx, llvm::TargetMachine& tm) {
  std::unique_ptr<llvm::Module> m =
      detail::is_scalar_graph(g) ? detail::emit_module(g, opts.dtype, ctx, kNames, tm)
                                 : detail::emit_tensor_module(g, opts.dtype, ctx, kTensorNames, tm, detail::rows_inputs(opts)).module;
  detail::optimize(*m, tm, detail::effective_opt_level(g, opts.opt_level));
  return m;
}

}  // namespace

std::string llvm_version() { return LLVM_VERSION_STRING; }

std::string emit_llvm(const ir::Graph& g, const CodegenOptions& opts) {
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::TargetMachine> tm = detail::host_target_machine();
  std::unique_ptr<llvm::Module> m = optimised_module(g, opts, ctx, *tm);
  std::string text;
  llvm::raw_string_ostream os(text);
  m->print(os, nullptr);
  return os.str();
}

std::string emit_asm(const ir::Graph& g, const CodegenOptions& opts) {
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::TargetMachine> tm = detail::host_target_machine();
  std::unique_ptr<llvm::Module> m = optimised_module(g, opts, ctx, *tm);
  if (g.size() > detail::kLargeGraphNodes) tm->setOptLevel(llvm::CodeGenOptLevel::None);
  llvm::SmallString<4096> text;
  llvm::raw_svector_ostream os(text);
  llvm::legacy::PassManager pm;  // LLVM 19's code generator still runs on the legacy manager
  if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::AssemblyFile))
    throw std::runtime_error("codegen: the host target cannot emit assembly");
  pm.run(*m);
  return std::string(text.str());
}

}  // namespace gradc::codegen
