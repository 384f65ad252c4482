// tools/gradc/tensor_args.cpp — --at values, --dim bindings, shape unification, label checks.
#include "tools/gradc/tensor_args.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "ir/bind_dims.h"
#include "runtime/init.h"
#include "runtime/npy.h"
#include "runtime/tensor_text.h"
#include "tools/gradc/driver.h"

namespace gradc::cli {

namespace {

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t") + 1);
  return s;
}

// Splits "x=1,y=[1,2],z=3" at top-level commas: commas inside brackets belong to a literal.
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

// A plain number as --at has always read them; false if `t` is not one.
bool parse_number(const std::string& t, double& v) {
  if (t == "nan" || t == "inf" || t == "-inf" || t == "+inf") {
    v = t == "nan" ? NAN : (t[0] == '-' ? -INFINITY : INFINITY);
    return true;
  }
  size_t used = 0;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    return false;
  }
  return !t.empty() && used == t.size();
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

runtime::Tensor read_npy_value(const std::string& name, const std::string& path) {
  runtime::NpyArray a;
  try {
    a = runtime::read_npy(path);
  } catch (const runtime::NpyError& e) {
    throw UsageError(fmt::format("--at: cannot read input '{}' from {}", name, e.what()));
  }
  runtime::Tensor t{a.shape, runtime::npy_to_doubles(a)};
  return t;
}

std::string shape_text(const std::vector<int64_t>& dims) { return ir::to_string(ir::Shape{dims}, nullptr); }

std::string rank_text(int rank) { return rank == 0 ? "a scalar" : fmt::format("rank {}", rank); }

std::string dim_name(const ir::Graph& g, ir::Dim d) {
  const int k = ir::symbol_index(d);
  return k < static_cast<int>(g.dim_names.names.size()) ? g.dim_names.names[k] : fmt::format("?{}", k);
}

}  // namespace

std::string element_name(const std::string& name, const std::vector<int64_t>& shape, size_t flat) {
  if (shape.empty()) return name;
  std::vector<int64_t> idx(shape.size());
  for (size_t ax = shape.size(); ax-- > 0;) {
    const auto d = static_cast<size_t>(shape[ax]);
    idx[ax] = d == 0 ? 0 : static_cast<int64_t>(flat % d);
    flat = d == 0 ? flat : flat / d;
  }
  return fmt::format("{}[{}]", name, fmt::join(idx, ","));
}

runtime::Tensor parse_input_value(const std::string& name, const std::string& text, bool integer) {
  const std::string t = trim(text);
  runtime::Tensor value;
  double number = 0;
  std::error_code ec;
  if (ends_with(t, ".npy")) {
    value = read_npy_value(name, t);
  } else if (!t.empty() && (t[0] == '[' || t[0] == '"')) {
    try {
      value = runtime::parse_tensor_literal(t);
    } catch (const runtime::TensorTextError& e) {
      throw UsageError(fmt::format("--at: bad value for input '{}': {}", name, e.what()));
    }
  } else if (parse_number(t, number)) {
    value = runtime::Tensor::scalar(number);
  } else if (!t.empty() && std::filesystem::is_regular_file(t, ec)) {
    value = read_npy_value(name, t);
  } else {
    throw UsageError(fmt::format(
        "--at: '{}' is not a number (for input '{}'), nor a tensor literal like [1,2;3,4], "
        "nor an .npy file",
        text, name));
  }
  if (integer)
    for (size_t k = 0; k < value.data.size(); ++k) {
      const double v = value.data[k];
      if (!std::isfinite(v) || v != std::floor(v))
        throw UsageError(fmt::format("--at: input '{}' holds integer class labels, but {} = {} is not an integer",
                                     name, element_name(name, value.shape, k), format_number(v)));
    }
  return value;
}

std::vector<runtime::Tensor> parse_inputs(const std::vector<std::string>& at, const ir::Graph& g,
                                          std::vector<bool>* to_draw) {
  const auto names = g.input_names();
  const std::string all = names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
  std::map<std::string, runtime::Tensor> given;
  for (const std::string& arg : at)
    for (const std::string& binding : split_bindings(arg)) {
      auto eq = binding.find('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError(fmt::format("--at: expected NAME=VALUE, got '{}'", binding));
      const std::string name = trim(binding.substr(0, eq));
      const ir::NodeId id = g.find_input(name);
      if (id == ir::kNoNode)
        throw UsageError(fmt::format("--at: '{}' is not an input of the program (inputs: {})", name, all));
      if (given.count(name)) throw UsageError(fmt::format("--at: '{}' is given twice", name));
      given.emplace(name, parse_input_value(name, binding.substr(eq + 1), g[id].integer));
    }
  std::vector<std::string> missing;
  std::vector<runtime::Tensor> values;
  if (to_draw) to_draw->assign(names.size(), false);
  for (size_t i = 0; i < names.size(); ++i) {
    const ir::Node& n = g[g.inputs()[i]];
    if (auto it = given.find(names[i]); it != given.end()) {
      values.push_back(std::move(it->second));
    } else if (to_draw && n.role == ir::Role::Param && !n.init.empty()) {
      values.emplace_back();
      (*to_draw)[i] = true;
    } else {
      missing.push_back(names[i]);
    }
  }
  if (!missing.empty()) {
    const ir::Node& first = g[g.find_input(missing.front())];
    const std::string example =
        first.shape.is_scalar()
            ? fmt::format("--at {}=1", missing.front())
            : fmt::format("--at {0}={0}.npy or --at '{0}=[...]' of shape {1}", missing.front(),
                          ir::to_string(first.shape, &g.dim_names));
    throw UsageError(fmt::format("--at: no value for {} (give e.g. {})", fmt::join(missing, ", "), example));
  }
  return values;
}

std::map<std::string, int64_t> parse_dims(const std::vector<std::string>& dims, const ir::Graph& g) {
  const auto& known = g.dim_names.names;
  std::map<std::string, int64_t> out;
  for (const std::string& arg : dims)
    for (const std::string& binding : split_bindings(arg)) {
      auto eq = binding.find('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError(fmt::format("--dim: expected NAME=SIZE, got '{}'", binding));
      const std::string name = trim(binding.substr(0, eq)), text = trim(binding.substr(eq + 1));
      if (std::find(known.begin(), known.end(), name) == known.end())
        throw UsageError(fmt::format("--dim: '{}' is not a dimension of the program (dimensions: {})", name,
                                     known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
      size_t used = 0;
      long long v = -1;
      try {
        v = std::stoll(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (text.empty() || used != text.size() || v < 0)
        throw UsageError(fmt::format("--dim: the size of {} must be a whole number >= 0, not '{}'", name, text));
      if (!out.emplace(name, v).second) throw UsageError(fmt::format("--dim: '{}' is given twice", name));
    }
  return out;
}

std::map<std::string, int64_t> bind_input_dims(const ir::Graph& g, const std::vector<runtime::Tensor>& values,
                                               std::map<std::string, int64_t> given,
                                               const std::vector<bool>& skip) {
  struct Binding {
    int64_t value;
    std::string from;  // "x" or "--dim"
  };
  std::map<std::string, Binding> bound;
  for (const auto& [name, v] : given) bound.emplace(name, Binding{v, "--dim"});
  for (size_t i = 0; i < g.inputs().size() && i < values.size(); ++i) {
    if (i < skip.size() && skip[i]) continue;
    const ir::Node& n = g[g.inputs()[i]];
    const ir::Shape& declared = n.shape;
    const std::vector<int64_t>& got = values[i].shape;
    const std::string decl = ir::to_string(declared, &g.dim_names);
    if (static_cast<size_t>(declared.rank()) != got.size())
      throw UsageError(fmt::format("--at: input '{}' is declared {} ({}), but its value has shape {} ({})", n.name,
                                   decl, rank_text(declared.rank()), shape_text(got),
                                   rank_text(static_cast<int>(got.size()))));
    for (size_t ax = 0; ax < got.size(); ++ax) {
      const ir::Dim d = declared.dims[ax];
      if (!ir::is_symbolic(d)) {
        if (d != got[ax])
          throw UsageError(fmt::format("--at: input '{}' is declared {}, but its value has shape {}: dimension {} "
                                       "is {}, not {}",
                                       n.name, decl, shape_text(got), ax, d, got[ax]));
        continue;
      }
      const std::string sym = dim_name(g, d);
      auto [it, fresh] = bound.emplace(sym, Binding{got[ax], n.name});
      if (!fresh && it->second.value != got[ax])
        throw UsageError(fmt::format("--at: dimension {} is {} from {} but {} from {} (declared {} {}, given shape {})",
                                     sym, it->second.value, it->second.from, got[ax], n.name, n.name, decl,
                                     shape_text(got)));
    }
  }
  std::map<std::string, int64_t> out;
  for (const auto& [name, b] : bound) out.emplace(name, b.value);
  return out;
}

ir::Graph bind_dims_or_report(const ir::Graph& g, const std::map<std::string, int64_t>& dims) {
  try {
    return ir::bind_dims(g, dims);
  } catch (const ir::ShapeError& e) {
    throw UsageError(e.what());
  }
}

void check_labels(const ir::Graph& g, const std::vector<runtime::Tensor>& values) {
  for (ir::NodeId id = 0; id < g.size(); ++id) {
    const ir::Node& n = g[id];
    if (n.op != ir::Op::OneHot || n.inputs.empty() || n.attr.empty()) continue;
    ir::NodeId src = n.inputs[0];
    while (g[src].inputs.size() == 1 && (g[src].op == ir::Op::Reshape || g[src].op == ir::Op::Transpose ||
                                         g[src].op == ir::Op::Broadcast || g[src].op == ir::Op::StopGrad))
      src = g[src].inputs[0];
    if (g[src].op != ir::Op::Input) continue;
    const auto pos = std::find(g.inputs().begin(), g.inputs().end(), src) - g.inputs().begin();
    if (static_cast<size_t>(pos) >= values.size()) continue;
    const runtime::Tensor& t = values[static_cast<size_t>(pos)];
    const int64_t classes = n.attr[0];
    for (size_t k = 0; k < t.data.size(); ++k) {
      const double v = t.data[k];
      if (!(v >= 0 && v < static_cast<double>(classes) && v == std::floor(v)))
        throw UsageError(fmt::format(
            "--at: label {} = {} is out of range: {} needs class labels in [0, {}) ({} classes)",
            element_name(g[src].name, t.shape, k), format_number(v),
            g.group(id).empty() ? std::string("one_hot") : ir::group_name(g.group(id)),
            classes, classes));
    }
  }
}

bool has_only_scalar_inputs(const ir::Graph& g) {
  for (ir::NodeId id : g.inputs())
    if (!g[id].shape.is_scalar()) return false;
  return true;
}

bool is_scalar_graph(const ir::Graph& g) {
  for (const ir::Node& n : g.nodes())
    if (!n.shape.is_scalar()) return false;
  return true;
}

void draw_params(const ir::Graph& bound, const std::vector<bool>& to_draw, uint64_t seed,
                 std::vector<runtime::Tensor>& values) {
  for (size_t i = 0; i < to_draw.size(); ++i) {
    if (!to_draw[i]) continue;
    const ir::NodeId id = bound.inputs()[i];
    const ir::Node& n = bound[id];
    values[i] = runtime::draw_initial(n.init, n.shape.dims, runtime::param_fans(bound, id), seed, n.name);
  }
}

BoundProgram bind_program(ir::Graph parsed, const std::vector<std::string>& at,
                          const std::vector<std::string>& dims, uint64_t seed) {
  BoundProgram p;
  p.dtype = graph_dtype(parsed);
  std::vector<bool> to_draw;
  p.inputs = parse_inputs(at, parsed, &to_draw);
  const auto given = parse_dims(dims, parsed);
  p.bound = bind_dims_or_report(parsed, bind_input_dims(parsed, p.inputs, given, to_draw));
  draw_params(p.bound, to_draw, seed, p.inputs);
  check_labels(p.bound, p.inputs);
  p.parsed = std::move(parsed);
  return p;
}

}  // namespace gradc::cli
