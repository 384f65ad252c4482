// tools/gradc/cmd_eval.cpp — `gradc eval`: the value of a program at a point.
#include <fmt/format.h>

#include "frontend/frontend.h"
#include "tools/gradc/commands.h"

namespace gradc::cli {

namespace {

struct EvalOptions {
  ProgramArgs program;
  std::vector<std::string> at;
  bool json = false;
  bool interpret = false;
};

int run_eval(const EvalOptions& o) {
  frontend::SourceFile src = load_source(o.program);
  const ir::DType dtype = parse_dtype(o.program.dtype);
  ir::Graph g = compile_or_report(src, dtype);
  const std::vector<double> at = parse_at(o.at, g);
  const double value = evaluate(optimise(g), at, o.interpret).front();
  if (o.json) fmt::print("{{\"value\": {}}}\n", json_number(value, dtype));
  else fmt::print("{} = {}\n", g.outputs.front().name, format_number(value, dtype));
  return 0;
}

}  // namespace

void register_eval(CLI::App& app, Action& run) {
  auto opts = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a program at a point");
  add_program_options(*cmd, opts->program);
  cmd->add_option("--at", opts->at, "Input values, NAME=VALUE[,NAME=VALUE...] (nan, inf allowed)");
  cmd->add_flag("--json", opts->json, "Print {\"value\": v}");
  cmd->add_flag("--interpret", opts->interpret, "Use the reference interpreter instead of the JIT");
  cmd->footer("\nExamples:\n  gradc eval -e 'f = ln x + exp(y)*z' --at x=1,y=3,z=2\n"
              "  gradc eval prog.grad --at x=0.5 --json");
  cmd->callback([opts, &run] { run = [opts] { return run_eval(*opts); }; });
}

}  // namespace gradc::cli
