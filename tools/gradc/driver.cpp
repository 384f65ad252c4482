// tools/gradc/driver.cpp — the pieces every command shares.
#include "tools/gradc/driver.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "codegen/codegen.h"
#include "frontend/diagnostics.h"
#include "passes/autodiff.h"
#include "runtime/interpreter.h"
#include "runtime/tensor_jit.h"
#include "tools/gradc/tensor_args.h"

namespace gradc::cli {

namespace {
constexpr size_t kMaxSourceBytes = 16u << 20;  // a program larger than 16 MiB is a mistake

}  // namespace

frontend::SourceFile load_source(const ProgramArgs& args) {
  if (!args.expr.empty() && !args.file.empty())
    throw UsageError("give a FILE or -e PROGRAM, not both");
  if (!args.expr.empty()) return frontend::SourceFile("<-e>", args.expr);
  if (args.file.empty()) throw UsageError("no program: give a FILE or -e PROGRAM");
  std::error_code ec;
  if (std::filesystem::is_directory(args.file, ec))
    throw UsageError(fmt::format("cannot read '{}': is a directory", args.file));
  std::ifstream in(args.file, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot open '{}': {}", args.file, std::strerror(errno)));
  // Reading stops past the limit: a file that never ends (/dev/zero, a pipe) is refused like
  // any other too large one instead of being read until memory runs out.
  std::string text;
  std::array<char, 1 << 16> chunk;
  while (text.size() <= kMaxSourceBytes) {
    in.read(chunk.data(), chunk.size());
    text.append(chunk.data(), static_cast<size_t>(in.gcount()));
    if (!in) break;
  }
  if (text.size() > kMaxSourceBytes)
    throw UsageError(fmt::format("'{}' is larger than 16 MiB; is it really a gradc program?", args.file));
  return frontend::SourceFile(args.file, std::move(text));
}

ir::DType parse_dtype(const std::string& name) {
  if (name == "f64") return ir::DType::F64;
  if (name == "f32") return ir::DType::F32;
  throw UsageError(fmt::format("--dtype must be f32 or f64, not '{}'", name));
}

ir::Graph compile_program(const frontend::SourceFile& src, const ProgramArgs& args) {
  if (!args.dtype.empty()) return compile_or_report(src, parse_dtype(args.dtype));
  // The frontend builds the same graph for either type, with the type only on each node:
  // relabel rather than compile a second time.
  ir::Graph g = compile_or_report(src, ir::DType::F64);
  if (!has_only_scalar_inputs(g))
    for (ir::NodeId id = 0; id < g.size(); ++id) g[id].dtype = ir::DType::F32;
  return g;
}

ir::DType graph_dtype(const ir::Graph& g) { return g.size() == 0 ? ir::DType::F64 : g[0].dtype; }

namespace {

void check_wrt(const ir::Graph& parsed, const std::vector<std::string>& wrt) {
  std::set<std::string> seen;
  for (const std::string& name : wrt)
    if (!seen.insert(name).second) throw UsageError(fmt::format("--wrt: '{}' is given twice", name));
  for (const std::string& name : wrt) {
    const ir::NodeId id = parsed.find_input(name);
    if (id == ir::kNoNode)
      throw UsageError(fmt::format("--wrt: '{}' is not an input of the program (inputs: {})", name,
                                   fmt::join(parsed.input_names(), ", ")));
    if (parsed[id].integer)
      throw UsageError(fmt::format("--wrt: '{}' holds integer labels, which have no gradient", name));
  }
}

std::vector<std::string> pipeline_for(const PipelineArgs& args, const Differentiation& d) {
  try {
    passes::PipelineSpec spec{args.level, {}, d.enabled};
    if (!args.passes.empty()) spec.custom = passes::parse_pass_list(args.passes);
    return d.optimizer ? passes::step_pipeline(spec) : passes::build_pipeline(spec);
  } catch (const passes::PipelineError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace

ir::Graph run_pipeline(const ir::Graph& parsed, const frontend::SourceFile* src, const PipelineArgs& args,
                       const Differentiation& d, const passes::PassManager::AfterPass& hook) {
  if (d.enabled) check_wrt(parsed, d.wrt);
  passes::PassManager pm(pipeline_for(args, d));
  if (hook) pm.after_each(hook);
  passes::PassContext ctx;
  ctx.wrt = d.wrt;
  ctx.order = d.order;
  ctx.seed = d.seed;
  if (d.optimizer) ctx.optimizer = *d.optimizer;
  ir::Graph g = pm.run(parsed, ctx);
  if (args.remarks && src)
    for (const passes::Remark& r : ctx.remarks)
      std::fputs(frontend::render(*src, {r.loc, r.message, {}, frontend::Severity::Remark}).c_str(), stderr);
  if (args.stats) std::fputs(passes::format_stats(pm.records(), ctx).c_str(), stderr);
  return g;
}

std::vector<double> evaluate(const ir::Graph& g, const std::vector<double>& at, const Execution& how) {
  if (how.interpret) return runtime::interpret(g, at);
  std::vector<double> out(g.outputs.size());
  if (g.outputs.empty()) return out;
  if (g.nodes().front().dtype == ir::DType::F32) {
    codegen::CompiledFunction fn = codegen::compile(g, {.dtype = ir::DType::F32, .opt_level = how.llvm_level});
    std::vector<float> in32(at.begin(), at.end()), out32(out.size());
    fn.call(in32.data(), out32.data());
    return {out32.begin(), out32.end()};
  }
  codegen::CompiledFunction fn = codegen::compile(g, {.dtype = ir::DType::F64, .opt_level = how.llvm_level});
  fn.call(at.data(), out.data());
  return out;
}

std::vector<runtime::Tensor> evaluate_tensors(const ir::Graph& g, const std::vector<runtime::Tensor>& inputs,
                                              const Execution& how) {
  if (!is_scalar_graph(g))
    return how.interpret ? runtime::interpret_tensors(g, inputs)
                         : runtime::TensorJit::compile(g, how.llvm_level).run(inputs);
  std::vector<double> at;
  for (const runtime::Tensor& t : inputs) at.push_back(t.data.at(0));
  std::vector<runtime::Tensor> out;
  for (double v : evaluate(g, at, how)) out.push_back(runtime::Tensor::scalar(v));
  return out;
}

std::string format_number(double v, ir::DType t) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  return t == ir::DType::F32 ? fmt::format("{}", static_cast<float>(v)) : fmt::format("{}", v);
}

std::string json_number(double v, ir::DType t) {
  return std::isfinite(v) ? format_number(v, t) : "\"" + format_number(v) + "\"";
}

std::string json_string(const std::string& s) { return nlohmann::json(s).dump(); }

}  // namespace gradc::cli
