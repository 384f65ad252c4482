// passes/plan_memory.cpp — workspace offsets for the kernels' buffers, reused across lifetimes.
//
// Why: with one buffer per value the workspace is the sum of all intermediates; a buffer is
// only needed from the kernel that writes it to the last kernel that reads it. The algorithm
// is ir::plan_memory (ir/memory_plan.cpp, in ir/ so that codegen can also plan a graph whose
// dims are bound after the passes ran):
//   1. Lifetimes in kernel order; a view's readers count as readers of the viewed buffer.
//   2. Kernel by kernel, each stored value overwrites an input read for the last time at the
//      same index (elementwise kernel, same shape), or takes the first free region that fits.
//   3. Buffers whose last reader has run are freed.
// This pass runs it for the graph's dtype when every dim is concrete, and records
// plan-memory.{workspace,peak,unplanned}_bytes in the stats. With symbolic dims (a pipeline
// run before the dims are bound) it leaves the plan empty and codegen plans at compile time.
// Without kernels (fuse did not run) there is nothing to place.
#include "passes/plan_memory.h"

namespace gradc::passes {

namespace {

bool all_dims_concrete(const ir::Graph& g) {
  for (const ir::Node& n : g.nodes())
    for (ir::Dim d : n.shape.dims)
      if (ir::is_symbolic(d)) return false;
  return true;
}

}  // namespace

ir::Graph run_plan_memory(const ir::Graph& in, PassContext& ctx) {
  ir::Graph out = in;
  if (in.kernels.empty() || !all_dims_concrete(in)) return out;
  const ir::DType t = in[in.kernels.back().nodes.back()].dtype;
  out.memory = ir::plan_memory(in, t == ir::DType::F32 ? 4 : 8);
  ctx.stats["plan-memory.workspace_bytes"] = static_cast<double>(out.memory.workspace_bytes);
  ctx.stats["plan-memory.peak_bytes"] = static_cast<double>(out.memory.peak_bytes);
  ctx.stats["plan-memory.unplanned_bytes"] = static_cast<double>(out.memory.unplanned_bytes);
  return out;
}

}  // namespace gradc::passes
