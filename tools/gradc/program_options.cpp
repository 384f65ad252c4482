// tools/gradc/program_options.cpp — the options that name the program, and
// turning its text into a graph with errors shown as the user needs them.
#include <fmt/format.h>

#include <cmath>

#include "frontend/frontend.h"
#include "runtime/train_model.h"
#include "tools/gradc/commands.h"

namespace gradc::cli {

void add_program_options(CLI::App& cmd, ProgramArgs& args) {
  cmd.add_option("FILE", args.file, "Program file (.grad)");
  cmd.add_option("-e,--expr", args.expr, "Program text, instead of a FILE");
  cmd.add_option("--dtype", args.dtype,
                 "Compute type f32 or f64; default: f32 if any input is a tensor, f64 for scalar programs")
      ->check(CLI::IsMember({"f32", "f64"}));
}

void add_pipeline_options(CLI::App& cmd, PipelineArgs& args) {
  cmd.add_option("-O", args.level,
                 "Optimisation level: 0 autodiff only (the reference), 1 exact rewrites (simplify, cse, "
                 "dce), 2 also stabilising rewrites (default), 3 as 2 with LLVM at O3")
      ->capture_default_str();
  cmd.add_option("--passes", args.passes,
                 "Run these passes instead of -O's list, e.g. --passes=stabilize,simplify,dce "
                 "(autodiff comes first if the command differentiates and the list lacks it)");
  cmd.add_flag("--stats", args.stats,
               "Print, per pass, the nodes before and after, kernels, workspace and peak bytes, and the time (stderr)");
  cmd.add_flag("--remarks", args.remarks,
               "Report each stabilising rewrite at its source position, clang-style (stderr)");
}

void add_data_options(CLI::App& cmd, DataArgs& args, const std::string& at_help) {
  cmd.add_option("--at", args.at,
                 at_help.empty()
                     ? "Input values, NAME=VALUE[,NAME=VALUE...]: a number (nan, inf allowed), a tensor "
                       "literal '[1,2;3,4]' or '[[1,2],[3,4]]', or an .npy file (<f4, <f8, <i8)"
                     : at_help);
  cmd.add_option("--seed", args.seed,
                 "Seed for params given no --at value, which start from their initialiser (he(), ...)")
      ->capture_default_str()
      ->check(seed_number());
  cmd.add_option("--dim", args.dims, "Size of a symbolic dimension, NAME=N (e.g. --dim B=64); "
                                     "dims are otherwise taken from the --at values' shapes");
}

CLI::Validator number_in(double lo, double hi, bool hi_open) {
  const std::string range = std::isinf(hi) ? fmt::format("a finite number >= {}", lo)
                                           : fmt::format("a number in [{}, {}{}", lo, hi, hi_open ? ")" : "]");
  return CLI::Validator(
      [=](const std::string& text) -> std::string {
        double v = 0;
        const bool ok = CLI::detail::lexical_cast(text, v) && v >= lo && (hi_open ? v < hi : v <= hi);
        return ok ? std::string() : fmt::format("{} is not {}", text, range);
      },
      range);
}

CLI::Validator seed_number() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        uint64_t v = 0;
        const bool ok = !text.empty() && text[0] != '-' && CLI::detail::lexical_cast(text, v);
        return ok ? std::string() : fmt::format("{} is not a whole number >= 0", text);
      },
      "a whole number >= 0");
}

void add_step_options(CLI::App& cmd, StepArgs& args) {
  cmd.add_flag("--step", args.step,
               "The whole training step as gradc train compiles it: forward, gradients by every param, "
               "the optimiser's update (docs/training.md)");
  cmd.add_option("--optimizer", args.optimizer.kind, "With --step: sgd, momentum, adam or adamw")
      ->capture_default_str()
      ->check(CLI::IsMember({"sgd", "momentum", "adam", "adamw"}));
  cmd.add_option("--momentum", args.optimizer.momentum, "With --step: the momentum")
      ->capture_default_str()
      ->check(number_in(0, 1, true));
  cmd.add_option("--weight-decay", args.optimizer.weight_decay, "With --step: weight decay")
      ->capture_default_str()
      ->check(number_in(0, HUGE_VAL, true));
}

ir::Graph step_model(const ir::Graph& parsed, const StepArgs& args) {
  return args.step ? runtime::read_train_model(parsed).graph : parsed;
}

Differentiation step_differentiation(const StepArgs& args, const Differentiation& otherwise) {
  return args.step ? Differentiation::step(args.optimizer) : otherwise;
}

ir::Graph compile_or_report(const frontend::SourceFile& src, ir::DType dtype) {
  try {
    return frontend::compile_to_ir(src, dtype);
  } catch (const frontend::CompileError& e) {
    std::fputs(frontend::render(src, e.diag).c_str(), stderr);
    throw;
  }
}

}  // namespace gradc::cli
