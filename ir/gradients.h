// ir/gradients.h — the reverse sweep: ∂y/∂w appended to a graph as more of its nodes.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace gradc::ir {

struct Gradients {
  std::vector<NodeId> wrt;      // ∂y/∂w for each w asked for (a zero where y does not depend on w)
  std::vector<NodeId> adjoint;  // by node id up to y: the node holding ∂y/∂node, kNoNode for none
};

// Appends to g the nodes that compute ∂y/∂w for each w in wrt (Role::Backward) and returns
// their ids, with the adjoint of every node on a path from wrt to y: the caller decides
// whether to record those (the autodiff pass does, in Graph::set_adjoint, for the pictures).
// `seed` is ∂out/∂y, of y's shape; by default ones (for a scalar y: 1), so a
// tensor y gets the gradient of sum(y). A seed input gives Jacobian rows.
Gradients append_gradients(Graph& g, NodeId y, const std::vector<NodeId>& wrt, NodeId seed = kNoNode);

// Records a sweep's adjoints in g's side table (Graph::adjoint), over any earlier sweep's.
void record_adjoints(Graph& g, const Gradients& grads);

// The names gradients are taken with respect to by default: the params if the
// graph declares any, else every input that does not hold integer labels.
std::vector<std::string> default_wrt(const Graph& g);

}  // namespace gradc::ir
