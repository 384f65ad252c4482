// tools/gradc/cmd_emit.cpp — `gradc emit`: what the compiler made, as text.
#include <fmt/format.h>

#include "codegen/codegen.h"
#include "ir/kernel.h"
#include "ir/printer.h"
#include "tools/gradc/commands.h"
#include "tools/gradc/tensor_args.h"

namespace gradc::cli {

namespace {

struct EmitOptions {
  ProgramArgs program;
  std::vector<std::string> dims;
  std::string emit = "ir";
  bool grad = false;
  std::vector<std::string> wrt;
  bool print_after_all = false;
  PipelineArgs pipeline;
  StepArgs step;
};

int run_emit(const EmitOptions& o) {
  frontend::SourceFile src = load_source(o.program);
  ir::Graph g = step_model(compile_program(src, o.program), o.step);
  const ir::DType dtype = graph_dtype(g);
  // The IR and the kernel form may keep their dims symbolic; LLVM IR and assembly need them bound.
  if (!o.dims.empty() || (o.emit != "ir" && o.emit != "kernels")) g = bind_dims_or_report(g, parse_dims(o.dims, g));
  auto hook = [&](std::string_view name, const ir::Graph& after, bool changed) {
    if (!o.print_after_all) return;
    fmt::print("// ----- IR after {}{} -----\n{}", name, changed ? "" : " (unchanged)",
               changed ? ir::print(after) : "");
  };
  if (o.print_after_all) fmt::print("// ----- IR after parse -----\n{}", ir::print(g));
  g = run_pipeline(g, &src, o.pipeline,
                   step_differentiation(o.step, o.grad ? Differentiation::of(o.wrt) : Differentiation::none()), hook);
  const codegen::CodegenOptions cg{.dtype = dtype, .opt_level = passes::llvm_opt_level(o.pipeline.level)};
  if (o.emit == "ir") fmt::print("{}", ir::print(g));
  else if (o.emit == "kernels")
    fmt::print("{}", g.kernels.empty() ? "// no kernel form: the pipeline has no fuse pass (-O2 runs it)\n"
                                       : ir::print_kernels(g));
  else if (o.emit == "llvm") fmt::print("{}", codegen::emit_llvm(g, cg));
  else fmt::print("{}", codegen::emit_asm(g, cg));
  return 0;
}

}  // namespace

void register_emit(CLI::App& app, Action& run) {
  auto opts = std::make_shared<EmitOptions>();
  CLI::App* cmd = app.add_subcommand("emit", "Print the graph IR, LLVM IR or assembly");
  add_program_options(*cmd, opts->program);
  cmd->add_option("--emit", opts->emit, "ir, kernels (the kernel form and memory plan), llvm or asm")
      ->check(CLI::IsMember({"ir", "kernels", "llvm", "asm"}))
      ->capture_default_str();
  cmd->add_option("--dim", opts->dims, "Bind a symbolic dimension, NAME=N (e.g. --dim B=64)");
  cmd->add_flag("--grad", opts->grad, "Include the gradient (forward + backward)");
  cmd->add_option("--wrt", opts->wrt, "With --grad: differentiate by these inputs")->delimiter(',');
  cmd->add_flag("--print-after-all", opts->print_after_all, "Print the IR after every pass");
  add_step_options(*cmd, opts->step);
  add_pipeline_options(*cmd, opts->pipeline);
  cmd->footer(
      "\nExamples:\n  gradc emit -e 'f = ln x + exp(y)*z' --grad\n"
      "  gradc emit -e 'f = ln x + exp(y)*z' --grad --emit llvm\n"
      "  gradc emit examples/mlp.grad --grad --emit kernels --dim B=64\n"
      "  gradc emit prog.grad --grad --print-after-all\n"
      "  gradc emit examples/mlp.grad --step --optimizer adam --dim B=64");
  cmd->callback([opts, &run] { run = [opts] { return run_emit(*opts); }; });
}

}  // namespace gradc::cli
