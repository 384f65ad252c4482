// passes/pipelines.h — THE place gradc's pass pipelines are assembled.
//
// Every command that compiles (eval, grad, jacobian, graph, emit), the library façade
// (runtime/compile.cpp) and bench/ ask here for their list of passes, so -O means
// the same everywhere:
//   -O0  autodiff only: the reference (no rewrites, one kernel per node); decompose, which
//        every pipeline ends its differentiation with, expands composite ops for codegen
//   -O1  + IEEE-exact rewrites: simplify, cse, dce
//   -O2  + stabilising rewrites before autodiff, fusion into kernels, memory planning (the default)
//   -O3  -O2's passes, LLVM at O3
// LLVM's optimisation level follows gradc's.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gradc::passes {

inline constexpr int kMaxOptLevel = 3;
inline constexpr int kDefaultOptLevel = 2;

// A bad -O or --passes: the message names the problem and the valid choices.
struct PipelineError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct PipelineSpec {
  int level = kDefaultOptLevel;     // -O
  std::vector<std::string> custom;  // --passes: replaces the level's list when not empty
  bool differentiate = true;        // false (eval): autodiff is left out
};

// The passes of -O<level>, autodiff included.
std::vector<std::string> level_pipeline(int level);

// The list to run for `spec`. A custom list that differentiates gets autodiff first if it
// does not name it; one that does not differentiate may not name it. Throws PipelineError.
std::vector<std::string> build_pipeline(const PipelineSpec& spec);

// The training step's list (gradc train, graph/emit --step): build_pipeline's, always
// differentiating, with "update" (the optimiser, passes/update.h) right after autodiff
// unless a custom list places it itself.
std::vector<std::string> step_pipeline(PipelineSpec spec);

// "simplify,cse" → {"simplify", "cse"}; every name must be in passes.def. Throws PipelineError.
std::vector<std::string> parse_pass_list(std::string_view list);

// The LLVM O-level code is generated at for gradc's -O level.
int llvm_opt_level(int level);

}  // namespace gradc::passes
