// tools/gradc/commands.h — the subcommands. Each registers its options on the
// app and sets `run` to the action to take once the command line has parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "tools/gradc/driver.h"

namespace gradc::cli {

using Action = std::function<int()>;

void register_eval(CLI::App& app, Action& run);
void register_grad(CLI::App& app, Action& run);
void register_graph(CLI::App& app, Action& run);
void register_emit(CLI::App& app, Action& run);
void register_jacobian(CLI::App& app, Action& run);
void register_train(CLI::App& app, Action& run);
void register_predict(CLI::App& app, Action& run);
void register_plot_curves(CLI::App& app, Action& run);

// FILE, -e PROGRAM and --dtype, shared by every command.
void add_program_options(CLI::App& cmd, ProgramArgs& args);

// -O, --passes, --stats, --remarks: the same on every command that compiles.
void add_pipeline_options(CLI::App& cmd, PipelineArgs& args);

// --step, --optimizer, --momentum, --weight-decay (graph, emit): the training step that
// gradc train compiles, for the model read as train reads it (runtime/train_model.h).
struct StepArgs {
  bool step = false;
  passes::OptimizerSpec optimizer{.kind = "adam"};
};
void add_step_options(CLI::App& cmd, StepArgs& args);
// With --step: the model with outputs {loss, logits} (f32) and the differentiation that
// appends the update; without, `parsed` and `otherwise` unchanged.
ir::Graph step_model(const ir::Graph& parsed, const StepArgs& args);
Differentiation step_differentiation(const StepArgs& args, const Differentiation& otherwise);

// A number in [lo, hi] ([lo, hi) if hi_open), NaN never: CLI::Range lets NaN through, since
// every comparison with it is false. hi = inf with hi_open: any finite number >= lo.
CLI::Validator number_in(double lo, double hi, bool hi_open = false);
// A seed: a whole number >= 0 (CLI11 would read "-1" into an unsigned by wrapping it).
CLI::Validator seed_number();

// --at and --dim: the data a program runs on.
struct DataArgs {
  std::vector<std::string> at;
  std::vector<std::string> dims;
  uint64_t seed = 0;  // draws of params given no --at value
};
void add_data_options(CLI::App& cmd, DataArgs& args, const std::string& at_help = "");

}  // namespace gradc::cli
