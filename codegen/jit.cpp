// codegen/jit.cpp — the process-wide ORC LLJIT: add a module, find its entries, remove it.
#include <stdexcept>

#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/DynamicLibrary.h>

#include "codegen/internal.h"

namespace gradc::codegen::detail {

namespace {

[[noreturn]] void fail(llvm::Error e) { throw std::runtime_error("codegen: " + llvm::toString(std::move(e))); }

// Compiled code resolves exp, tan, log1p, … from the process (libm) and the
// vector variants _ZGV*_exp, … from libmvec, which nothing else loads.
void add_symbol_generators(llvm::orc::LLJIT& jit) {
  char prefix = jit.getDataLayout().getGlobalPrefix();
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
  if (!process) fail(process.takeError());
  jit.getMainJITDylib().addGenerator(std::move(*process));
  std::string err;
  if (llvm::sys::DynamicLibrary::LoadLibraryPermanently("libmvec.so.1", &err))
    throw std::runtime_error("codegen: cannot load libmvec.so.1: " + err);
  auto mvec = llvm::orc::DynamicLibrarySearchGenerator::Load("libmvec.so.1", prefix);
  if (!mvec) fail(mvec.takeError());
  jit.getMainJITDylib().addGenerator(std::move(*mvec));
}

// Like ORC's ConcurrentIRCompiler (a TargetMachine per module, so compile() may
// run on several threads), but a module flagged by mark_large_module() gets the
// fast instruction selector and register allocator: on a 50,000-node graph
// LLVM's default code generator takes seconds, the fast one a fraction of one.
class SizeAwareCompiler : public llvm::orc::IRCompileLayer::IRCompiler {
 public:
  explicit SizeAwareCompiler(llvm::orc::JITTargetMachineBuilder jtmb)
      : IRCompiler(llvm::orc::irManglingOptionsFromTargetOptions(jtmb.getOptions())),
        jtmb_(std::move(jtmb)) {}

  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> operator()(llvm::Module& m) override {
    llvm::orc::JITTargetMachineBuilder jtmb = jtmb_;
    if (is_large_module(m)) jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::None);
    auto tm = jtmb.createTargetMachine();
    if (!tm) return tm.takeError();
    return llvm::orc::SimpleCompiler(**tm)(m);
  }

 private:
  llvm::orc::JITTargetMachineBuilder jtmb_;
};

llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> size_aware_compiler(
    llvm::orc::JITTargetMachineBuilder jtmb) {
  return std::make_unique<SizeAwareCompiler>(std::move(jtmb));
}

llvm::orc::LLJIT* create_jit() {
  init_llvm_targets();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();  // CPU name + features
  if (!jtmb) fail(jtmb.takeError());
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
  // Each module gets its own TargetMachine: the default compiler shares one,
  // which breaks when compile() runs on several threads. Compilation itself
  // stays on the calling thread (no thread pool: a hand-off costs latency).
  // Large modules get the fast code generator (SizeAwareCompiler).
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*jtmb))
                 .setCompileFunctionCreator(size_aware_compiler)
                 .create();
  if (!jit) fail(jit.takeError());
  add_symbol_generators(**jit);
  return jit->release();
}

// Created on first use; C++ makes the static's initialisation thread-safe (and
// retries it if it threw). Deliberately never destroyed: a CompiledFunction
// living in another static may be destroyed after it would have been.
llvm::orc::LLJIT& jit() {
  static llvm::orc::LLJIT* const instance = create_jit();
  return *instance;
}

void* lookup(llvm::orc::LLJIT& j, const std::string& name) {
  auto addr = j.lookup(name);
  if (!addr) fail(addr.takeError());
  return addr->toPtr<void*>();
}

}  // namespace

JitEntries jit_add(std::unique_ptr<llvm::Module> m, std::unique_ptr<llvm::LLVMContext> ctx,
                   const EntryNames& names) {
  llvm::orc::LLJIT& j = jit();
  JitEntries e;
  e.tracker = j.getMainJITDylib().createResourceTracker();
  llvm::orc::ThreadSafeModule tsm(std::move(m), std::move(ctx));
  if (llvm::Error err = j.addIRModule(e.tracker, std::move(tsm))) {
    jit_remove(e.tracker);
    fail(std::move(err));
  }
  try {
    e.point = lookup(j, names.point);  // the first lookup compiles the module
    e.batch = lookup(j, names.batch);
  } catch (...) {
    jit_remove(e.tracker);
    throw;
  }
  return e;
}

JitEntry jit_add_with_symbols(std::unique_ptr<llvm::Module> m, std::unique_ptr<llvm::LLVMContext> ctx,
                              const std::string& entry,
                              const std::vector<std::pair<std::string, void*>>& symbols) {
  llvm::orc::LLJIT& j = jit();
  JitEntry e;
  e.tracker = j.getMainJITDylib().createResourceTracker();
  llvm::orc::SymbolMap defs;
  for (const auto& [name, addr] : symbols)
    defs[j.mangleAndIntern(name)] = llvm::orc::ExecutorSymbolDef(
        llvm::orc::ExecutorAddr::fromPtr(addr), llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  llvm::Error err = defs.empty() ? llvm::Error::success()
                                 : j.getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(defs)), e.tracker);
  if (!err) err = j.addIRModule(e.tracker, llvm::orc::ThreadSafeModule(std::move(m), std::move(ctx)));
  if (err) {
    jit_remove(e.tracker);
    fail(std::move(err));
  }
  try {
    e.entry = lookup(j, entry);  // compiles the module
  } catch (...) {
    jit_remove(e.tracker);
    throw;
  }
  return e;
}

void jit_remove(const llvm::orc::ResourceTrackerSP& tracker) noexcept {
  if (!tracker) return;
  // Removal only fails if the session is broken; nothing useful to do then.
  llvm::consumeError(tracker->remove());
  // The code's symbol names (gradc_fn17, gradc_fn17_batch, …, unique per function) stay
  // interned in the session's string pool with no reference left until someone clears
  // them; nothing in ORC does, so without this every compiled function leaves about
  // 200 bytes behind for the life of the process (tests/unit/memory_test.cpp). Only
  // unreferenced entries go, under the pool's lock: safe while other threads compile.
  jit().getExecutionSession().getSymbolStringPool()->clearDeadEntries();
}

}  // namespace gradc::codegen::detail
