// passes/decompose.cpp — rewrites composite ops into the primitives codegen knows.
//
// A composite op (softmax_cross_entropy, made by `stabilize`) exists so that autodiff can
// use its own derivative rule: softmax(z)·Σt − t is both the homework's ŷ − y and
// stabler than the chain rule through log and softmax. Once the gradient is built the
// composite has done its job, and its forward value is expanded here into the stable
// primitive form (max-shifted log_softmax), so the interpreter and codegen need no kernel
// for it and fusion sees ordinary elementwise ops and reductions.
#include "passes/decompose.h"

#include <string>

#include "ir/nn.h"
#include "passes/rewriter.h"

namespace gradc::passes {

namespace {

// −Σₐ t·log_softmax(z)
ir::NodeId expand_softmax_cross_entropy(ir::Builder& b, const ir::Node& n) {
  const int axis = static_cast<int>(n.attr[0]);
  const ir::NodeId log_softmax = ir::nn::log_softmax(b, n.inputs[0], axis);
  return b.neg(b.sum(b.mul(n.inputs[1], log_softmax), {axis}));
}

}  // namespace

bool applies_decompose(const ir::Graph& g) {
  for (ir::NodeId id = 0; id < g.size(); ++id)
    if (g[id].op == ir::Op::SoftmaxXent) return true;
  return false;
}

ir::Graph run_decompose(const ir::Graph& in, PassContext& ctx) {
  Rewriter rw(in);
  int expanded = 0;
  for (ir::NodeId id = 0; id < in.size(); ++id) {
    if (in[id].op != ir::Op::SoftmaxXent) {
      rw.copy(id);
      continue;
    }
    ir::Node n = in[id];
    for (ir::NodeId& x : n.inputs) x = rw.map(x);
    ir::Builder b(rw.out(), n.dtype);
    b.set_loc(n.loc);
    b.set_role(n.role);
    b.set_group(in.group(id).empty() ? "cross_entropy#d" + std::to_string(id) : in.group(id));
    rw.map_to(id, expand_softmax_cross_entropy(b, n));
    ++expanded;
  }
  ctx.stats["decompose.expanded"] += expanded;
  return std::move(rw).finish();
}

}  // namespace gradc::passes
