// tools/gradc/cmd_jacobian.cpp — `gradc jacobian`: every ∂y[i...]/∂w[j...] at a point.
#include <fmt/format.h>

#include "runtime/tensor_text.h"
#include "tools/gradc/commands.h"
#include "tools/gradc/jacobian.h"
#include "tools/gradc/tensor_args.h"
#include "tools/gradc/tensor_output.h"

namespace gradc::cli {

namespace {

struct JacobianOptions {
  ProgramArgs program;
  DataArgs data;
  PipelineArgs pipeline;
  std::string wrt;
  bool json = false;
  bool interpret = false;
  std::string save_dir;
};

int run_jacobian(const JacobianOptions& o) {
  frontend::SourceFile src = load_source(o.program);
  BoundProgram p = bind_program(compile_program(src, o.program), o.data.at, o.data.dims, o.data.seed);
  const JacobianResult r = compute_jacobian(p.bound, o.wrt, p.inputs,
                                            {o.interpret, passes::llvm_opt_level(o.pipeline.level)}, o.pipeline, &src);
  const std::string f = p.parsed.outputs.front().name;
  if (!o.save_dir.empty()) {
    make_output_dir(o.save_dir, "--save-dir");
    save_result(o.save_dir, "value.npy", r.value, p.dtype);
    save_result(o.save_dir, "jacobian_" + o.wrt + ".npy", r.jacobian, p.dtype);
  }
  if (o.json) {
    fmt::print("{{\"value\": {}, \"jacobian\": {{{}: {}}}}}\n", json_result(r.value, p.dtype), json_string(o.wrt),
               json_result(r.jacobian, p.dtype));
    return 0;
  }
  const ir::Shape in_shape = p.bound[p.bound.find_input(o.wrt)].shape;
  fmt::print("{}\n", text_result(f, r.value, p.dtype));
  fmt::print("Jacobian ∂{}/∂{}, numerator layout (output {} × input {}): shape {}\n", f, o.wrt,
             ir::to_string(ir::Shape{r.value.shape}), ir::to_string(in_shape),
             ir::to_string(ir::Shape{r.jacobian.shape}));
  std::string body = r.jacobian.shape.empty() ? format_number(r.jacobian.data.at(0), p.dtype)
                                              : runtime::format_tensor_text(r.jacobian, p.dtype == ir::DType::F32);
  if (!r.jacobian.shape.empty()) body = body.substr(body.find('\n') + 1);  // the shape is said above
  fmt::print("{}\n", body);
  return 0;
}

}  // namespace

void register_jacobian(CLI::App& app, Action& run) {
  auto opts = std::make_shared<JacobianOptions>();
  CLI::App* cmd = app.add_subcommand("jacobian", "The full Jacobian of the output with respect to one input");
  add_program_options(*cmd, opts->program);
  add_data_options(*cmd, opts->data);
  add_pipeline_options(*cmd, opts->pipeline);
  cmd->add_option("--wrt", opts->wrt, "The input to differentiate with respect to")->required();
  cmd->add_flag("--json", opts->json, "Print {\"value\": y, \"jacobian\": {\"w\": J}} (nested lists)");
  cmd->add_flag("--interpret", opts->interpret, "Use the reference interpreter instead of the JIT");
  cmd->add_option("--save-dir", opts->save_dir, "Also write DIR/value.npy and DIR/jacobian_W.npy");
  cmd->footer(
      "\nNumerator layout: the Jacobian's shape is the output's shape followed by the input's,\n"
      "J[i..., j...] = ∂y[i...]/∂w[j...] (for y = Xw it is X; a scalar output gives the gradient).\n"
      "One reverse sweep per element of the output.\n"
      "\nExamples:\n  gradc jacobian -e 'input w[3]; f = w * w' --wrt w --at 'w=[1,2,3]'\n"
      "  gradc jacobian -e 'input X[2,3]; input w[3]; f = X @ w' --wrt w --at 'X=[1,2,3;4,5,6]' --at 'w=[1,1,1]'\n"
      "  gradc jacobian -e 'input w[3]; f = softmax(w)' --wrt w --at 'w=[1,2,3]' --json");
  cmd->callback([opts, &run] { run = [opts] { return run_jacobian(*opts); }; });
}

}  // namespace gradc::cli
