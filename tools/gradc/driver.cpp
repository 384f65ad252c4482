// tools/gradc/driver.cpp — the pieces every command shares.
#include "tools/gradc/driver.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "codegen/codegen.h"
#include "passes/autodiff.h"
#include "runtime/interpreter.h"

namespace gradc::cli {

namespace {
constexpr size_t kMaxSourceBytes = 16u << 20;  // a program larger than 16 MiB is a mistake

// Splits "x=1,y=[1,2],z=3" at top-level commas (brackets may hold commas later).
std::vector<std::string> split_bindings(const std::string& s) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

double parse_value(const std::string& name, const std::string& text) {
  std::string t = text;
  t.erase(0, t.find_first_not_of(" \t"));
  t.erase(t.find_last_not_of(" \t") + 1);
  if (t == "nan" || t == "inf" || t == "-inf" || t == "+inf")
    return t == "nan" ? NAN : (t[0] == '-' ? -INFINITY : INFINITY);
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (t.empty() || used != t.size())
    throw UsageError(fmt::format("--at: '{}' is not a number (for input '{}')", text, name));
  return v;
}
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
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxSourceBytes)
    throw UsageError(fmt::format("'{}' is larger than 16 MiB; is it really a gradc program?", args.file));
  return frontend::SourceFile(args.file, text.str());
}

ir::DType parse_dtype(const std::string& name) {
  if (name == "f64") return ir::DType::F64;
  if (name == "f32") return ir::DType::F32;
  throw UsageError(fmt::format("--dtype must be f32 or f64, not '{}'", name));
}

std::vector<double> parse_at(const std::vector<std::string>& at, const ir::Graph& g) {
  const auto names = g.input_names();
  const std::string all = names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
  std::map<std::string, double> given;
  for (const std::string& arg : at)
    for (const std::string& binding : split_bindings(arg)) {
      auto eq = binding.find('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError(fmt::format("--at: expected NAME=VALUE, got '{}'", binding));
      std::string name = binding.substr(0, eq);
      name.erase(0, name.find_first_not_of(" \t"));
      name.erase(name.find_last_not_of(" \t") + 1);
      if (g.find_input(name) == ir::kNoNode)
        throw UsageError(fmt::format("--at: '{}' is not an input of the program (inputs: {})", name, all));
      if (!given.emplace(name, parse_value(name, binding.substr(eq + 1))).second)
        throw UsageError(fmt::format("--at: '{}' is given twice", name));
    }
  std::vector<std::string> missing;
  std::vector<double> values;
  for (const std::string& name : names) {
    if (auto it = given.find(name); it != given.end()) values.push_back(it->second);
    else missing.push_back(name);
  }
  if (!missing.empty())
    throw UsageError(fmt::format("--at: no value for {} (give e.g. --at {}=1)",
                                 fmt::join(missing, ", "), missing.front()));
  return values;
}

ir::Graph optimise(const ir::Graph& g, const passes::PassManager::AfterPass& hook) {
  passes::PassManager pm(passes::default_pipeline());
  if (hook) pm.after_each(hook);
  passes::PassContext ctx;
  return pm.run(g, ctx);
}

ir::Graph differentiate(const ir::Graph& parsed, const std::vector<std::string>& wrt, int order,
                        const passes::PassManager::AfterPass& hook) {
  std::set<std::string> seen;
  for (const std::string& name : wrt)
    if (!seen.insert(name).second) throw UsageError(fmt::format("--wrt: '{}' is given twice", name));
  for (const std::string& name : wrt)
    if (parsed.find_input(name) == ir::kNoNode)
      throw UsageError(fmt::format("--wrt: '{}' is not an input of the program (inputs: {})", name,
                                   fmt::join(parsed.input_names(), ", ")));
  passes::PassContext ctx;
  ctx.wrt = wrt;
  ir::Graph g = passes::run_autodiff(parsed, ctx);
  if (order >= 2) {
    // ∂²f/∂xi∂xj: differentiate each first-order gradient again.
    const std::vector<std::string> names = wrt.empty() ? parsed.input_names() : wrt;
    std::vector<ir::NodeId> ids;
    for (const auto& n : names) ids.push_back(g.find_input(n));
    const std::string f = g.outputs.front().name;
    for (size_t i = 0; i < names.size(); ++i) {
      auto second = passes::append_gradients(g, g.outputs[1 + i].id, ids);
      for (size_t j = 0; j < names.size(); ++j)
        g.outputs.push_back({fmt::format("d2{}/d{}d{}", f, names[i], names[j]), second[j]});
    }
  }
  if (hook) hook("autodiff", g, true);
  return optimise(g, hook);
}

std::vector<double> evaluate(const ir::Graph& g, const std::vector<double>& at, bool interpret) {
  if (interpret) return runtime::interpret(g, at);
  std::vector<double> out(g.outputs.size());
  if (g.outputs.empty()) return out;
  if (g.nodes().front().dtype == ir::DType::F32) {
    codegen::CompiledFunction fn = codegen::compile(g, {.dtype = ir::DType::F32});
    std::vector<float> in32(at.begin(), at.end()), out32(out.size());
    fn.call(in32.data(), out32.data());
    return {out32.begin(), out32.end()};
  }
  codegen::CompiledFunction fn = codegen::compile(g);
  fn.call(at.data(), out.data());
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
