// tools/gradc/cmd_eval.cpp — `gradc eval`: the value of a program at a point.
#include <fmt/format.h>

#include "tools/gradc/commands.h"
#include "tools/gradc/tensor_args.h"
#include "tools/gradc/tensor_output.h"

namespace gradc::cli {

namespace {

struct EvalOptions {
  ProgramArgs program;
  DataArgs data;
  PipelineArgs pipeline;
  bool json = false;
  bool interpret = false;
  std::string save_dir;
};

int run_eval(const EvalOptions& o) {
  frontend::SourceFile src = load_source(o.program);
  BoundProgram p = bind_program(compile_program(src, o.program), o.data.at, o.data.dims, o.data.seed);
  const ir::Graph g = run_pipeline(p.bound, &src, o.pipeline, Differentiation::none());
  const Execution how{o.interpret, passes::llvm_opt_level(o.pipeline.level)};
  const runtime::Tensor value = evaluate_tensors(g, p.inputs, how).front();
  if (!o.save_dir.empty()) {
    make_output_dir(o.save_dir, "--save-dir");
    save_result(o.save_dir, "value.npy", value, p.dtype);
  }
  if (o.json) fmt::print("{{\"value\": {}}}\n", json_result(value, p.dtype));
  else fmt::print("{}\n", text_result(p.parsed.outputs.front().name, value, p.dtype));
  return 0;
}

}  // namespace

void register_eval(CLI::App& app, Action& run) {
  auto opts = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a program at a point");
  add_program_options(*cmd, opts->program);
  add_data_options(*cmd, opts->data);
  add_pipeline_options(*cmd, opts->pipeline);
  cmd->add_flag("--json", opts->json, "Print {\"value\": v} (a tensor as nested lists)");
  cmd->add_flag("--interpret", opts->interpret, "Use the reference interpreter instead of the JIT");
  cmd->add_option("--save-dir", opts->save_dir, "Also write DIR/value.npy (of the compute type)");
  cmd->footer("\nExamples:\n  gradc eval -e 'f = ln x + exp(y)*z' --at x=1,y=3,z=2\n"
              "  gradc eval prog.grad --at x=0.5 --json\n"
              "  gradc eval mlp.grad --at x=batch.npy,y=labels.npy --at W1=w1.npy --save-dir out\n"
              "\nThe compute type is f32 by default when an input is a tensor, f64 for scalar programs.");
  cmd->callback([opts, &run] { run = [opts] { return run_eval(*opts); }; });
}

}  // namespace gradc::cli
