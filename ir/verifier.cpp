// ir/verifier.cpp — operand order, arity, types, outputs, unique input names.
#include "ir/verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace gradc::ir {

namespace {

std::vector<int> ints(const std::vector<int64_t>& v) { return std::vector<int>(v.begin(), v.end()); }

// The shape node n must have given its operands' shapes (throws ShapeError).
Shape expected_shape(const Graph& g, const Node& n) {
  const DimNames* names = &g.dim_names;
  auto in = [&](size_t i) -> const Shape& { return g[n.inputs[i]].shape; };
  if (is_elementwise(n.op)) {
    Shape s = in(0);
    for (size_t i = 1; i < n.inputs.size(); ++i) s = broadcast_shapes(mnemonic(n.op), s, in(i), names);
    return s;
  }
  switch (n.op) {
    case Op::Input:
    case Op::Const: return n.shape;
    case Op::Broadcast: broadcast_axes(in(0), n.shape, names); return n.shape;
    case Op::Reshape: return n.shape;  // element counts: checked by the builder
    case Op::Transpose: return transpose_shape(in(0), ints(n.attr), names);
    case Op::Sum:
    case Op::ReduceMax:
      return reduce_shape(mnemonic(n.op), in(0), ints(n.attr), in(0).rank() == n.shape.rank(), names);
    case Op::MatMul: return matmul_shape(in(0), in(1), names);
    case Op::OneHot: {
      Shape s = in(0);
      s.dims.push_back(n.attr.empty() ? -1 : n.attr[0]);
      return s;
    }
    case Op::SoftmaxXent:
      if (!(in(0) == in(1))) throw ShapeError("logits and targets differ in shape");
      return reduce_shape(mnemonic(n.op), in(0), ints(n.attr), false, names);
#define OP(name, mnemonic, arity, kind) GRADC_ELEMENTWISE_CASE_##kind(name)
#include "ir/ops.def"
#undef OP
      break;  // elementwise ops: handled above
  }
  return n.shape;
}

void verify_shape(const Graph& g, NodeId id, std::vector<std::string>& errs) {
  const Node& n = g[id];
  try {
    Shape want = expected_shape(g, n);
    if (!(want == n.shape))
      errs.push_back(fmt::format("node {} ({}): shape {}, expected {}", id, mnemonic(n.op),
                                 to_string(n.shape, &g.dim_names), to_string(want, &g.dim_names)));
  } catch (const ShapeError& e) {
    errs.push_back(fmt::format("node {} ({}): {}", id, mnemonic(n.op), e.what()));
  }
}

void check_node(const Graph& g, NodeId id, std::vector<std::string>& errs) {
  const Node& n = g[id];
  if (static_cast<int>(n.inputs.size()) != arity(n.op))
    errs.push_back(fmt::format("node {} ({}): {} operands, expected {}", id, mnemonic(n.op),
                               n.inputs.size(), arity(n.op)));
  for (NodeId in : n.inputs) {
    if (in >= id) {
      errs.push_back(fmt::format("node {} ({}): operand {} is not defined before it", id,
                                 mnemonic(n.op), in));
      continue;
    }
    if (g[in].dtype != n.dtype)
      errs.push_back(fmt::format("node {} ({}): operand {} has type {}, node has {}", id,
                                 mnemonic(n.op), in, g.type_string(in), g.type_string(id)));
  }
  if (static_cast<int>(n.inputs.size()) == arity(n.op) && std::all_of(n.inputs.begin(), n.inputs.end(), [&](NodeId in) { return in < id; }))
    verify_shape(g, id, errs);
  if (n.op == Op::Input && n.name.empty()) errs.push_back(fmt::format("node {}: unnamed input", id));
  if (g.adjoint(id) != kNoNode && g.adjoint(id) >= g.size())
    errs.push_back(fmt::format("node {}: adjoint {} out of range", id, g.adjoint(id)));
}

// An output written over an input: both exist, same type, and each at most one pair (two
// outputs over one buffer would race; one output over two inputs is meaningless).
void check_output_aliases(const Graph& g, std::vector<std::string>& errs) {
  std::set<size_t> outs, ins;
  for (const OutputAlias& a : g.memory.output_aliases) {
    if (a.output >= g.outputs.size() || a.input >= g.inputs().size()) {
      errs.push_back(fmt::format("output alias {} over input {}: out of range", a.output, a.input));
      continue;
    }
    const NodeId o = g.outputs[a.output].id, i = g.inputs()[a.input];
    if (o < g.size() && (g[o].dtype != g[i].dtype || !(g[o].shape == g[i].shape)))
      errs.push_back(fmt::format("output {} ({}) aliases input %{} ({}): types differ", g.outputs[a.output].name,
                                 g.type_string(o), g[i].name, g.type_string(i)));
    if (!outs.insert(a.output).second) errs.push_back(fmt::format("output {} aliases two inputs", g.outputs[a.output].name));
    if (!ins.insert(a.input).second) errs.push_back(fmt::format("input %{} is aliased by two outputs", g[i].name));
  }
}

}  // namespace

std::vector<std::string> verify_node(const Graph& g, NodeId id) {
  std::vector<std::string> errs;
  check_node(g, id, errs);
  return errs;
}

std::vector<std::string> verify(const Graph& g) {
  std::vector<std::string> errs;
  for (NodeId id = 0; id < g.size(); ++id) check_node(g, id, errs);
  std::set<std::string> seen;
  for (NodeId id : g.inputs())
    if (!seen.insert(g[id].name).second)
      errs.push_back(fmt::format("input %{} declared twice", g[id].name));
  for (const Output& o : g.outputs)
    if (o.id >= g.size()) errs.push_back(fmt::format("output {} out of range", o.name));
  if (g.outputs.empty()) errs.push_back("graph has no outputs");
  check_output_aliases(g, errs);
  if (!g.kernels.empty() && errs.empty())
    for (std::string& e : verify_kernels(g)) errs.push_back(std::move(e));
  return errs;
}

}  // namespace gradc::ir
