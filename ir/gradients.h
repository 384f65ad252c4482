// ir/gradients.h — the reverse sweep: ∂y/∂w appended to a graph as more of its nodes.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace gradc::ir {

// Appends to g the nodes that compute ∂y/∂w for each w in wrt and returns their
// ids (zeros where y does not depend on w). New nodes have Role::Backward;
// each forward node on a path from wrt to y gets its `adjoint` set.
// `seed` is ∂out/∂y, of y's shape; by default ones (for a scalar y: 1), so a
// tensor y gets the gradient of sum(y). A seed input gives Jacobian rows.
std::vector<NodeId> append_gradients(Graph& g, NodeId y, const std::vector<NodeId>& wrt,
                                     NodeId seed = kNoNode);

// The names gradients are taken with respect to by default: the params if the
// graph declares any, else every input that does not hold integer labels.
std::vector<std::string> default_wrt(const Graph& g);

}  // namespace gradc::ir
