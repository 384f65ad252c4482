// passes/autodiff.h — reverse-mode differentiation as a pass (the sweep is ir/gradients.h).
#pragma once

#include <vector>

#include "ir/gradients.h"
#include "passes/pass.h"

namespace gradc::passes {

using ir::append_gradients;
using ir::default_wrt;

// The pass: gradients of the graph's first output with respect to ctx.wrt
// (default_wrt if empty), appended as outputs named "d<f>/d<x>"; with ctx.order 2
// also every second derivative, "d2<f>/d<x>d<y>"; seeded by the input ctx.seed if set.
ir::Graph run_autodiff(const ir::Graph& in, PassContext& ctx);

}  // namespace gradc::passes
