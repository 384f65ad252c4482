// tools/gradc/cmd_graph.cpp — `gradc graph`: one numbered picture per step.
//
// 00-parsed, 01-autodiff, then one after each optimisation pass. With --at,
// every node shows its forward value and its adjoint ∂f/∂node, computed by the
// reference interpreter on that very graph, like a worked homework answer.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "ir/dot.h"
#include "runtime/atomic_file.h"
#include "runtime/interpreter.h"
#include "tools/gradc/commands.h"
#include "tools/gradc/tensor_args.h"

namespace gradc::cli {

namespace {

struct GraphOptions {
  ProgramArgs program;
  DataArgs data;
  PipelineArgs pipeline;
  std::vector<std::string> wrt;
  std::string out_dir = "gradc-graph";
  std::string format = "svg";
  bool no_grad = false;
  StepArgs step;
  bool expand = false;
};

// The program on one line for a picture's title: comments dropped, statements joined by "; ".
std::string one_line(std::string_view text) {
  std::string out, line;
  auto flush = [&] {
    line = line.substr(0, line.find('#'));
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) out += (out.empty() ? "" : "; ") + line;
    line.clear();
  };
  for (char c : text) {
    if (c == '\n') flush();
    else line += c;
  }
  flush();
  return out.size() > 80 ? out.substr(0, 77) + "..." : out;
}

bool have_dot() { return std::system("command -v dot >/dev/null 2>&1") == 0; }

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class StepWriter {
 public:
  // `at`: the inputs' values, drawn on every node; null to draw the graph alone.
  StepWriter(const GraphOptions& o, const ir::Graph& parsed, std::string formula,
             const std::vector<runtime::Tensor>* at)
      : o_(o), render_(o.format != "dot" && have_dot()), formula_(std::move(formula)) {
    if (at) {
      values_ = true;
      at_ = *at;
      std::vector<std::string> parts;
      for (size_t i = 0; i < at_.size(); ++i) {
        const runtime::Tensor& t = at_[i];
        const std::string shown = t.shape.empty() ? format_number(t.data.at(0))
                                                  : fmt::format("[{}]", fmt::join(t.shape, "×"));
        parts.push_back(fmt::format("{}={}", parsed[parsed.inputs()[i]].name, shown));
      }
      formula_ += fmt::format("   at {}", fmt::join(parts, ", "));
    }
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
    if (ec)
      throw UsageError(fmt::format("--out: cannot create directory '{}': {}", o.out_dir, ec.message()));
  }

  void write(std::string_view step, const ir::Graph& g) {
    std::vector<std::vector<double>> values;
    ir::DotOptions dot;
    dot.title = fmt::format("{:02} {}:  {}", index_, step, formula_);
    dot.collapse_groups = !o_.expand;
    if (values_) {
      for (runtime::Tensor& t : runtime::interpret_tensors_all(g, at_)) values.push_back(std::move(t.data));
      dot.tensor_values = &values;
    }
    const std::string base = fmt::format("{}/{:02}-{}", o_.out_dir, index_++, step);
    runtime::write_file_atomically(base + ".dot", ir::to_dot(g, dot));
    written_.push_back(base + ".dot");
    if (render_) render(base);
  }

  void report() const {
    for (const auto& f : written_) fmt::print("wrote {}\n", f);
    if (o_.format != "dot" && !render_)
      fmt::print(stderr,
                 "gradc: note: Graphviz 'dot' is not installed, so only DOT files were written.\n"
                 "  install it with: apt-get install graphviz\n"
                 "  then render with: dot -T{} {}/00-parsed.dot -o 00-parsed.{}\n",
                 o_.format, o_.out_dir, o_.format);
  }

 private:
  void render(const std::string& base) {
    const std::string out = base + "." + o_.format, tmp = out + ".tmp";
    const std::string cmd = fmt::format("dot -T{} {} -o {}", o_.format, shell_quote(base + ".dot"),
                                        shell_quote(tmp));
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("dot failed on " + base + ".dot");
    std::filesystem::rename(tmp, out);
    written_.push_back(out);
  }

  const GraphOptions& o_;
  bool render_;
  std::string formula_;
  bool values_ = false;
  std::vector<runtime::Tensor> at_;
  int index_ = 0;
  std::vector<std::string> written_;
};

int run_graph(const GraphOptions& o) {
  frontend::SourceFile src = load_source(o.program);
  ir::Graph parsed = step_model(compile_program(src, o.program), o.step);
  if (o.step.step && !o.data.at.empty()) throw UsageError("--step draws the step without values: leave out --at");
  // With --at the program is drawn with its dims bound and every node's value
  // (tensors: the first few elements); without, with its dims as declared.
  std::vector<runtime::Tensor> at;
  if (!o.data.at.empty()) {
    BoundProgram p = bind_program(parsed, o.data.at, o.data.dims, o.data.seed);
    parsed = p.bound;
    at = p.inputs;
  } else {
    parse_dims(o.data.dims, parsed);
  }
  StepWriter steps(o, parsed, one_line(src.text()), o.data.at.empty() ? nullptr : &at);
  steps.write("parsed", parsed);
  auto hook = [&](std::string_view name, const ir::Graph& g, bool) { steps.write(name, g); };
  run_pipeline(parsed, &src, o.pipeline,
               step_differentiation(o.step, o.no_grad ? Differentiation::none() : Differentiation::of(o.wrt)), hook);
  steps.report();
  return 0;
}

}  // namespace

void register_graph(CLI::App& app, Action& run) {
  auto opts = std::make_shared<GraphOptions>();
  CLI::App* cmd = app.add_subcommand("graph", "Draw the graph after each step (Graphviz)");
  add_program_options(*cmd, opts->program);
  cmd->add_option("--out", opts->out_dir, "Directory for the pictures")->capture_default_str();
  add_data_options(*cmd, opts->data, "Show each node's value and gradient at this point ");
  add_pipeline_options(*cmd, opts->pipeline);
  cmd->add_option("--wrt", opts->wrt, "Differentiate with respect to these inputs (default: all)")
      ->delimiter(',');
  cmd->add_option("--format", opts->format, "dot, svg or png")
      ->check(CLI::IsMember({"dot", "svg", "png"}))
      ->capture_default_str();
  cmd->add_flag("--no-grad", opts->no_grad, "Draw the forward graph and passes only");
  add_step_options(*cmd, opts->step);
  cmd->add_flag("--expand", opts->expand,
                "Draw the inside of each function call (softmax, cross_entropy, your defs) "
                "instead of one box per call");
  cmd->footer(
      "\nWrites DIR/00-parsed, DIR/01-autodiff, then one picture after each pass.\n"
      "\nExamples:\n  gradc graph -e 'f = ln x + exp(y)*z' --at x=1,y=3,z=2 --out seed\n"
      "  gradc graph -e 'a = x*y + z; b = (x+x)*a; w = a*b' --at x=1,y=2,z=3 --format png");
  cmd->callback([opts, &run] { run = [opts] { return run_graph(*opts); }; });
}

}  // namespace gradc::cli
