// tools/gradc/jacobian.h — the full Jacobian of a program's output with respect to one input.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/tensor.h"
#include "tools/gradc/driver.h"

namespace gradc::cli {

struct JacobianResult {
  runtime::Tensor value;     // the program's output y
  runtime::Tensor jacobian;  // numerator layout: shape y.shape ++ w.shape, J[i..., j...] = ∂y[i...]/∂w[j...]
};

// `g` has its dims bound; `inputs` follow g.inputs() order. Appends the reverse sweep once, with
// a seed input of y's shape, and evaluates it once per element of y with a one-hot seed (each
// run gives one row). Throws UsageError if `wrt` is not a differentiable input.
// The sweep is built by the command pipeline (run_pipeline: -O/--passes of `args`,
// remarks rendered in `src` when given).
JacobianResult compute_jacobian(const ir::Graph& g, const std::string& wrt,
                                const std::vector<runtime::Tensor>& inputs, const Execution& how,
                                const PipelineArgs& args = {}, const frontend::SourceFile* src = nullptr);

}  // namespace gradc::cli
