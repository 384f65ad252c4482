// tools/gradc/driver.h — what every gradc command shares: reading the program,
// parsing --at, running the pipeline, printing numbers, exit codes.
#pragma once

#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "frontend/source.h"
#include "ir/graph.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "runtime/tensor.h"

namespace gradc::cli {

inline constexpr int kExitBadProgram = 1;
inline constexpr int kExitBadUsage = 2;

// A usage error: printed as "gradc: error: ...", exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// FILE or -e PROGRAM, as every command takes them.
struct ProgramArgs {
  std::string file;
  std::string expr;
  std::string dtype;  // "f32", "f64", or empty: f32 if any input is a tensor, else f64
};

frontend::SourceFile load_source(const ProgramArgs& args);

// The frontend, with its error rendered to stderr (file:line:col, line, caret)
// before the CompileError goes on to main (exit 1).
ir::Graph compile_or_report(const frontend::SourceFile& src, ir::DType dtype);
ir::DType parse_dtype(const std::string& name);
// compile_or_report with the compute type of --dtype, or by default f32 when the program
// has a non-scalar input and f64 when all its inputs are scalars.
ir::Graph compile_program(const frontend::SourceFile& src, const ProgramArgs& args);
ir::DType graph_dtype(const ir::Graph& g);

// How a graph is run: the reference interpreter, or the JIT at an LLVM O-level.
struct Execution {
  bool interpret = false;
  int llvm_level = 2;
};

// -O, --passes, --stats, --remarks: how every compiling command runs the pipeline.
struct PipelineArgs {
  int level = passes::kDefaultOptLevel;
  std::string passes;  // "a,b,c": a custom pipeline
  bool stats = false;
  bool remarks = false;
};

// What the pipeline is asked to do beyond optimising: autodiff's settings.
struct Differentiation {
  bool enabled = true;
  std::vector<std::string> wrt;  // empty: passes::default_wrt
  int order = 1;
  std::string seed;              // an input holding the cotangent (gradc jacobian)
  // The training step (--step): the optimiser's update appended after autodiff.
  std::optional<passes::OptimizerSpec> optimizer;

  static Differentiation none() { return {false, {}, 1, {}, {}}; }
  static Differentiation of(std::vector<std::string> wrt, int order = 1) {
    return {true, std::move(wrt), order, {}, {}};
  }
  static Differentiation step(const passes::OptimizerSpec& o) { return {true, {}, 1, {}, o}; }
};

// THE compile pipeline of every command: passes::build_pipeline for -O/--passes (autodiff
// included when `d` asks for it), `hook` after each pass, then --remarks rendered at
// their source positions in `src` (null: no remarks) and --stats, on stderr. Bad -O, --passes or --wrt: UsageError.
ir::Graph run_pipeline(const ir::Graph& parsed, const frontend::SourceFile* src, const PipelineArgs& args,
                       const Differentiation& d, const passes::PassManager::AfterPass& hook = {});

// THE evaluation of any graph with its dims bound, for every command: all-scalar graphs go
// through `evaluate` (the scalar JIT, or the interpreter with `interpret`); tensor graphs
// through the tensor JIT (or the interpreter). `inputs` follow g.inputs() order.
std::vector<runtime::Tensor> evaluate_tensors(const ir::Graph& g, const std::vector<runtime::Tensor>& inputs,
                                              const Execution& how);

// A number as gradc prints it: the shortest decimal that reads back to the same
// value of the compute type (an f32 result prints as 40.171074, not as the double
// 40.17107391357422); nan, inf, -inf.
std::string format_number(double v, ir::DType t = ir::DType::F64);
// The same as a JSON value: non-finite numbers become the strings "nan", "inf", "-inf".
std::string json_number(double v, ir::DType t = ir::DType::F64);
std::string json_string(const std::string& s);

}  // namespace gradc::cli
