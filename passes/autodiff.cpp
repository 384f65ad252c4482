// passes/autodiff.cpp — reverse-mode differentiation as more graph.
//
// The algorithm only; each op's derivative rule lives next to its forward
// meaning in ir/rules.cpp. Steps:
//   1. mark the nodes that depend on a wrt input (forward loop) and the nodes
//      the output depends on (backward loop); only nodes in both need adjoints;
//   2. seed ∂y/∂y = 1 and walk ids from y down to 0 (a reverse topological
//      order, no recursion), asking each node's rule for its operands' shares;
//   3. sum the shares of a node used more than once (the multivariable chain
//      rule) with add nodes, so the gradient is plain IR in the same graph.
#include "passes/autodiff.h"

#include <fmt/format.h>

#include "ir/builder.h"
#include "ir/check.h"
#include "ir/rules.h"

namespace gradc::passes {

using ir::Graph;
using ir::NodeId;
using ir::kNoNode;

namespace {

// needs[i]: node i lies on a path from some wrt input to y.
std::vector<bool> nodes_needing_adjoints(const Graph& g, NodeId y, const std::vector<NodeId>& wrt) {
  std::vector<bool> depends(y + 1, false), reaches(y + 1, false);
  for (NodeId w : wrt)
    if (w <= y) depends[w] = true;
  for (NodeId id = 0; id <= y; ++id)
    for (NodeId in : g[id].inputs) depends[id] = depends[id] || depends[in];
  reaches[y] = true;
  for (NodeId id = y + 1; id-- > 0;)
    if (reaches[id])
      for (NodeId in : g[id].inputs) reaches[in] = true;
  std::vector<bool> needs(y + 1);
  for (NodeId id = 0; id <= y; ++id) needs[id] = depends[id] && reaches[id];
  return needs;
}

}  // namespace

std::vector<NodeId> append_gradients(Graph& g, NodeId y, const std::vector<NodeId>& wrt, NodeId seed) {
  GRADC_ASSERT(y < g.size(), "autodiff: output out of range");
  const std::vector<bool> needs = nodes_needing_adjoints(g, y, wrt);
  std::vector<NodeId> adjoint(y + 1, kNoNode);
  ir::Builder b(g, g[y].dtype);
  b.set_role(ir::Role::Backward);
  b.set_loc(g[y].loc);
  // ∂y/∂y = 1; for a tensor y, the all-ones seed gives the gradient of sum(y).
  if (needs[y]) adjoint[y] = seed != kNoNode ? seed : b.broadcast_to(b.constant(1), g[y].shape);

  for (NodeId id = y + 1; id-- > 0;) {
    if (adjoint[id] == kNoNode) continue;
    g[id].adjoint = adjoint[id];
    // Copies, not references: the rule appends to g, which may move its nodes.
    const ir::Op op = g[id].op;
    const std::vector<NodeId> operands = g[id].inputs;
    if (operands.empty()) continue;
    ir::VjpContext v(b);
    v.y = id;
    v.g = adjoint[id];
    for (size_t i = 0; i < operands.size(); ++i) {
      v.x[i] = operands[i];
      v.wanted[i] = needs[operands[i]];
    }
    b.set_loc(g[id].loc);  // gradient nodes point at the source of what they differentiate
    ir::rule(op).vjp(v);
    for (size_t i = 0; i < operands.size(); ++i) {
      NodeId share = v.dx[i], &acc = adjoint[v.x[i]];
      if (share == kNoNode) continue;
      share = b.sum_to(share, g[v.x[i]].shape);  // an operand that was broadcast
      acc = acc == kNoNode ? share : b.add(acc, share);
    }
  }

  std::vector<NodeId> grads;
  b.set_loc(g[y].loc);
  for (NodeId w : wrt)
    grads.push_back(w <= y && adjoint[w] != kNoNode ? adjoint[w]
                                                    : b.broadcast_to(b.constant(0), g[w].shape));
  return grads;
}

std::vector<std::string> default_wrt(const Graph& g) {
  std::vector<std::string> params, inputs;
  for (NodeId id : g.inputs()) {
    if (g[id].role == ir::Role::Param) params.push_back(g[id].name);
    else if (!g[id].integer) inputs.push_back(g[id].name);
  }
  return params.empty() ? inputs : params;
}

namespace {

NodeId find_wrt(const Graph& g, const std::string& name) {
  NodeId id = g.find_input(name);
  GRADC_ASSERT(id != kNoNode, "autodiff: wrt names an unknown input");
  return id;
}

// ∂²f/∂xi∂xj: each first-order gradient differentiated again, as outputs "d2f/dxidxj".
void append_second_order(Graph& g, const std::string& f, const std::vector<std::string>& names,
                         const std::vector<NodeId>& wrt, const std::vector<NodeId>& grads) {
  for (size_t i = 0; i < names.size(); ++i) {
    std::vector<NodeId> second = append_gradients(g, grads[i], wrt);
    for (size_t j = 0; j < names.size(); ++j)
      g.outputs.push_back({fmt::format("d2{}/d{}d{}", f, names[i], names[j]), second[j]});
  }
}

}  // namespace

Graph run_autodiff(const Graph& in, PassContext& ctx) {
  GRADC_ASSERT(!in.outputs.empty(), "autodiff: graph has no output");
  GRADC_ASSERT(ctx.order == 1 || ctx.order == 2, "autodiff: order must be 1 or 2");
  Graph g = in;
  const ir::Output f = in.outputs.front();
  const std::vector<std::string> names = ctx.wrt.empty() ? default_wrt(in) : ctx.wrt;
  std::vector<NodeId> wrt;
  for (const std::string& name : names) wrt.push_back(find_wrt(in, name));
  const NodeId seed = ctx.seed.empty() ? kNoNode : find_wrt(in, ctx.seed);
  const std::vector<NodeId> grads = append_gradients(g, f.id, wrt, seed);
  for (size_t i = 0; i < grads.size(); ++i)
    g.outputs.push_back({fmt::format("d{}/d{}", f.name, names[i]), grads[i]});
  if (ctx.order == 2) append_second_order(g, f.name, names, wrt, grads);
  return g;
}

}  // namespace gradc::passes
