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

// FILE, -e PROGRAM and --dtype, shared by every command.
void add_program_options(CLI::App& cmd, ProgramArgs& args);

// -O, --passes, --stats, --remarks: the same on every command that compiles.
void add_pipeline_options(CLI::App& cmd, PipelineArgs& args);

// --at and --dim: the data a program runs on.
struct DataArgs {
  std::vector<std::string> at;
  std::vector<std::string> dims;
  uint64_t seed = 0;  // draws of params given no --at value
};
void add_data_options(CLI::App& cmd, DataArgs& args, const std::string& at_help = "");

}  // namespace gradc::cli
