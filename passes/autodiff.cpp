// passes/autodiff.cpp — the autodiff pass: the reverse sweep (ir/gradients.h) applied to
// the graph's first output, its gradients appended as named outputs.
#include "passes/autodiff.h"

#include <fmt/format.h>

#include "ir/check.h"

namespace gradc::passes {

using ir::Graph;
using ir::NodeId;
using ir::kNoNode;

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
    const ir::Gradients second = append_gradients(g, grads[i], wrt);
    ir::record_adjoints(g, second);
    for (size_t j = 0; j < names.size(); ++j)
      g.outputs.push_back({fmt::format("d2{}/d{}d{}", f, names[i], names[j]), second.wrt[j]});
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
  // The adjoints are kept in the graph's side table for the pictures and the printed IR
  // (every node shows ∂f/∂node); the rewriter carries them through later passes.
  const ir::Gradients sweep = append_gradients(g, f.id, wrt, seed);
  ir::record_adjoints(g, sweep);
  const std::vector<NodeId>& grads = sweep.wrt;
  for (size_t i = 0; i < grads.size(); ++i)
    g.outputs.push_back({fmt::format("d{}/d{}", f.name, names[i]), grads[i]});
  if (ctx.order == 2) append_second_order(g, f.name, names, wrt, grads);
  return g;
}

}  // namespace gradc::passes
