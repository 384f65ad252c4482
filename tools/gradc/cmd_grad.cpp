// tools/gradc/cmd_grad.cpp — `gradc grad`: value and partial derivatives at a point.
#include <fmt/format.h>

#include "passes/autodiff.h"
#include "tools/gradc/commands.h"
#include "tools/gradc/tensor_args.h"
#include "tools/gradc/tensor_output.h"

namespace gradc::cli {

namespace {

struct GradOptions {
  ProgramArgs program;
  DataArgs data;
  PipelineArgs pipeline;
  std::vector<std::string> wrt;
  int order = 1;
  bool json = false;
  bool interpret = false;
  std::string save_dir;
};

// {"value": v, "grad": {"x": gx, ...}[, "hessian": {"x": {"x": hxx, ...}, ...}]}; tensors as
// nested lists.
std::string to_json(const std::vector<std::string>& wrt, const std::vector<runtime::Tensor>& out, int order,
                    ir::DType t) {
  const size_t n = wrt.size();
  std::vector<std::string> grad, hessian;
  for (size_t i = 0; i < n; ++i)
    grad.push_back(fmt::format("{}: {}", json_string(wrt[i]), json_result(out[1 + i], t)));
  std::string s = fmt::format("{{\"value\": {}, \"grad\": {{{}}}", json_result(out[0], t),
                              fmt::join(grad, ", "));
  if (order >= 2) {
    for (size_t i = 0; i < n; ++i) {
      std::vector<std::string> row;
      for (size_t j = 0; j < n; ++j)
        row.push_back(fmt::format("{}: {}", json_string(wrt[j]), json_result(out[1 + n + i * n + j], t)));
      hessian.push_back(fmt::format("{}: {{{}}}", json_string(wrt[i]), fmt::join(row, ", ")));
    }
    s += fmt::format(", \"hessian\": {{{}}}", fmt::join(hessian, ", "));
  }
  return s + "}";
}

int run_grad(const GradOptions& o) {
  if (o.order < 1 || o.order > 2) throw UsageError("--order must be 1 or 2");
  frontend::SourceFile src = load_source(o.program);
  BoundProgram p = bind_program(compile_program(src, o.program), o.data.at, o.data.dims, o.data.seed);
  if (o.order >= 2 && !is_scalar_graph(p.bound))
    throw UsageError("--order 2 is for scalar programs; for tensors, take the Jacobian of a gradient "
                     "with 'gradc jacobian'");
  const ir::Graph g = run_pipeline(p.bound, &src, o.pipeline, Differentiation::of(o.wrt, o.order));
  const Execution how{o.interpret, passes::llvm_opt_level(o.pipeline.level)};
  const std::vector<runtime::Tensor> out = evaluate_tensors(g, p.inputs, how);
  const std::vector<std::string> wrt = o.wrt.empty() ? passes::default_wrt(p.parsed) : o.wrt;
  const ir::Output& f = p.parsed.outputs.front();
  if (!p.parsed[f.id].shape.is_scalar())
    fmt::print(stderr,
               "gradc: note: {} is a tensor, so the gradient is that of sum({}); "
               "'gradc jacobian' gives every ∂{}[i]/∂x\n",
               f.name, f.name, f.name);
  if (!o.save_dir.empty()) {
    make_output_dir(o.save_dir, "--save-dir");
    save_result(o.save_dir, "value.npy", out[0], p.dtype);
    for (size_t i = 0; i < wrt.size(); ++i) save_result(o.save_dir, "grad_" + wrt[i] + ".npy", out[1 + i], p.dtype);
  }
  if (o.json) {
    fmt::print("{}\n", to_json(wrt, out, o.order, p.dtype));
    return 0;
  }
  size_t width = 0;
  for (const ir::Output& r : g.outputs) width = std::max(width, r.name.size());
  for (size_t k = 0; k < out.size(); ++k) fmt::print("{}\n", text_result(g.outputs[k].name, out[k], p.dtype, width));
  return 0;
}

}  // namespace

void register_grad(CLI::App& app, Action& run) {
  auto opts = std::make_shared<GradOptions>();
  CLI::App* cmd = app.add_subcommand("grad", "Value and gradient of a program at a point");
  add_program_options(*cmd, opts->program);
  add_data_options(*cmd, opts->data);
  add_pipeline_options(*cmd, opts->pipeline);
  cmd->add_option("--wrt", opts->wrt,
                  "Differentiate with respect to these inputs (default: the params if the program "
                  "declares any, else every input that is not integer labels)")
      ->delimiter(',');
  cmd->add_option("--order", opts->order, "1: gradient; 2: gradient and Hessian (scalar programs)");
  cmd->add_flag("--json", opts->json,
                "Print {\"value\": v, \"grad\": {\"x\": gx, ...}} (tensors as nested lists; "
                "\"hessian\" with --order 2)");
  cmd->add_flag("--interpret", opts->interpret, "Use the reference interpreter instead of the JIT");
  cmd->add_option("--save-dir", opts->save_dir,
                  "Also write DIR/value.npy and DIR/grad_NAME.npy per gradient (of the compute type)");
  cmd->footer(
      "\nExamples:\n  gradc grad -e 'f = ln x + exp(y)*z' --at x=1,y=3,z=2\n"
      "  gradc grad -e 'f = ln x + exp(y)*z' --at x=1,y=3,z=2 --wrt y --json\n"
      "  gradc grad -e 'f = x^3' --at x=2 --order 2\n"
      "  gradc grad mlp.grad --at x=batch.npy,y=labels.npy,W1=w1.npy --save-dir grads\n"
      "\nThe compute type is f32 by default when an input is a tensor, f64 for scalar programs.\n"
      "A tensor-valued program's gradient is that of the sum of its elements.");
  cmd->callback([opts, &run] { run = [opts] { return run_grad(*opts); }; });
}

}  // namespace gradc::cli
