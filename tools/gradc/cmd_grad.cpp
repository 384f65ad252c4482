// tools/gradc/cmd_grad.cpp — `gradc grad`: value and partial derivatives at a point.
#include <fmt/format.h>

#include "tools/gradc/commands.h"

namespace gradc::cli {

namespace {

struct GradOptions {
  ProgramArgs program;
  std::vector<std::string> at;
  std::vector<std::string> wrt;
  int order = 1;
  bool json = false;
  bool interpret = false;
};

// {"value": v, "grad": {"x": gx, ...}[, "hessian": {"x": {"x": hxx, ...}, ...}]}
std::string to_json(const std::vector<std::string>& wrt, const std::vector<double>& out, int order,
                    ir::DType t) {
  const size_t n = wrt.size();
  std::vector<std::string> grad, hessian;
  for (size_t i = 0; i < n; ++i)
    grad.push_back(fmt::format("{}: {}", json_string(wrt[i]), json_number(out[1 + i], t)));
  std::string s = fmt::format("{{\"value\": {}, \"grad\": {{{}}}", json_number(out[0], t),
                              fmt::join(grad, ", "));
  if (order >= 2) {
    for (size_t i = 0; i < n; ++i) {
      std::vector<std::string> row;
      for (size_t j = 0; j < n; ++j)
        row.push_back(fmt::format("{}: {}", json_string(wrt[j]), json_number(out[1 + n + i * n + j], t)));
      hessian.push_back(fmt::format("{}: {{{}}}", json_string(wrt[i]), fmt::join(row, ", ")));
    }
    s += fmt::format(", \"hessian\": {{{}}}", fmt::join(hessian, ", "));
  }
  return s + "}";
}

int run_grad(const GradOptions& o) {
  if (o.order < 1 || o.order > 2) throw UsageError("--order must be 1 or 2");
  frontend::SourceFile src = load_source(o.program);
  const ir::DType dtype = parse_dtype(o.program.dtype);
  ir::Graph parsed = compile_or_report(src, dtype);
  const std::vector<double> at = parse_at(o.at, parsed);
  ir::Graph g = differentiate(parsed, o.wrt, o.order);
  const std::vector<double> out = evaluate(g, at, o.interpret);
  if (o.json) {
    fmt::print("{}\n", to_json(o.wrt.empty() ? parsed.input_names() : o.wrt, out, o.order, dtype));
    return 0;
  }
  size_t width = 0;
  for (const ir::Output& r : g.outputs) width = std::max(width, r.name.size());
  for (size_t k = 0; k < out.size(); ++k)
    fmt::print("{:<{}} = {}\n", g.outputs[k].name, width, format_number(out[k], dtype));
  return 0;
}

}  // namespace

void register_grad(CLI::App& app, Action& run) {
  auto opts = std::make_shared<GradOptions>();
  CLI::App* cmd = app.add_subcommand("grad", "Value and gradient of a program at a point");
  add_program_options(*cmd, opts->program);
  cmd->add_option("--at", opts->at, "Input values, NAME=VALUE[,NAME=VALUE...] (nan, inf allowed)");
  cmd->add_option("--wrt", opts->wrt, "Differentiate with respect to these inputs (default: all)")
      ->delimiter(',');
  cmd->add_option("--order", opts->order, "1: gradient; 2: gradient and Hessian");
  cmd->add_flag("--json", opts->json,
                "Print {\"value\": v, \"grad\": {\"x\": gx, ...}} (and \"hessian\" with --order 2)");
  cmd->add_flag("--interpret", opts->interpret, "Use the reference interpreter instead of the JIT");
  cmd->footer(
      "\nExamples:\n  gradc grad -e 'f = ln x + exp(y)*z' --at x=1,y=3,z=2\n"
      "  gradc grad -e 'f = ln x + exp(y)*z' --at x=1,y=3,z=2 --wrt y --json\n"
      "  gradc grad -e 'f = x^3' --at x=2 --order 2");
  cmd->callback([opts, &run] { run = [opts] { return run_grad(*opts); }; });
}

}  // namespace gradc::cli
