// passes/autodiff.h — reverse-mode differentiation, as more graph in the same IR.
#pragma once

#include <vector>

#include "passes/pass.h"

namespace gradc::passes {

// Appends to g the nodes that compute ∂y/∂w for each w in wrt and returns their
// ids (a constant 0 where y does not depend on w). New nodes have Role::Backward;
// each forward node on a path from wrt to y gets its `adjoint` set.
std::vector<ir::NodeId> append_gradients(ir::Graph& g, ir::NodeId y,
                                         const std::vector<ir::NodeId>& wrt);

// The pass: gradients of the graph's first output with respect to ctx.wrt (all
// inputs if empty), appended as outputs named "d<f>/d<x>".
ir::Graph run_autodiff(const ir::Graph& in, PassContext& ctx);

}  // namespace gradc::passes
