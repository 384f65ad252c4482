// passes/autodiff.h — reverse-mode differentiation, as more graph in the same IR.
#pragma once

#include <vector>

#include "passes/pass.h"

namespace gradc::passes {

// Appends to g the nodes that compute ∂y/∂w for each w in wrt and returns their
// ids (zeros where y does not depend on w). New nodes have Role::Backward;
// each forward node on a path from wrt to y gets its `adjoint` set.
// `seed` is ∂out/∂y, of y's shape; by default ones (for a scalar y: 1), so a
// tensor y gets the gradient of sum(y). A seed input gives Jacobian rows.
std::vector<ir::NodeId> append_gradients(ir::Graph& g, ir::NodeId y,
                                         const std::vector<ir::NodeId>& wrt,
                                         ir::NodeId seed = ir::kNoNode);

// The names gradients are taken with respect to by default: the params if the
// graph declares any, else every input that does not hold integer labels.
std::vector<std::string> default_wrt(const ir::Graph& g);

// The pass: gradients of the graph's first output with respect to ctx.wrt
// (default_wrt if empty), appended as outputs named "d<f>/d<x>"; with ctx.order 2
// also every second derivative, "d2<f>/d<x>d<y>"; seeded by the input ctx.seed if set.
ir::Graph run_autodiff(const ir::Graph& in, PassContext& ctx);

}  // namespace gradc::passes
