// ir/dot.cpp — Graphviz pictures of a graph, drawn like a worked homework answer.
//
// Every node is one box of the textbook computation graph: inputs x, y, z on
// the left, intermediate forward nodes h₁, h₂, ... ("h₃ = h₂ × z"), the output
// f with a double border, and, after autodiff, the backward pass in dashed
// orange boxes named ∂f/∂v. With values each node also shows "= 40.1711" and,
// where autodiff set its adjoint, "∂f/∂h₃ = 2". Nodes are n<id>, so the text is
// deterministic; one loop per pass over the arena, so big graphs are cheap.
#include "ir/dot.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>

namespace gradc::ir {

namespace {

// Up to 6 significant digits, shortest form; nan/inf spelt out, no "-0".
std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";
  return fmt::format("{:.6g}", v);
}

// Text inside an HTML-like label: Graphviz only needs &, <, > and quotes escaped.
std::string html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += "<br/>"; break;
      default: out += c;
    }
  }
  return out;
}

// The formula a node computes, in the reader's notation ("h₂ × z", "ln(x)").
std::string formula(Op op, const std::vector<std::string>& a) {
  auto call = [&](std::string_view f) { return fmt::format("{}({})", f, a[0]); };
  switch (op) {
    case Op::Input:
    case Op::Const: return {};
    case Op::Add: return a[0] + " + " + a[1];
    case Op::Sub: return a[0] + " − " + a[1];
    case Op::Mul: return a[0] + " × " + a[1];
    case Op::Div: return a[0] + " ÷ " + a[1];
    case Op::Pow: return a[0] + " ^ " + a[1];
    case Op::Max: return fmt::format("max({}, {})", a[0], a[1]);
    case Op::Min: return fmt::format("min({}, {})", a[0], a[1]);
    case Op::Neg: return "−" + a[0];
    case Op::Log: return call("ln");
    case Op::Log10: return call("log₁₀");
    case Op::Log2: return call("log₂");
    case Op::Log1p: return call("log1p");
    case Op::Expm1: return call("expm1");
    case Op::Abs: return "|" + a[0] + "|";
    case Op::Ge: return a[0] + " ≥ " + a[1];
    case Op::Select: return fmt::format("{} ? {} : {}", a[0], a[1], a[2]);
    case Op::Exp: case Op::Sqrt: case Op::Sin: case Op::Cos: case Op::Tan: case Op::Tanh:
    case Op::Erf: case Op::Sigmoid: case Op::Relu: case Op::Softplus: case Op::Step: case Op::Sign:
    case Op::StopGrad: case Op::Broadcast: case Op::Reshape: case Op::Sum: case Op::OneHot:
      return call(mnemonic(op));
    case Op::SoftmaxXent: return fmt::format("cross_entropy({}, {})", a[0], a[1]);
    case Op::ReduceMax: return call("max");
    case Op::Transpose: return a[0] + "ᵀ";
    case Op::MatMul: return a[0] + " @ " + a[1];
  }
  return std::string(mnemonic(op));
}

// Edge labels for operands whose position matters; "" where it does not.
std::string_view operand_role(Op op, size_t i) {
  static constexpr std::string_view kSub[] = {"lhs", "rhs"}, kDiv[] = {"num", "den"},
                                    kPow[] = {"base", "power"}, kSel[] = {"cond", "then", "else"};
  switch (op) {
    case Op::Sub: case Op::Ge: return i < 2 ? kSub[i] : "";
    case Op::Div: return i < 2 ? kDiv[i] : "";
    case Op::Pow: return i < 2 ? kPow[i] : "";
    case Op::Select: return i < 3 ? kSel[i] : "";
    case Op::Input: case Op::Const: case Op::Add: case Op::Mul: case Op::Max: case Op::Min: case Op::Neg:
    case Op::Exp: case Op::Log: case Op::Log10: case Op::Log2: case Op::Log1p: case Op::Expm1: case Op::Sqrt: case Op::Sin: case Op::Cos:
    case Op::Tan: case Op::Tanh: case Op::Erf: case Op::Sigmoid: case Op::Relu: case Op::Abs:
    case Op::Softplus: case Op::Step: case Op::Sign: case Op::StopGrad: case Op::Broadcast: case Op::Reshape:
    case Op::Transpose: case Op::Sum: case Op::ReduceMax: case Op::MatMul: case Op::OneHot:
    case Op::SoftmaxXent: return "";  // one operand, or operands that commute
  }
  return "";
}

// A constant as drawn: its number, or for an element count over dims not bound yet (the
// batch size a mean divides by) the dims themselves, "B", where the number would read nan.
std::string constant_text(const Graph& g, const Node& n) {
  if (n.attr.empty() || !std::isnan(n.value)) return number(n.value);
  std::string dims = to_string(Shape{n.attr}, &g.dim_names);  // "[B,N]"
  dims = dims.substr(1, dims.size() - 2);
  for (size_t at; (at = dims.find(',')) != std::string::npos;) dims.replace(at, 1, "·");
  return dims;
}

// What the picture calls each node, and which output (if any) it is.
struct Naming {
  std::vector<std::string> name;    // x, h₁, f, ∂f/∂h₂, δ₁, or a constant's value
  std::vector<std::string> output;  // the first output's name, or ""
  std::string f;                    // the differentiated output, for "∂f/∂v"
};

// Automatic names count in subscript digits (h₁, h₂, δ₁). The language's names are
// ASCII ([A-Za-z_][A-Za-z0-9_]*), so no program can spell one: an automatic name never
// takes a name the user chose anywhere in the program (h1, say, even where a pass has
// dropped that node), and it does not shift when the user renames something.
std::string subscript(size_t k) {
  static constexpr std::string_view kDigits[] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
  std::string out;
  for (char c : std::to_string(k)) out += kDigits[c - '0'];
  return out;
}

// Which forward node a backward node's "∂f/∂v" names when several share one adjoint
// (f, h₁ and h₃ all have ∂f/∂f = 1): one the reader sees and the user named, else one
// the reader sees, else the last. A call's inner nodes, hidden in its box, come last,
// so softmax's max-shift never lends its name to ∂J/∂z2.
int adjoint_rank(const Graph& g, NodeId id, const Naming& nm, const std::vector<NodeId>& drawn_as) {
  if (drawn_as[id] != id) return 0;
  return !g[id].name.empty() || !nm.output[id].empty() ? 2 : 1;
}

// A hidden inner node of a collapsed call: the call's box name and the op ("y_hat.exp"),
// numbered where the call holds that op more than once ("y_hat.sum₂").
void name_hidden(const Graph& g, const std::vector<NodeId>& drawn_as, Naming& nm) {
  std::map<std::pair<NodeId, Op>, size_t> total, seen;
  for (NodeId id = 0; id < g.size(); ++id)
    if (drawn_as[id] != id && nm.name[id].empty()) ++total[{drawn_as[id], g[id].op}];
  for (NodeId id = 0; id < g.size(); ++id) {
    if (drawn_as[id] == id || !nm.name[id].empty()) continue;
    const std::pair<NodeId, Op> key{drawn_as[id], g[id].op};
    nm.name[id] = nm.name[drawn_as[id]] + "." + std::string(mnemonic(g[id].op)) +
                  (total[key] > 1 ? subscript(++seen[key]) : "");
  }
}

// A name the program assigns more than once (a = x; a = a*a + 1) names several boxes: the
// last keeps it, as the program's later statements read it; earlier ones count up in
// subscripts (a₁ = x, a = a₁ × a₁ + 1), so each box and each ∂f/∂a is one node's.
std::vector<std::string> earlier_bindings(const Graph& g, const std::vector<NodeId>& drawn_as) {
  std::vector<std::string> suffix(g.size());
  std::map<std::string_view, std::vector<NodeId>> bound;
  for (NodeId id = 0; id < g.size(); ++id)
    if (g[id].role == Role::Forward && !g[id].name.empty() && drawn_as[id] == id) bound[g[id].name].push_back(id);
  for (const auto& [name, ids] : bound)
    for (size_t k = 0; k + 1 < ids.size(); ++k) suffix[ids[k]] = subscript(k + 1);
  return suffix;
}

// drawn_as: the node whose box draws each node (itself, or its collapsed call's box).
Naming name_nodes(const Graph& g, const std::vector<NodeId>& drawn_as) {
  Naming nm{std::vector<std::string>(g.size()), std::vector<std::string>(g.size()),
            g.outputs.empty() || g.outputs[0].name.empty() ? "f" : g.outputs[0].name};
  for (auto it = g.outputs.rbegin(); it != g.outputs.rend(); ++it)
    if (it->id < g.size()) nm.output[it->id] = it->name;
  std::vector<bool> holds_adjoint(g.size());
  for (NodeId id = 0; id < g.size(); ++id)
    if (g.adjoint(id) < g.size() && g[id].role != Role::Backward) holds_adjoint[g.adjoint(id)] = true;
  const std::vector<std::string> earlier = earlier_bindings(g, drawn_as);
  size_t h = 0, d = 0;
  for (NodeId id = 0; id < g.size(); ++id) {  // forward names first: adjoints refer to them
    const Node& n = g[id];
    // Forward nodes and inputs keep their forward names even when simplification
    // made them some node's adjoint too (∂f/∂z = exp(y) is still h₂).
    if (n.role == Role::Backward || (n.role == Role::Const && holds_adjoint[id])) continue;
    if (n.op == Op::Const) nm.name[id] = constant_text(g, n);
    else if (!n.name.empty()) nm.name[id] = n.name + earlier[id];
    else if (drawn_as[id] != id) continue;  // inside a collapsed call: named after its box
    else if (!nm.output[id].empty() && nm.output[id] == nm.f) nm.name[id] = nm.f;  // not df/dz
    else nm.name[id] = "h" + subscript(++h);
  }
  name_hidden(g, drawn_as, nm);
  std::vector<NodeId> adjoint_of(g.size(), kNoNode);
  for (NodeId id = 0; id < g.size(); ++id) {
    const NodeId a = g.adjoint(id);
    if (a >= g.size() || g[id].role == Role::Backward) continue;
    if (adjoint_of[a] == kNoNode ||
        adjoint_rank(g, id, nm, drawn_as) >= adjoint_rank(g, adjoint_of[a], nm, drawn_as))
      adjoint_of[a] = id;
  }
  for (NodeId id = 0; id < g.size(); ++id) {
    if (!nm.name[id].empty()) continue;
    if (!g[id].name.empty()) nm.name[id] = g[id].name;
    else if (adjoint_of[id] != kNoNode) nm.name[id] = "∂" + nm.f + "/∂" + nm.name[adjoint_of[id]];
    else if (!nm.output[id].empty()) nm.name[id] = nm.output[id];
    else nm.name[id] = "δ" + subscript(++d);
  }
  return nm;
}

bool has_value(const DotOptions& opts, NodeId id) {
  if (opts.tensor_values) return id < opts.tensor_values->size() && !(*opts.tensor_values)[id].empty();
  return opts.values != nullptr && id < opts.values->size();
}

// A scalar as a number; a tensor as its first few elements, "[0.1, 2, 3, … 784 values]".
std::string value_text(const DotOptions& opts, NodeId id) {
  if (!opts.tensor_values) return number((*opts.values)[id]);
  const std::vector<double>& v = (*opts.tensor_values)[id];
  if (v.size() == 1) return number(v[0]);
  constexpr size_t kShown = 4;
  std::vector<std::string> parts;
  for (size_t i = 0; i < std::min(v.size(), kShown); ++i) parts.push_back(number(v[i]));
  if (v.size() > kShown) parts.push_back(fmt::format("… {} values", v.size()));
  return fmt::format("[{}]", fmt::join(parts, ", "));
}



// "df/dx" names the node "∂f/∂x" already: no need to repeat it.
bool same_name(std::string_view output, std::string_view name) {
  constexpr std::string_view kPartial = "∂";
  std::string plain(name);
  for (size_t at; (at = plain.find(kPartial)) != std::string::npos;)
    plain.replace(at, kPartial.size(), "d");
  return output == name || output == plain;
}

// The rows of a node's label, already HTML-escaped.
std::vector<std::string> label_rows(const Graph& g, NodeId id, const Naming& nm,
                                    const DotOptions& opts) {
  const Node& n = g[id];
  std::vector<std::string> rows;
  if (n.op == Op::Const) {
    const std::string value = html(constant_text(g, n));
    rows.push_back(nm.name[id] != constant_text(g, n) ? html(nm.name[id]) + " = " + value : value);
  } else if (n.op == Op::Input) {
    rows.push_back("<b>" + html(nm.name[id]) + "</b>");
  } else {
    std::vector<std::string> args;
    for (NodeId in : n.inputs) args.push_back(nm.name[in]);
    rows.push_back("<b>" + html(nm.name[id]) + "</b> = " + html(formula(n.op, args)));
  }
  if (!n.shape.is_scalar() || n.role == Role::Param)
    rows.push_back(fmt::format("<font point-size=\"10\" color=\"#666666\">{}{}{}</font>",
                               n.role == Role::Param ? "param " : n.integer ? "labels " : "",
                               html(g.type_string(id)),
                               n.init.empty() ? "" : " = " + html(n.init)));
  if (n.op != Op::Const && has_value(opts, id)) rows.push_back("= " + html(value_text(opts, id)));
  if (g.adjoint(id) != kNoNode && has_value(opts, g.adjoint(id)) && n.role != Role::Backward)
    rows.push_back(fmt::format("<font color=\"#b03a2e\">∂{}/∂{} = {}</font>", html(nm.f),
                               html(nm.name[id]), html(value_text(opts, g.adjoint(id)))));
  if (!nm.output[id].empty() && !same_name(nm.output[id], nm.name[id]))
    rows.push_back(fmt::format("<i>output {}</i>", html(nm.output[id])));
  return rows;
}

std::string html_label(const std::vector<std::string>& rows) {
  std::string out = "<<table border=\"0\" cellborder=\"0\" cellspacing=\"0\" cellpadding=\"1\">";
  for (const std::string& r : rows) out += "<tr><td>" + r + "</td></tr>";
  return out + "</table>>";
}

// Shape and colour by role: the legend a reader learns once.
std::string_view style_of(const Node& n) {
  switch (n.role) {
    case Role::Input:
      return R"(shape=ellipse, style=filled, fillcolor="#d6eaf8", color="#2874a6")";
    case Role::Param:
      return R"(shape=ellipse, style=filled, fillcolor="#e8daef", color="#6c3483")";
    case Role::Const:
      return R"(shape=box, style=filled, fillcolor="#f4f4f4", color="#aaaaaa", fontsize=10, )"
             R"(margin="0.06,0.02", height=0.3, width=0.3)";
    case Role::Forward:
      return R"(shape=box, style="rounded,filled", fillcolor="#fef9e7", color="#7d6608")";
    case Role::Backward:
      return R"(shape=box, style="rounded,dashed,filled", fillcolor="#fde2cf", color="#d35400")";
  }
  return "";
}

// Outputs get a double border; forward ones a green fill, backward ones keep their orange.
std::string_view output_style(const Node& n) {
  return n.role == Role::Backward ? ", peripheries=2" : R"(, peripheries=2, fillcolor="#d5f5e3")";
}

void emit_node(std::string& out, const Graph& g, NodeId id, const Naming& nm,
               const DotOptions& opts, std::string_view indent) {
  const bool is_output = !nm.output[id].empty();
  fmt::format_to(std::back_inserter(out), "{}n{} [{}{}, label={}];\n", indent, id,
                 style_of(g[id]), is_output ? output_style(g[id]) : "",
                 html_label(label_rows(g, id, nm, opts)));
}

// Backward nodes, and the constants only they use (the seed ∂f/∂f = 1, say).
std::vector<bool> backward_side(const Graph& g) {
  std::vector<bool> side(g.size()), forward_use(g.size()), any_use(g.size());
  for (NodeId id = 0; id < g.size(); ++id) {
    side[id] = g[id].role == Role::Backward;
    for (NodeId in : g[id].inputs) {
      any_use[in] = true;
      if (!side[id]) forward_use[in] = true;
    }
  }
  // Unused constants after the first backward node are gradients that are zero.
  const auto first = static_cast<NodeId>(std::find(side.begin(), side.end(), true) - side.begin());
  for (NodeId id = 0; id < g.size(); ++id)
    if (g[id].role == Role::Const && !forward_use[id] && (any_use[id] || id > first))
      side[id] = true;
  return side;
}

// Edges run operand → user, one per operand: x + x gets two arrows (Graphviz draws
// distinct statements as parallel edges). A collapsed call's box gets one arrow per
// node flowing in (`into_boxes` remembers them), however many inner nodes read it.
// Backward edges are dashed; those from the forward side do not rank the picture, so
// the backward pass sits beneath the forward one.
struct Edges {
  std::vector<NodeId> drawn_as;                       // the box drawing each node
  std::vector<bool> boxed;                            // drawn inside a collapsed call's box
  std::set<std::pair<NodeId, NodeId>> into_boxes{};   // (operand, box) arrows drawn so far
};

void emit_edges(std::string& out, const Graph& g, NodeId id, const std::vector<bool>& backward, Edges& e) {
  const Node& n = g[id];
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const NodeId from = e.drawn_as[n.inputs[i]], to = e.drawn_as[id];
    if (from == to) continue;  // inside one box
    if (e.boxed[id] && !e.into_boxes.insert({from, to}).second) continue;
    std::vector<std::string> attrs;
    if (backward[id]) attrs.emplace_back(R"(style=dashed, color="#d35400")");
    if (backward[id] && !backward[n.inputs[i]]) attrs.emplace_back("constraint=false");
    std::string label(operand_role(n.op, i));
    if (const Node& x = g[n.inputs[i]]; !x.shape.is_scalar())
      label += (label.empty() ? "" : " ") + to_string(x.shape, &g.dim_names);
    if (!label.empty()) attrs.push_back(fmt::format("label=\"{}\"", label));
    fmt::format_to(std::back_inserter(out), "  n{} -> n{}", from, to);
    if (!attrs.empty()) fmt::format_to(std::back_inserter(out), " [{}]", fmt::join(attrs, ", "));
    out += ";\n";
  }
}

void emit_header(std::string& out, const DotOptions& opts) {
  out += "digraph gradc {\n";
  out += "  graph [rankdir=LR, fontname=\"Helvetica\", nodesep=0.35, ranksep=0.45";
  if (!opts.title.empty())
    out += ", labelloc=t, fontsize=16, label=<<b>" + html(opts.title) + "</b>>";
  out += "];\n";
  out += "  node [fontname=\"Helvetica\", fontsize=12, penwidth=1.2];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9, fontcolor=\"#666666\", "
         "color=\"#555555\", arrowsize=0.7];\n";
}

// Inputs line up on the left in calling order (x above y above z), as drawn in class.
void emit_input_column(std::string& out, const Graph& g) {
  if (g.inputs().empty()) return;
  out += "  { rank=min;";
  for (NodeId id : g.inputs()) fmt::format_to(std::back_inserter(out), " n{};", id);
  out += " }\n";
  for (size_t i = 1; i < g.inputs().size(); ++i)
    fmt::format_to(std::back_inserter(out), "  n{} -> n{} [style=invis];\n", g.inputs()[i - 1],
                   g.inputs()[i]);
}


// Forward nodes of each composite call ("softmax#3"), in id order.
std::map<std::string, std::vector<NodeId>> group_members(const Graph& g, const std::vector<bool>& backward) {
  std::map<std::string, std::vector<NodeId>> groups;
  for (NodeId id = 0; id < g.size(); ++id)
    if (!backward[id] && !g.group(id).empty() && g[id].op != Op::Input) groups[g.group(id)].push_back(id);
  return groups;
}

// A collapsed call is one box: the node computing its result, labelled with the
// call's name, its type and value.
// A def's call reads as the user wrote it ("f = g(x, x)", Graph::call_texts). A built-in's,
// "y_hat = softmax(z2)": the call's operands are the nodes flowing in from outside,
// spelt out when there is one; with several, their order in the call is not recorded,
// so the arrows (with their shapes) show them instead.
std::string call_text(const Graph& g, const std::vector<NodeId>& members, const std::vector<NodeId>& drawn_as,
                      const Naming& nm) {
  const NodeId box = members.back();
  if (auto it = g.call_texts.find(g.group(box)); it != g.call_texts.end()) return it->second;  // a def, as written
  std::vector<NodeId> from;
  for (NodeId id : members)
    for (NodeId in : g[id].inputs)
      if (drawn_as[in] != box && std::find(from.begin(), from.end(), drawn_as[in]) == from.end())
        from.push_back(drawn_as[in]);
  const std::string call = group_name(g.group(box));
  return from.size() == 1 ? fmt::format("{}({})", call, nm.name[from[0]]) : call + "(…)";
}

void emit_group_box(std::string& out, const Graph& g, const std::vector<NodeId>& members,
                    const std::vector<NodeId>& drawn_as, const Naming& nm, const DotOptions& opts) {
  const NodeId last = members.back();
  std::vector<std::string> rows = {"<b>" + html(nm.name[last]) + "</b> = " + html(call_text(g, members, drawn_as, nm))};
  if (!g[last].shape.is_scalar())
    rows.push_back(fmt::format("<font point-size=\"10\" color=\"#666666\">{}</font>", html(g.type_string(last))));
  if (has_value(opts, last)) rows.push_back("= " + html(value_text(opts, last)));
  if (g.adjoint(last) != kNoNode && has_value(opts, g.adjoint(last)))
    rows.push_back(fmt::format("<font color=\"#b03a2e\">∂{}/∂{} = {}</font>", html(nm.f), html(nm.name[last]),
                               html(value_text(opts, g.adjoint(last)))));
  fmt::format_to(std::back_inserter(out), "  n{} [shape=box3d, style=filled, fillcolor=\"#fcf3cf\", "
                 "color=\"#7d6608\"{}, label={}];\n", last,
                 nm.output[last].empty() ? "" : ", peripheries=2", html_label(rows));
}

// After fusion: each kernel a cluster of the nodes it computes ("k3 reduce f32[B,10], 3
// phases", "k0 gemm f32[B,256], epilogue"); inputs and constants (immediates) stay outside.
void emit_kernel_clusters(std::string& out, const Graph& g, const Naming& nm, const DotOptions& opts) {
  const std::vector<int> kof = kernel_of(g);
  for (NodeId id = 0; id < g.size(); ++id)
    if (kof[id] < 0) emit_node(out, g, id, nm, opts, "  ");
  for (size_t ki = 0; ki < g.kernels.size(); ++ki) {
    const Kernel& k = g.kernels[ki];
    std::string phases = k.phases() > 1 ? fmt::format(", {} phases", k.phases()) : "";
    if (k.gemm.accumulates()) phases += ", beta 1";
    if (has_epilogue(k)) phases += ", epilogue";
    fmt::format_to(std::back_inserter(out), "  subgraph cluster_k{} {{\n    label=\"k{} {} {}{}{}\"; labeljust=l; "
                   "fontsize=11; style=rounded; color=\"#2e86c1\";\n", ki, ki, kernel_kind_name(k.kind),
                   dtype_name(g[k.nodes.back()].dtype), html(to_string(k.domain, &g.dim_names)), phases);
    for (NodeId id : k.nodes) emit_node(out, g, id, nm, opts, "    ");
    out += "  }\n";
  }
}

}  // namespace

std::string to_dot(const Graph& g, const DotOptions& opts) {
  const std::vector<bool> backward = backward_side(g);
  const auto groups = group_members(g, backward);
  // The kernel form draws every node (kernels are the clusters; Graphviz clusters cannot overlap).
  const bool collapse = opts.collapse_groups && g.kernels.empty();
  std::vector<NodeId> drawn_as(g.size());
  for (NodeId id = 0; id < g.size(); ++id) drawn_as[id] = id;
  std::vector<bool> in_group(g.size(), false);
  for (const auto& [name, members] : groups)
    for (NodeId id : members) {
      in_group[id] = true;
      if (collapse) drawn_as[id] = members.back();
    }
  const Naming nm = name_nodes(g, drawn_as);
  std::string out;
  out.reserve(static_cast<size_t>(g.size()) * 200 + 512);
  emit_header(out, opts);
  if (!g.kernels.empty()) {
    emit_kernel_clusters(out, g, nm, opts);
    emit_input_column(out, g);
    Edges edges{drawn_as, std::vector<bool>(g.size())};
    for (NodeId id = 0; id < g.size(); ++id) emit_edges(out, g, id, backward, edges);
    return out + "}\n";
  }
  for (NodeId id = 0; id < g.size(); ++id)
    if (!backward[id] && !in_group[id]) emit_node(out, g, id, nm, opts, "  ");
  int cluster = 0;
  for (const auto& [name, members] : groups) {
    if (opts.collapse_groups) {
      emit_group_box(out, g, members, drawn_as, nm, opts);
      continue;
    }
    fmt::format_to(std::back_inserter(out), "  subgraph cluster_{} {{\n    label=\"{}\"; labeljust=l; fontsize=11; "
                   "style=\"rounded,dashed\"; color=\"#b7950b\";\n", cluster++, group_name(g.group(members.back())));
    for (NodeId id : members) emit_node(out, g, id, nm, opts, "    ");
    out += "  }\n";
  }
  if (std::find(backward.begin(), backward.end(), true) != backward.end()) {
    out += "  subgraph cluster_backward {\n    label=\"backward pass\"; labeljust=r; "
           "fontsize=11; fontcolor=\"#d35400\"; style=dashed; color=\"#e59866\";\n";
    for (NodeId id = 0; id < g.size(); ++id)
      if (backward[id]) emit_node(out, g, id, nm, opts, "    ");
    out += "  }\n";
  }
  emit_input_column(out, g);
  Edges edges{drawn_as, std::vector<bool>(g.size())};
  for (NodeId id = 0; id < g.size(); ++id) edges.boxed[id] = collapse && in_group[id];
  for (NodeId id = 0; id < g.size(); ++id) emit_edges(out, g, id, backward, edges);
  out += "}\n";
  return out;
}

}  // namespace gradc::ir
