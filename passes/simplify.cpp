// passes/simplify.cpp — constant folding and algebraic identities.
//
// Autodiff writes every chain-rule step literally (g·1, 0 + g, b − 1 with b a
// constant); this pass removes what is provably the same value. Each rule keeps
// IEEE semantics for every input, NaN and ±inf included, so the simplified
// graph computes exactly what the original computes. That is why x·0 → 0 is
// NOT a rule (inf·0 = NaN) and x − x → 0 is not either. The one liberty taken:
// x + 0 → x keeps the sign of a −0 that IEEE would turn into +0; a zero's sign
// cannot change any value gradc prints or any gradient.
#include "passes/simplify.h"

#include <array>
#include <optional>

#include "ir/rules.h"
#include "passes/rewriter.h"

namespace gradc::passes {

using ir::Node;
using ir::NodeId;
using ir::Op;

namespace {

bool is_const(const ir::Graph& g, NodeId id, double v) {
  return g[id].op == Op::Const && g[id].value == v;
}

// The node (in `out`) that n equals, when one of the identities applies.
std::optional<NodeId> identity_any_shape(const ir::Graph& out, const Node& n);

// An identity may drop a broadcast operand (x + 0 with x a scalar and 0 a
// tensor) only if what stays has the node's shape.
std::optional<NodeId> identity(const ir::Graph& out, const Node& n) {
  auto same = identity_any_shape(out, n);
  if (same && out[*same].shape == n.shape) return same;
  return std::nullopt;
}

std::optional<NodeId> identity_any_shape(const ir::Graph& out, const Node& n) {
  const auto& x = n.inputs;
  switch (n.op) {
    case Op::Add:  // x + 0 → x, 0 + x → x
      if (is_const(out, x[1], 0)) return x[0];
      if (is_const(out, x[0], 0)) return x[1];
      break;
    case Op::Sub:  // x − 0 → x
      if (is_const(out, x[1], 0)) return x[0];
      break;
    case Op::Mul:  // x · 1 → x, 1 · x → x
      if (is_const(out, x[1], 1)) return x[0];
      if (is_const(out, x[0], 1)) return x[1];
      break;
    case Op::Div:  // x / 1 → x
    case Op::Pow:  // x ^ 1 → x
      if (is_const(out, x[1], 1)) return x[0];
      break;
    case Op::Neg:  // −(−x) → x
      if (out[x[0]].op == Op::Neg) return out[x[0]].inputs[0];
      break;
    case Op::Select:  // c ? x : x → x; a constant c picks its branch
      if (x[1] == x[2]) return x[1];
      if (out[x[0]].op == Op::Const) return out[x[0]].value != 0 ? x[1] : x[2];
      break;
    default:
      break;
  }
  return std::nullopt;
}

// x ^ 2 → x · x: x·x is the correctly rounded square; pow may be 1 ulp off.
std::optional<Node> strength_reduce(const ir::Graph& out, const Node& n) {
  if (n.op == Op::Pow && is_const(out, n.inputs[1], 2)) {
    Node m = n;
    m.op = Op::Mul;
    m.inputs = {n.inputs[0], n.inputs[0]};
    return m;
  }
  return std::nullopt;
}

std::optional<double> fold(const ir::Graph& out, const Node& n) {
  // Constants are scalars; a tensor op of one keeps its shape, so is not folded.
  if (n.inputs.empty() || !ir::is_elementwise(n.op) || !n.shape.is_scalar()) return std::nullopt;
  std::array<double, 3> args{};
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    // A Const with attr is a count of symbolic dims, not yet a number.
    if (out[n.inputs[i]].op != Op::Const || !out[n.inputs[i]].attr.empty()) return std::nullopt;
    args[i] = out[n.inputs[i]].value;
  }
  double v = ir::eval_op(n.op, args.data());
  return n.dtype == ir::DType::F32 ? static_cast<float>(v) : v;
}

}  // namespace

ir::Graph run_simplify(const ir::Graph& in, PassContext& ctx) {
  Rewriter rw(in);
  int rewritten = 0;
  for (NodeId id = 0; id < in.size(); ++id) {
    Node n = in[id];
    for (NodeId& op : n.inputs) op = rw.map(op);
    n.adjoint = ir::kNoNode;
    if (auto same = identity(rw.out(), n)) {
      rw.map_to(id, *same);
    } else if (auto v = fold(rw.out(), n)) {
      n.op = Op::Const;
      n.inputs.clear();
      n.value = *v;
      n.role = ir::Role::Const;
      rw.map_to(id, rw.add(std::move(n)));
    } else if (auto m = strength_reduce(rw.out(), n)) {
      rw.map_to(id, rw.add(std::move(*m)));
    } else {
      rw.map_to(id, rw.add(std::move(n)));
      continue;
    }
    ++rewritten;
  }
  ctx.stats["simplify.rewritten"] += rewritten;
  return std::move(rw).finish();
}

}  // namespace gradc::passes
