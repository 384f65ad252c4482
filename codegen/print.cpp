// codegen/print.cpp — emit_llvm / emit_asm: the optimised module as text, for `gradc emit`.
#include <stdexcept>

#include <llvm/IR/LegacyPassManager.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/internal.h"

namespace gradc::codegen {

namespace {

// Readable names: the entry points a user would write, f and f_batch.
const detail::EntryNames kNames{"f", "f_batch"};

}  // namespace

std::string emit_llvm(const ir::Graph& g, const CodegenOptions& opts) {
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::TargetMachine> tm = detail::host_target_machine();
  std::unique_ptr<llvm::Module> m = detail::emit_module(g, opts.dtype, ctx, kNames, *tm);
  detail::optimize(*m, *tm, detail::effective_opt_level(g, opts.opt_level));
  std::string text;
  llvm::raw_string_ostream os(text);
  m->print(os, nullptr);
  return os.str();
}

std::string emit_asm(const ir::Graph& g, const CodegenOptions& opts) {
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::TargetMachine> tm = detail::host_target_machine();
  std::unique_ptr<llvm::Module> m = detail::emit_module(g, opts.dtype, ctx, kNames, *tm);
  detail::optimize(*m, *tm, detail::effective_opt_level(g, opts.opt_level));
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
