// ir/nn.cpp — neural-network functions as compositions of primitives.
#include "ir/nn.h"

#include <cmath>
#include <fmt/format.h>

namespace gradc::ir::nn {

// max-shifted so exp never overflows; the max is a constant to autodiff (its
// gradient would cancel exactly in real arithmetic, so skipping it is exact
// there and saves rounding noise here).
static NodeId shifted(Builder& b, NodeId x, int axis) {
  return b.sub(x, b.stop_gradient(b.reduce_max(x, {axis}, /*keepdims=*/true)));
}

NodeId softmax(Builder& b, NodeId x, int axis) {
  GroupScope g(b, "softmax");
  NodeId e = b.unary(Op::Exp, shifted(b, x, axis));
  return b.div(e, b.sum(e, {axis}, true));
}

NodeId log_softmax(Builder& b, NodeId x, int axis) {
  GroupScope g(b, "log_softmax");
  NodeId z = shifted(b, x, axis);
  return b.sub(z, b.unary(Op::Log, b.sum(b.unary(Op::Exp, z), {axis}, true)));
}

NodeId logsumexp(Builder& b, NodeId x, int axis, bool keepdims) {
  GroupScope g(b, "logsumexp");
  NodeId m = b.stop_gradient(b.reduce_max(x, {axis}, true));
  NodeId lse = b.add(m, b.unary(Op::Log, b.sum(b.unary(Op::Exp, b.sub(x, m)), {axis}, true)));
  if (keepdims) return lse;
  Shape s = b.shape(x);
  s.dims.erase(s.dims.begin() + (axis < 0 ? axis + s.rank() : axis));
  return b.reshape_to(lse, s);
}

// x where x > 0, slope·x elsewhere (so the slope is the derivative at 0, as in torch).
NodeId leaky_relu(Builder& b, NodeId x, double slope) {
  GroupScope g(b, "leaky_relu");
  return b.select(b.unary(Op::Step, x), x, b.mul(b.constant(slope), x));
}

// x·Φ(x) = x/2 · (1 + erf(x/√2))
NodeId gelu(Builder& b, NodeId x) {
  GroupScope g(b, "gelu");
  NodeId phi = b.add(b.constant(1), b.unary(Op::Erf, b.mul(x, b.constant(M_SQRT1_2))));
  return b.mul(b.mul(b.constant(0.5), x), phi);
}

namespace {
void same_shape(Builder& b, const char* op, NodeId a, NodeId c) {
  if (!(b.shape(a) == b.shape(c)))
    throw ShapeError(fmt::format("{}: prediction {} and target {} must have the same shape", op,
                                 to_string(b.shape(a), &b.graph().dim_names),
                                 to_string(b.shape(c), &b.graph().dim_names)));
}
}  // namespace

NodeId mse(Builder& b, NodeId p, NodeId t) {
  same_shape(b, "mse", p, t);
  GroupScope g(b, "mse");
  NodeId d = b.sub(p, t);
  return b.mean(b.mul(d, d));
}

NodeId bce(Builder& b, NodeId p, NodeId t) {
  same_shape(b, "bce", p, t);
  GroupScope g(b, "bce");
  NodeId floor = b.constant(-100);
  NodeId log_p = b.binary(Op::Max, b.unary(Op::Log, p), floor);
  NodeId log_q = b.binary(Op::Max, b.unary(Op::Log, b.sub(b.constant(1), p)), floor);
  NodeId ll = b.add(b.mul(t, log_p), b.mul(b.sub(b.constant(1), t), log_q));
  return b.neg(b.mean(ll));
}

// w·v, except 0 where w = 0 whatever v is: a target of exactly 0 or 1 takes nothing from
// the class it rules out, even at an infinite logit (0·∞ is NaN; cross-entropy's 0·ln 0 = 0).
NodeId weighted(Builder& b, NodeId w, NodeId v) {
  const NodeId zero = b.constant(0);
  return b.mul(w, b.select(b.binary(Op::Ge, zero, b.unary(Op::Abs, w)), zero, v));
}

// −[t·ln σ(z) + (1−t)·ln(1−σ(z))] = t·softplus(−z) + (1−t)·softplus(z), finite for every
// finite z, and at z = ±∞ the limit (+∞, or 0 for the target that agrees). Not the shorter
// softplus(z) − t·z: that is ∞ − ∞ = NaN at z = +∞ for t > 0. Its gradient is σ(z) − t.
NodeId bce_with_logits(Builder& b, NodeId z, NodeId t) {
  same_shape(b, "bce_with_logits", z, t);
  GroupScope g(b, "bce_with_logits");
  const NodeId positive = weighted(b, t, b.unary(Op::Softplus, b.neg(z)));
  const NodeId negative = weighted(b, b.sub(b.constant(1), t), b.unary(Op::Softplus, z));
  return b.mean(b.add(positive, negative));
}

NodeId cross_entropy(Builder& b, NodeId logits, NodeId labels) {
  const Shape ls = b.shape(logits), ys = b.shape(labels);
  const DimNames* names = &b.graph().dim_names;
  if (ls.is_scalar())
    throw ShapeError(fmt::format("cross_entropy: logits must have a class axis, not shape {}", to_string(ls, names)));
  Shape batch = ls;
  batch.dims.pop_back();
  const bool indices = ys == batch, targets = ys == ls;
  if (!indices && !targets)
    throw ShapeError(fmt::format(
        "cross_entropy: logits {} need labels of shape {} (class indices) or {} (one-hot or probabilities), not {}",
        to_string(ls, names), to_string(batch, names), to_string(ls, names), to_string(ys, names)));
  GroupScope g(b, "cross_entropy");
  const int64_t classes = ls.dims.back();
  if (indices && classes < 0)
    throw ShapeError(fmt::format("cross_entropy: the class axis of logits {} must be a number to take class indices",
                                 to_string(ls, names)));
  NodeId target = indices ? b.one_hot(labels, classes) : labels;
  NodeId nll = b.neg(b.sum(b.mul(target, log_softmax(b, logits, -1)), {-1}));
  return batch.is_scalar() ? nll : b.mean(nll);
}

}  // namespace gradc::ir::nn
