// passes/simplify.cpp — constant folding and the exact rules of the rewrite table.
//
// Autodiff writes every chain-rule step literally (g·1, 0 + g, b − 1 with b a
// constant); this pass removes what is provably the same value. Every rule keeps
// IEEE semantics for every input, NaN and ±inf included, so the simplified graph
// computes exactly what the original computes. That is why x·0 → 0 is NOT a rule
// (inf·0 = NaN) and x − x → 0 is not either. The one liberty taken: x + 0 → x keeps
// the sign of a −0 that IEEE would turn into +0; a zero's sign cannot change any
// value gradc prints or any gradient. The rules themselves are rows of
// passes/rewrite_rules.cpp (set Exact).
#include "passes/simplify.h"

#include <array>

#include "ir/rules.h"
#include "passes/rewrite.h"

namespace gradc::passes {

namespace {

// An elementwise op on scalar constants, evaluated by the reference rule, rounded to the
// node's type.
std::optional<double> fold(const ir::Graph& out, const ir::Node& n) {
  // Constants are scalars; a tensor op of one keeps its shape, so is not folded.
  if (n.inputs.empty() || !ir::is_elementwise(n.op) || !n.shape.is_scalar()) return std::nullopt;
  std::array<double, 3> args{};
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    // A Const with attr is a count of symbolic dims, not yet a number.
    if (out[n.inputs[i]].op != ir::Op::Const || !out[n.inputs[i]].attr.empty()) return std::nullopt;
    // rounded to the node's type first, as the interpreter and the JIT read a constant
    const double v = out[n.inputs[i]].value;
    args[i] = n.dtype == ir::DType::F32 ? static_cast<float>(v) : v;
  }
  double v = ir::eval_op(n.op, args.data());
  return n.dtype == ir::DType::F32 ? static_cast<float>(v) : v;
}

bool may_simplify(const ir::Graph& g, const ir::Node& n) {
  return fold(g, n).has_value() || rules_match(g, n, RuleSet::Exact);
}

}  // namespace

ir::Graph run_simplify(const ir::Graph& in, PassContext& ctx) {
  int rewritten = 0;
  ir::Graph g = rewrite_to_fixpoint(
      in,
      [&](ir::Graph& out, const ir::Node& n, const std::string& group) -> std::optional<ir::NodeId> {
        if (std::optional<double> v = fold(out, n)) {
          ir::Node c = n;
          c.op = ir::Op::Const;
          c.inputs.clear();
          c.value = *v;
          c.role = ir::Role::Const;
          return out.add(std::move(c), group);
        }
        return apply_rules(out, n, group, RuleSet::Exact, ctx);
      },
      may_simplify, rewritten);
  ctx.stats["simplify.rewritten"] += rewritten;
  return g;
}

}  // namespace gradc::passes
