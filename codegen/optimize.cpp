// codegen/optimize.cpp — host target machine and the new-pass-manager pipeline with libmvec.
#include <algorithm>
#include <mutex>
#include <stdexcept>

#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>

#include "codegen/internal.h"

namespace gradc::codegen::detail {

void init_llvm_targets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

namespace {

#define VD(scalar, vector, vf, abi) llvm::VecDesc(scalar, vector, llvm::ElementCount::getFixed(vf), false, abi)

// libmvec entry points LLVM 19's LIBMVEC_X86 table lacks (glibc ≥ 2.35 has them):
// tanh, log1p, expm1 and erf at SSE/AVX2 width (erf: GELU's, whose fused loops would
// otherwise call scalar erf per element and not vectorise at all).
const llvm::VecDesc kExtraLibmvec[] = {
    VD("erf", "_ZGVbN2v_erf", 2, "_ZGV_LLVM_N2v"),        VD("erf", "_ZGVdN4v_erf", 4, "_ZGV_LLVM_N4v"),
    VD("erff", "_ZGVbN4v_erff", 4, "_ZGV_LLVM_N4v"),      VD("erff", "_ZGVdN8v_erff", 8, "_ZGV_LLVM_N8v"),
    VD("tanh", "_ZGVbN2v_tanh", 2, "_ZGV_LLVM_N2v"),      VD("tanh", "_ZGVdN4v_tanh", 4, "_ZGV_LLVM_N4v"),
    VD("log1p", "_ZGVbN2v_log1p", 2, "_ZGV_LLVM_N2v"),    VD("log1p", "_ZGVdN4v_log1p", 4, "_ZGV_LLVM_N4v"),
    VD("tanhf", "_ZGVbN4v_tanhf", 4, "_ZGV_LLVM_N4v"),    VD("tanhf", "_ZGVdN8v_tanhf", 8, "_ZGV_LLVM_N8v"),
    VD("log1pf", "_ZGVbN4v_log1pf", 4, "_ZGV_LLVM_N4v"),  VD("log1pf", "_ZGVdN8v_log1pf", 8, "_ZGV_LLVM_N8v"),
    VD("expm1", "_ZGVbN2v_expm1", 2, "_ZGV_LLVM_N2v"),    VD("expm1", "_ZGVdN4v_expm1", 4, "_ZGV_LLVM_N4v"),
    VD("expm1f", "_ZGVbN4v_expm1f", 4, "_ZGV_LLVM_N4v"),  VD("expm1f", "_ZGVdN8v_expm1f", 8, "_ZGV_LLVM_N8v"),
};

// The AVX-512 ('e') variants, also missing from LLVM 19's table; only offered
// when the host has AVX-512F, since they take zmm arguments.
const llvm::VecDesc kAvx512Libmvec[] = {
    VD("exp", "_ZGVeN8v_exp", 8, "_ZGV_LLVM_N8v"),        VD("llvm.exp.f64", "_ZGVeN8v_exp", 8, "_ZGV_LLVM_N8v"),
    VD("log", "_ZGVeN8v_log", 8, "_ZGV_LLVM_N8v"),        VD("llvm.log.f64", "_ZGVeN8v_log", 8, "_ZGV_LLVM_N8v"),
    VD("sin", "_ZGVeN8v_sin", 8, "_ZGV_LLVM_N8v"),        VD("llvm.sin.f64", "_ZGVeN8v_sin", 8, "_ZGV_LLVM_N8v"),
    VD("cos", "_ZGVeN8v_cos", 8, "_ZGV_LLVM_N8v"),        VD("llvm.cos.f64", "_ZGVeN8v_cos", 8, "_ZGV_LLVM_N8v"),
    VD("pow", "_ZGVeN8vv_pow", 8, "_ZGV_LLVM_N8vv"),      VD("llvm.pow.f64", "_ZGVeN8vv_pow", 8, "_ZGV_LLVM_N8vv"),
    VD("tan", "_ZGVeN8v_tan", 8, "_ZGV_LLVM_N8v"),        VD("tanh", "_ZGVeN8v_tanh", 8, "_ZGV_LLVM_N8v"),
    VD("log1p", "_ZGVeN8v_log1p", 8, "_ZGV_LLVM_N8v"),    VD("expm1", "_ZGVeN8v_expm1", 8, "_ZGV_LLVM_N8v"),
    VD("expf", "_ZGVeN16v_expf", 16, "_ZGV_LLVM_N16v"),   VD("llvm.exp.f32", "_ZGVeN16v_expf", 16, "_ZGV_LLVM_N16v"),
    VD("logf", "_ZGVeN16v_logf", 16, "_ZGV_LLVM_N16v"),   VD("llvm.log.f32", "_ZGVeN16v_logf", 16, "_ZGV_LLVM_N16v"),
    VD("sinf", "_ZGVeN16v_sinf", 16, "_ZGV_LLVM_N16v"),   VD("llvm.sin.f32", "_ZGVeN16v_sinf", 16, "_ZGV_LLVM_N16v"),
    VD("cosf", "_ZGVeN16v_cosf", 16, "_ZGV_LLVM_N16v"),   VD("llvm.cos.f32", "_ZGVeN16v_cosf", 16, "_ZGV_LLVM_N16v"),
    VD("powf", "_ZGVeN16vv_powf", 16, "_ZGV_LLVM_N16vv"), VD("llvm.pow.f32", "_ZGVeN16vv_powf", 16, "_ZGV_LLVM_N16vv"),
    VD("tanf", "_ZGVeN16v_tanf", 16, "_ZGV_LLVM_N16v"),   VD("tanhf", "_ZGVeN16v_tanhf", 16, "_ZGV_LLVM_N16v"),
    VD("log1pf", "_ZGVeN16v_log1pf", 16, "_ZGV_LLVM_N16v"), VD("expm1f", "_ZGVeN16v_expm1f", 16, "_ZGV_LLVM_N16v"),
    VD("erf", "_ZGVeN8v_erf", 8, "_ZGV_LLVM_N8v"),        VD("erff", "_ZGVeN16v_erff", 16, "_ZGV_LLVM_N16v"),
};
#undef VD

std::unique_ptr<llvm::TargetLibraryInfoImpl> libmvec_tli(const llvm::TargetMachine& tm) {
  const llvm::Triple& triple = tm.getTargetTriple();
  auto tlii = std::make_unique<llvm::TargetLibraryInfoImpl>(triple);
  tlii->addVectorizableFunctionsFromVecLib(llvm::TargetLibraryInfoImpl::LIBMVEC_X86, triple);
  tlii->addVectorizableFunctions(kExtraLibmvec);
  if (tm.getTargetFeatureString().contains("+avx512f")) tlii->addVectorizableFunctions(kAvx512Libmvec);
  return tlii;
}

llvm::OptimizationLevel level(int opt_level) {
  switch (opt_level) {
    case 0: return llvm::OptimizationLevel::O0;
    case 1: return llvm::OptimizationLevel::O1;
    case 2: return llvm::OptimizationLevel::O2;
    default: return llvm::OptimizationLevel::O3;
  }
}

}  // namespace

std::unique_ptr<llvm::TargetMachine> host_target_machine() {
  init_llvm_targets();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();  // CPU name + features
  if (!jtmb) throw std::runtime_error("codegen: " + llvm::toString(jtmb.takeError()));
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
  auto tm = jtmb->createTargetMachine();
  if (!tm) throw std::runtime_error("codegen: " + llvm::toString(tm.takeError()));
  return std::move(*tm);
}

// A large graph gets no LLVM IR optimisation at all: gradc's own passes have already
// simplified, CSE'd and folded it, and LLVM's scalar passes recurse along long dependence
// chains (Reassociate overflowed the stack on a 50,000-step chain `a = a*a + 1`) and take
// super-linear time on huge blocks. Loop vectorisation is off above this size anyway.
int effective_opt_level(const ir::Graph& g, int opt_level) {
  return g.size() > kLargeGraphNodes ? 0 : opt_level;
}

void mark_large_module(llvm::Module& m) {
  m.addModuleFlag(llvm::Module::Warning, "gradc.large", 1);
}

bool is_large_module(const llvm::Module& m) { return m.getModuleFlag("gradc.large") != nullptr; }

void optimize(llvm::Module& m, llvm::TargetMachine& tm, int opt_level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions pto;
  pto.LoopVectorization = opt_level >= 2;
  // No SLP: it would pack independent scalar calls of the point entry into
  // libmvec calls (≤ 4 ulp), and the point entry is meant to give exactly the
  // interpreter's libm results. The batch loop is the loop vectoriser's job.
  pto.SLPVectorization = false;
  // No loop unroller: every trip count is a constant, and unrolling the short row loops
  // (10 classes, a 64-wide bias) cost the training step a third of its compile time (IR
  // optimisation and machine code of the SGD step at batch 64: 184-235 -> 126-158 ms;
  // docs/training.md) for loops that are 1-2 % of the step's time. The vectoriser still
  // interleaves, which is what hides a reduction's latency; bench/fusion.sh's loop-bound
  // graph showed no change beyond its noise (±5 %).
  pto.LoopUnrolling = false;
  llvm::PassBuilder pb(&tm, pto);
  // Registered before the defaults so that the vectoriser sees libmvec's entry points.
  std::unique_ptr<llvm::TargetLibraryInfoImpl> tlii = libmvec_tli(tm);
  fam.registerPass([&] { return llvm::TargetLibraryAnalysis(*tlii); });
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = opt_level == 0
                                    ? pb.buildO0DefaultPipeline(llvm::OptimizationLevel::O0)
                                    : pb.buildPerModuleDefaultPipeline(level(opt_level));
  mpm.run(m, mam);
}

}  // namespace gradc::codegen::detail
