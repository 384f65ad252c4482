// ir/printer.cpp — textual IR printer.
#include "ir/printer.h"

#include <fmt/format.h>

namespace gradc::ir {

ValueNames::ValueNames(const Graph& g) : names_(g.size()) {
  int next = 0;
  for (NodeId id = 0; id < g.size(); ++id)
    names_[id] = g[id].op == Op::Input ? "%" + g[id].name : fmt::format("%{}", next++);
}

namespace {

// Tensor ops' attributes, as "{axes=[1]}".
std::string attributes(const Graph& g, const Node& n) {
  if (n.attr.empty()) return "";
  if (n.op == Op::Const) return fmt::format(" {{count={}}}", to_string(Shape{n.attr}, &g.dim_names));
  const char* what = n.op == Op::Transpose ? "perm" : n.op == Op::OneHot ? "classes" : "axes";
  return fmt::format(" {{{}=[{}]}}", what, fmt::join(n.attr, ","));
}

// Notes after '#': the user's name for the value, and what backward nodes are for.
std::string notes(const Graph& g, NodeId id, const std::vector<std::vector<NodeId>>& adjoint_of,
                  const ValueNames& names) {
  std::vector<std::string> parts;
  const Node& n = g[id];
  if (!n.name.empty() && n.op != Op::Input) parts.push_back(n.name);
  std::vector<std::string> of;
  for (NodeId fwd : adjoint_of[id]) of.push_back(names[fwd]);
  if (!of.empty()) parts.push_back(fmt::format("adjoint of {}", fmt::join(of, ", ")));
  else if (n.role == Role::Backward) parts.push_back("backward");
  return parts.empty() ? "" : "  # " + fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

std::string print(const Graph& g, std::string_view func_name) {
  ValueNames names(g);
  std::vector<std::vector<NodeId>> adjoint_of(g.size());
  for (NodeId id = 0; id < g.size(); ++id)
    if (g[id].adjoint != kNoNode && g[id].adjoint < g.size()) adjoint_of[g[id].adjoint].push_back(id);

  std::vector<std::string> params;
  for (NodeId id : g.inputs()) params.push_back(names[id] + ": " + g.type_string(id));
  std::string out = fmt::format("func @{}({}) {{\n", func_name, fmt::join(params, ", "));
  for (NodeId id = 0; id < g.size(); ++id) {
    const Node& n = g[id];
    if (n.op == Op::Input) continue;
    std::string operands;
    if (n.op == Op::Const) operands = fmt::format(" {}", n.value);
    for (size_t i = 0; i < n.inputs.size(); ++i)
      operands += (i ? ", " : " ") + names[n.inputs[i]];
    out += fmt::format("  {} = {}{}{} : {}{}\n", names[id], mnemonic(n.op), operands, attributes(g, n),
                       g.type_string(id), notes(g, id, adjoint_of, names));
  }
  std::vector<std::string> rets;
  for (const Output& o : g.outputs) rets.push_back(fmt::format("{} = {}", o.name, names[o.id]));
  out += fmt::format("  return {}\n}}\n", fmt::join(rets, ", "));
  return out;
}

}  // namespace gradc::ir
