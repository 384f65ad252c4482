// ir/gradients.cpp — the reverse sweep: gradients as more graph in the same IR.
//
// The algorithm only; each op's derivative rule lives next to its forward meaning in
// ir/rules.cpp. Steps:
//   1. mark the nodes that depend on a wrt input (forward loop) and the nodes
//      the output depends on (backward loop); only nodes in both need adjoints;
//   2. seed ∂y/∂y = 1 and walk ids from y down to 0 (a reverse topological
//      order, no recursion), asking each node's rule for its operands' shares;
//   3. sum the shares of a node used more than once (the multivariable chain
//      rule) with add nodes, so the gradient is plain IR in the same graph.
// It lives in ir/, beside the rules it applies, because two stages build gradients: the
// `autodiff` pass (passes/autodiff.cpp) and the frontend's in-language grad(expr, x).
#include "ir/gradients.h"

#include "ir/builder.h"
#include "ir/check.h"
#include "ir/rules.h"

namespace gradc::ir {

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

Gradients append_gradients(Graph& g, NodeId y, const std::vector<NodeId>& wrt, NodeId seed) {
  GRADC_ASSERT(y < g.size(), "gradients: output out of range");
  const std::vector<bool> needs = nodes_needing_adjoints(g, y, wrt);
  std::vector<NodeId> adjoint(y + 1, kNoNode);
  // Most rules append two or three nodes an operand: room for them up front, so the arena
  // is not moved log2(n) times as it grows (untouched room costs no memory).
  g.reserve(g.size() + 4 * size_t{y + 1});
  Builder b(g, g[y].dtype);
  b.set_role(Role::Backward);
  b.set_loc(g[y].loc);
  // ∂y/∂y = 1; for a tensor y, the all-ones seed gives the gradient of sum(y).
  if (needs[y]) adjoint[y] = seed != kNoNode ? seed : b.broadcast_to(b.constant(1), g[y].shape);

  for (NodeId id = y + 1; id-- > 0;) {
    if (adjoint[id] == kNoNode) continue;
    // Copies, not references: the rule appends to g, which may move its nodes.
    const Op op = g[id].op;
    const auto operands = g[id].inputs;
    if (operands.empty()) continue;
    VjpContext v(b);
    v.y = id;
    v.g = adjoint[id];
    for (size_t i = 0; i < operands.size(); ++i) {
      v.x[i] = operands[i];
      v.wanted[i] = needs[operands[i]];
    }
    b.set_loc(g[id].loc);  // gradient nodes point at the source of what they differentiate
    rule(op).vjp(v);
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
  return {std::move(grads), std::move(adjoint)};
}

void record_adjoints(Graph& g, const Gradients& grads) {
  for (NodeId id = 0; id < grads.adjoint.size(); ++id)
    if (grads.adjoint[id] != kNoNode) g.set_adjoint(id, grads.adjoint[id]);
}

std::vector<std::string> default_wrt(const Graph& g) {
  std::vector<std::string> params, inputs;
  for (NodeId id : g.inputs()) {
    if (g[id].role == Role::Param) params.push_back(g[id].name);
    else if (!g[id].integer) inputs.push_back(g[id].name);
  }
  return params.empty() ? inputs : params;
}

}  // namespace gradc::ir
