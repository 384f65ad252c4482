// ir/printer.cpp — textual IR printer (the spelling of names and numbers: ir/text_syntax.h).
#include "ir/printer.h"

#include <fmt/format.h>

#include "ir/text_syntax.h"

namespace gradc::ir {

ValueNames::ValueNames(const Graph& g) : names_(g.size()) {
  int next = 0;
  for (NodeId id = 0; id < g.size(); ++id)
    names_[id] = g[id].op == Op::Input ? "%" + text::name_text(g[id].name) : fmt::format("%{}", next++);
}

namespace {

// A header longer than this puts one input per line.
constexpr size_t kHeaderWidth = 100;

// For each node, the nodes whose adjoint it holds: inputs first, then in id order,
// as the text lists them, so that where inputs sit in the arena does not show.
using AdjointOf = std::vector<std::vector<NodeId>>;

AdjointOf adjoint_of(const Graph& g) {
  AdjointOf of(g.size());
  auto link = [&](NodeId id) {
    if (g.adjoint(id) != kNoNode && g.adjoint(id) < g.size()) of[g.adjoint(id)].push_back(id);
  };
  for (NodeId id : g.inputs()) link(id);
  for (NodeId id = 0; id < g.size(); ++id)
    if (g[id].op != Op::Input) link(id);
  return of;
}

// Tensor ops' attributes, as " {axes=[1]}"; a count const's dims may be symbols.
std::string attributes(const Graph& g, const Node& n) {
  if (n.attr.empty()) return "";
  const std::string list = n.op == Op::Const ? text::dims_text(n.attr, g.dim_names)
                                             : fmt::format("[{}]", fmt::join(n.attr, ","));
  return fmt::format(" {{{}={}}}", text::attr_key(n.op), list);
}

// Notes after '#': the user's name, a role other than the usual one, which values
// this node is the adjoint of, and the call it belongs to. Inputs say their name
// and role in the header, so only the last two.
std::string notes(const Graph& g, NodeId id, const AdjointOf& of, const ValueNames& names) {
  std::vector<std::string> parts;
  const Node& n = g[id];
  const bool input = n.op == Op::Input;
  if (!input && !n.name.empty()) parts.push_back(text::name_text(n.name));
  if (!input && n.role != text::default_role(n.op)) parts.emplace_back(text::role_word(n.role));
  std::vector<std::string> refs;
  for (NodeId fwd : of[id]) refs.push_back(names[fwd]);
  if (!refs.empty()) parts.push_back(fmt::format("adjoint of {}", fmt::join(refs, ", ")));
  if (!g.group(id).empty()) parts.push_back("in " + text::name_text(g.group(id)));
  return parts.empty() ? "" : fmt::format("  # {}", fmt::join(parts, ", "));
}

// "param %W: f32[784,10] = he()", "%y: f32[B] : int".
std::string input_decl(const Graph& g, NodeId id, const ValueNames& names) {
  const Node& n = g[id];
  std::string s = n.role == Role::Param ? "param " : "";
  s += names[id] + ": " + text::type_text(n, g.dim_names);
  if (n.integer) s += " : int";
  if (!n.init.empty()) s += " = " + text::init_text(n.init);
  return s;
}

// "func @f<B>(%x: ..., %y: ...) {" on one line when it is short and no input has
// notes; else one input per line, each with a trailing comma and its notes.
std::string header(const Graph& g, std::string_view func_name, const AdjointOf& of,
                   const ValueNames& names) {
  std::string open = "func @" + text::name_text(func_name);
  if (!g.dim_names.names.empty()) {
    std::vector<std::string> dims;
    for (const std::string& d : g.dim_names.names) dims.push_back(text::name_text(d));
    open += fmt::format("<{}>", fmt::join(dims, ", "));
  }
  std::vector<std::string> decls, decl_notes;
  bool any_notes = false;
  for (NodeId id : g.inputs()) {
    decls.push_back(input_decl(g, id, names));
    decl_notes.push_back(notes(g, id, of, names));
    any_notes = any_notes || !decl_notes.back().empty();
  }
  std::string one_line = fmt::format("{}({}) {{\n", open, fmt::join(decls, ", "));
  if (!any_notes && one_line.size() <= kHeaderWidth + 1) return one_line;
  std::string out = open + "(\n";
  for (size_t i = 0; i < decls.size(); ++i) out += fmt::format("    {},{}\n", decls[i], decl_notes[i]);
  return out + ") {\n";
}

std::string node_line(const Graph& g, NodeId id, const AdjointOf& of, const ValueNames& names) {
  const Node& n = g[id];
  std::string operands;
  if (n.op == Op::Const) operands = " " + text::number_text(n.value);
  for (size_t i = 0; i < n.inputs.size(); ++i) operands += (i ? ", " : " ") + names[n.inputs[i]];
  return fmt::format("  {} = {}{}{} : {}{}\n", names[id], mnemonic(n.op), operands, attributes(g, n),
                     text::type_text(n, g.dim_names), notes(g, id, of, names));
}

}  // namespace

std::string print(const Graph& g, std::string_view func_name) {
  const ValueNames names(g);
  const AdjointOf of = adjoint_of(g);
  std::string out = header(g, func_name, of, names);
  for (NodeId id = 0; id < g.size(); ++id)
    if (g[id].op != Op::Input) out += node_line(g, id, of, names);
  std::vector<std::string> rets;
  for (const Output& o : g.outputs) rets.push_back(fmt::format("{} = {}", text::name_text(o.name), names[o.id]));
  out += rets.empty() ? "  return\n" : fmt::format("  return {}\n", fmt::join(rets, ", "));
  // In-place pairs (a training step's updates), as comments: the text reader ignores them.
  for (const OutputAlias& a : g.memory.output_aliases)
    if (a.output < g.outputs.size() && a.input < g.inputs().size())
      out += fmt::format("  // {} is written over {}\n", text::name_text(g.outputs[a.output].name),
                         names[g.inputs()[a.input]]);
  return out + "}\n";
}

}  // namespace gradc::ir
