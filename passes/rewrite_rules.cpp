// passes/rewrite_rules.cpp — the rewrite table (see rewrite_rules.h for what the sets mean).
//
// Each row: name, set, pattern, side condition, replacement, remark. The maths and the
// reason a rule is safe sit in the comment above it.
#include "passes/rewrite_rules.h"

#include <algorithm>

namespace gradc::passes {

namespace {

using ir::Bindings;
using ir::Builder;
using ir::Graph;
using ir::Node;
using ir::NodeId;
using ir::Op;
using ir::cst;
using ir::op;
using ir::var;

NodeId keep0(Builder&, const Node&, const Bindings& v) { return v[0]; }
NodeId first_operand(Builder&, const Node& root, const Bindings&) { return root.inputs[0]; }

// ---- side conditions ----

bool cond_is_constant(const Graph& g, const Node&, const Bindings& v) {
  return g[v[0]].op == Op::Const && g[v[0]].attr.empty();
}

// log(div(exp(t), sum(exp(t), axes, keepdims))): the sum keeps its axes, so the quotient
// is a softmax of t along them.
bool divides_by_kept_sum(const Graph& g, const Node& root, const Bindings&) {
  const Node& sum = g[g[root.inputs[0]].inputs[1]];
  return ir::keeps_dims(g, sum);
}

// max(−softplus(v), −100): the clamp bce puts on a log-probability that is now computed
// stably. The −softplus is bce's own when it is in a bce call (the log-sigmoid rule gave it
// the group of bce's log); a max the user wrote around a −softplus keeps its clamp.
bool is_bce_clamp(const Graph& g, const Node& root, const Bindings&) {
  return ir::group_name(g.group(root.inputs[0])) == "bce";
}

// ---- replacements ----

NodeId select_constant(Builder& b, const Node&, const Bindings& v) {
  return b.graph()[v[0]].value != 0 ? v[1] : v[2];
}

NodeId square(Builder& b, const Node&, const Bindings& v) { return b.mul(v[0], v[0]); }
NodeId negate(Builder& b, const Node&, const Bindings& v) { return b.neg(v[0]); }
NodeId subtract(Builder& b, const Node&, const Bindings& v) { return b.sub(v[0], v[1]); }
NodeId add(Builder& b, const Node&, const Bindings& v) { return b.add(v[0], v[1]); }

NodeId reshape_once(Builder& b, const Node& root, const Bindings& v) { return b.reshape_to(v[0], root.shape); }

// transpose(transpose(x, p), q) = transpose(x, p∘q): output axis i reads inner axis q[i],
// which reads x's axis p[q[i]].
NodeId compose_transposes(Builder& b, const Node& root, const Bindings& v) {
  const Graph& g = b.graph();
  const std::vector<int64_t>& q = root.attr;
  const std::vector<int64_t>& p = g[root.inputs[0]].attr;
  std::vector<int> perm(q.size());
  bool identity = true;
  for (size_t i = 0; i < q.size(); ++i) {
    perm[i] = static_cast<int>(p[static_cast<size_t>(q[i])]);
    identity = identity && perm[i] == static_cast<int>(i);
  }
  return identity ? v[0] : b.transpose(v[0], perm);
}

NodeId log1p(Builder& b, const Node&, const Bindings& v) { return b.unary(Op::Log1p, v[0]); }
NodeId expm1(Builder& b, const Node&, const Bindings& v) { return b.unary(Op::Expm1, v[0]); }

// ln σ(x) = −ln(1 + e⁻ˣ) = −softplus(−x)
NodeId log_sigmoid(Builder& b, const Node&, const Bindings& v) {
  return b.neg(b.unary(Op::Softplus, b.neg(v[0])));
}
// ln(1 − σ(x)) = ln σ(−x) = −softplus(x)
NodeId log_one_minus_sigmoid(Builder& b, const Node&, const Bindings& v) {
  return b.neg(b.unary(Op::Softplus, v[0]));
}

// Whether s is z − stop_gradient(max z), softmax's own max-shift (ir/nn.cpp).
bool is_max_shifted(const Graph& g, NodeId s) {
  const Node& n = g[s];
  if (n.op != Op::Sub || g[n.inputs[1]].op != Op::StopGrad) return false;
  const Node& max = g[g[n.inputs[1]].inputs[0]];
  return max.op == Op::ReduceMax && max.inputs[0] == n.inputs[0];
}

// t − max(t) along the axes, the max a constant to autodiff (as ir/nn.cpp's softmax): t
// itself when it is already shifted so.
NodeId shifted(Builder& b, NodeId t, const std::vector<int>& axes) {
  if (is_max_shifted(b.graph(), t)) return t;
  return b.sub(t, b.stop_gradient(b.reduce_max(t, axes, /*keepdims=*/true)));
}

// ln(eᵗ / Σ eᵗ) = s − ln Σ eˢ with s = t − max t: every eˢ ≤ 1 and the largest is 1, so
// the sum is in [1, n] and its log finite, where softmax itself underflows to 0.
NodeId log_softmax(Builder& b, const Node& root, const Bindings& v) {
  const Graph& g = b.graph();
  const std::vector<int> axes = ir::reduced_axes(g[g[root.inputs[0]].inputs[1]]);
  b.set_group("log_softmax#r" + std::to_string(g.size()));
  const NodeId s = shifted(b, v[0], axes);
  return b.sub(s, b.unary(Op::Log, b.sum(b.unary(Op::Exp, s), axes, /*keepdims=*/true)));
}

// −Σₐ y·(s − ln Σₐ eˢ): both sums over one axis a (the inner one keeping it), y of s's shape.
bool is_cross_entropy_of_log_softmax(const Graph& g, const Node& root, const Bindings& v) {
  const Node& outer = g[root.inputs[0]];
  const Node& mul = g[outer.inputs[0]];
  const Node& log_softmax = g[mul.inputs[0] == v[1] ? mul.inputs[1] : mul.inputs[0]];
  const Node& inner = g[g[log_softmax.inputs[1]].inputs[0]];
  const std::vector<int> a = ir::reduced_axes(inner), b = ir::reduced_axes(outer);
  return a.size() == 1 && a == b && ir::keeps_dims(g, inner) && !ir::keeps_dims(g, outer) &&
         g[v[1]].shape == g[v[0]].shape;
}

// The logits under a max-shift s = z − max z (softmax's own), or s itself.
NodeId unshifted(const Graph& g, NodeId s) { return is_max_shifted(g, s) ? g[s].inputs[0] : s; }

// −Σ y·log_softmax(z) = softmax_cross_entropy(z, y): one node whose gradient autodiff takes
// from its own rule, softmax(z)·Σy − y (ŷ − y for one-hot y), not through the quotient.
NodeId softmax_cross_entropy(Builder& b, const Node& root, const Bindings& v) {
  const Graph& g = b.graph();
  const int axis = ir::reduced_axes(g[root.inputs[0]]).front();
  return b.softmax_cross_entropy(unshifted(g, v[0]), v[1], axis);
}

std::vector<RewriteRule> make_rules() {
  using S = RuleSet;
  const auto X = var(0), Y = var(1), Z = var(2);
  return {
      // ---- exact: the same IEEE result for every input ----
      // x + (−0) = x and x − (+0) = x for every x, −0 included. Not x + (+0) → x: at x = −0
      // IEEE gives +0, and 1/(x + 0) would turn from +inf into −inf.
      {"add-zero", S::Exact, op(Op::Add, {X, cst(-0.0)}), nullptr, keep0, ""},
      {"sub-zero", S::Exact, op(Op::Sub, {X, cst(0)}), nullptr, keep0, ""},
      {"mul-one", S::Exact, op(Op::Mul, {X, cst(1)}), nullptr, keep0, ""},
      {"div-one", S::Exact, op(Op::Div, {X, cst(1)}), nullptr, keep0, ""},
      {"pow-one", S::Exact, op(Op::Pow, {X, cst(1)}), nullptr, keep0, ""},
      {"neg-neg", S::Exact, op(Op::Neg, {op(Op::Neg, {X})}), nullptr, keep0, ""},
      // x·(−1) = −x: multiplying by −1 only flips the sign bit
      {"mul-minus-one", S::Exact, op(Op::Mul, {X, cst(-1)}), nullptr, negate, ""},
      // x + (−y) = x − y and x − (−y) = x + y: IEEE defines subtraction so
      {"add-neg", S::Exact, op(Op::Add, {X, op(Op::Neg, {Y})}), nullptr, subtract, ""},
      {"sub-neg", S::Exact, op(Op::Sub, {X, op(Op::Neg, {Y})}), nullptr, add, ""},
      // x · reshape(1) = x and x · broadcast(1) = x where x already has the product's shape
      // (autodiff's seeds and the adjoints of reductions are such reshaped ones)
      {"mul-one-reshaped", S::Exact, op(Op::Mul, {X, op(Op::Reshape, {cst(1)})}), nullptr, keep0, ""},
      {"mul-one-broadcast", S::Exact, op(Op::Mul, {X, op(Op::Broadcast, {cst(1)})}), nullptr, keep0, ""},
      {"select-same", S::Exact, op(Op::Select, {Z, X, X}), nullptr, keep0, ""},
      {"select-constant", S::Exact, op(Op::Select, {X, Y, Z}), cond_is_constant, select_constant, ""},
      {"reshape-reshape", S::Exact, op(Op::Reshape, {op(Op::Reshape, {X})}), nullptr, reshape_once, ""},
      {"transpose-transpose", S::Exact, op(Op::Transpose, {op(Op::Transpose, {X})}), nullptr,
       compose_transposes, ""},

      // ---- stabilising: the same real function, without overflow or cancellation ----
      {"log1p", S::Stabilizing, op(Op::Log, {op(Op::Add, {cst(1), X})}), nullptr, log1p,
       "log(1 + {0}) rewritten to log1p({0}) (exact for small {0})"},
      {"expm1", S::Stabilizing, op(Op::Sub, {op(Op::Exp, {X}), cst(1)}), nullptr, expm1,
       "exp({0}) - 1 rewritten to expm1({0}) (exact for small {0})"},
      {"log-sigmoid", S::Stabilizing, op(Op::Log, {op(Op::Sigmoid, {X})}), nullptr, log_sigmoid,
       "log(sigmoid({0})) rewritten to -softplus(-{0}) (finite for large negative {0})"},
      {"log-one-minus-sigmoid", S::Stabilizing, op(Op::Log, {op(Op::Sub, {cst(1), op(Op::Sigmoid, {X})})}),
       nullptr, log_one_minus_sigmoid,
       "log(1 - sigmoid({0})) rewritten to -softplus({0}) (finite for large {0})"},
      // bce(sigmoid(z), y): once both logs are −softplus, the clamp at −100 that bce needs
      // for probabilities of 0 or 1 is no longer needed, and this is bce_with_logits(z, y).
      {"bce-logits", S::Stabilizing, op(Op::Max, {op(Op::Neg, {op(Op::Softplus, {X})}), cst(-100)}),
       is_bce_clamp, first_operand, "bce of a sigmoid computed as bce_with_logits (no clamp at -100 needed)"},
      // x² = x·x: x·x is correctly rounded, glibc's pow only within 0.52 ulp, so this can
      // change a value by an ulp (towards the right one) and is not in the exact set
      {"pow-two", S::Stabilizing, op(Op::Pow, {X, cst(2)}), nullptr, square,
       "{0}^2 rewritten to {0}*{0} (correctly rounded)"},
      {"log-exp", S::Stabilizing, op(Op::Log, {op(Op::Exp, {X})}), nullptr, keep0,
       "log(exp({0})) rewritten to {0} (exp overflows for {0} > 709)"},
      {"log-softmax", S::Stabilizing,
       op(Op::Log, {op(Op::Div, {op(Op::Exp, {X}), op(Op::Sum, {op(Op::Exp, {X})})})}), divides_by_kept_sum,
       log_softmax, "log(softmax({0})) rewritten to log_softmax({0}) (stable for large logits)"},
      {"softmax-cross-entropy", S::Stabilizing,
       op(Op::Neg, {op(Op::Sum, {op(Op::Mul, {Y, op(Op::Sub, {X, op(Op::Log, {op(Op::Sum, {op(Op::Exp, {X})})})})})})}),
       is_cross_entropy_of_log_softmax, softmax_cross_entropy,
       "-sum({1} * log_softmax({0})) fused into cross_entropy({0}, {1}) (gradient softmax({0}) - {1})"},
  };
}

}  // namespace

const std::vector<RewriteRule>& rewrite_rules() {
  static const std::vector<RewriteRule> rules = make_rules();
  return rules;
}

}  // namespace gradc::passes
