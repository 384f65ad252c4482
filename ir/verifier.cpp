// ir/verifier.cpp — operand order, arity, types, outputs, unique input names.
#include "ir/verifier.h"

#include <fmt/format.h>

#include <set>

namespace gradc::ir {

namespace {

void verify_node(const Graph& g, NodeId id, std::vector<std::string>& errs) {
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
    if (g[in].dtype != n.dtype || !(g[in].shape == n.shape))
      errs.push_back(fmt::format("node {} ({}): operand {} has type {}{}, node has {}{}", id,
                                 mnemonic(n.op), in, dtype_name(g[in].dtype),
                                 to_string(g[in].shape), dtype_name(n.dtype),
                                 to_string(n.shape)));
  }
  if (n.op == Op::Input && n.name.empty()) errs.push_back(fmt::format("node {}: unnamed input", id));
  if (n.adjoint != kNoNode && n.adjoint >= g.size())
    errs.push_back(fmt::format("node {}: adjoint {} out of range", id, n.adjoint));
}

}  // namespace

std::vector<std::string> verify(const Graph& g) {
  std::vector<std::string> errs;
  for (NodeId id = 0; id < g.size(); ++id) verify_node(g, id, errs);
  std::set<std::string> seen;
  for (NodeId id : g.inputs())
    if (!seen.insert(g[id].name).second)
      errs.push_back(fmt::format("input %{} declared twice", g[id].name));
  for (const Output& o : g.outputs)
    if (o.id >= g.size()) errs.push_back(fmt::format("output {} out of range", o.name));
  if (g.outputs.empty()) errs.push_back("graph has no outputs");
  return errs;
}

}  // namespace gradc::ir
