// passes/update.cpp — SGD, momentum, Adam and AdamW as IR, so that the whole training step
// is one graph: the update is simplified, fused and drawn like the forward and backward.
//
// The formulas are PyTorch's (torch.optim, 1.13), with g the gradient, lr the rate:
//   sgd       g += wd·p;  p -= lr·g
//   momentum  g += wd·p;  buf = μ·buf + g;  p -= lr·buf        (buf starts at 0, so the
//             first step's buf is g, as torch's first step copies g; dampening 0, no Nesterov)
//   adam      g += wd·p;  m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;
//             p -= (lr/bc1) · m / (sqrt(v)/sqrt(bc2) + ε),  bc1 = 1-β1^t, bc2 = 1-β2^t
//   adamw     p *= 1 - lr·wd;  then adam's step without the L2 term
// bc1 and bc2 are inputs (the trainer computes them for step t) so one compiled step
// serves every step; so is lr, after the schedule.
#include "passes/update.h"

#include <fmt/format.h>

#include "ir/builder.h"
#include "ir/check.h"
#include "passes/autodiff.h"

namespace gradc::passes {

using ir::NodeId;

std::vector<std::string> optimizer_states(const std::string& kind) {
  if (kind == "momentum") return {"buf"};
  if (kind == "adam" || kind == "adamw") return {"m", "v"};
  return {};
}

namespace {

struct Scalars {
  NodeId lr, bc1, bc2;
};

struct Updated {
  NodeId param;
  std::vector<NodeId> states;  // in optimizer_states order
};

Updated update_one(ir::Builder& b, const OptimizerSpec& o, const Scalars& s, NodeId p, NodeId grad,
                   const std::vector<NodeId>& state) {
  auto c = [&](double v) { return b.constant(v); };
  const bool adamw = o.kind == "adamw";
  NodeId g = grad;
  if (o.weight_decay != 0 && !adamw) g = b.add(g, b.mul(c(o.weight_decay), p));
  if (o.kind == "sgd") return {b.sub(p, b.mul(s.lr, g)), {}};
  if (o.kind == "momentum") {
    const NodeId buf = b.add(b.mul(c(o.momentum), state[0]), g);
    return {b.sub(p, b.mul(s.lr, buf)), {buf}};
  }
  GRADC_ASSERT(o.kind == "adam" || adamw, "update: unknown optimiser");
  const NodeId m = b.add(b.mul(c(o.beta1), state[0]), b.mul(c(1 - o.beta1), g));
  const NodeId v = b.add(b.mul(c(o.beta2), state[1]), b.mul(c(1 - o.beta2), b.mul(g, g)));
  const NodeId denom = b.add(b.div(b.unary(ir::Op::Sqrt, v), b.unary(ir::Op::Sqrt, s.bc2)), c(o.eps));
  const NodeId step = b.mul(b.div(s.lr, s.bc1), b.div(m, denom));
  const NodeId decayed = adamw && o.weight_decay != 0 ? b.mul(p, b.sub(c(1), b.mul(s.lr, c(o.weight_decay)))) : p;
  return {b.sub(decayed, step), {m, v}};
}

size_t input_index(const ir::Graph& g, NodeId id) {
  for (size_t i = 0; i < g.inputs().size(); ++i)
    if (g.inputs()[i] == id) return i;
  GRADC_ASSERT(false, "update: not an input");
  return 0;
}

}  // namespace

ir::Graph run_update(const ir::Graph& in, PassContext& ctx) {
  const std::vector<std::string> names = ctx.wrt.empty() ? default_wrt(in) : ctx.wrt;
  GRADC_ASSERT(in.outputs.size() > names.size(), "update: expects autodiff's gradients as the last outputs");
  ir::Graph g = in;
  const ir::DType t = g[g.outputs.front().id].dtype;
  ir::Builder b(g, t);
  b.set_role(ir::Role::Backward);
  const Scalars s{b.input("step.lr", ir::Shape{}), b.input("step.bc1", ir::Shape{}), b.input("step.bc2", ir::Shape{})};
  const std::vector<std::string> kinds = optimizer_states(ctx.optimizer.kind);
  const size_t first_grad = in.outputs.size() - names.size();
  g.outputs.resize(first_grad);
  std::vector<ir::Output> params, states;
  for (size_t i = 0; i < names.size(); ++i) {
    const NodeId p = g.find_input(names[i]);
    std::vector<NodeId> state;
    for (const std::string& k : kinds) state.push_back(b.input(names[i] + "." + k, g[p].shape));
    const Updated u = update_one(b, ctx.optimizer, s, p, in.outputs[first_grad + i].id, state);
    params.push_back({names[i], u.param});
    for (size_t k = 0; k < kinds.size(); ++k) states.push_back({names[i] + "." + kinds[k], u.states[k]});
  }
  g.memory.output_aliases.clear();
  for (const std::vector<ir::Output>* part : {&params, &states})
    for (const ir::Output& o : *part) {
      g.memory.output_aliases.push_back({g.outputs.size(), input_index(g, g.find_input(o.name))});
      g.outputs.push_back({o.name + "'", o.id});
    }
  ctx.stats["update.params"] = static_cast<double>(names.size());
  return g;
}

}  // namespace gradc::passes
