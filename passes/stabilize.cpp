// passes/stabilize.cpp — the stabilising rules of the rewrite table, before autodiff.
//
// Programs written the way the homework writes them compute log(softmax(z)),
// log(1 + x), log(sigmoid(x)): right in real arithmetic, and -inf, 0 or NaN in floating
// point where softmax underflows, x is below machine epsilon, or the sigmoid rounds to 0.
// This pass rewrites each into a form with the same real value that stays finite and
// accurate (passes/rewrite_rules.cpp, set Stabilizing), and reports each rewrite as a
// remark at its source position. It runs before autodiff, so the gradient is built
// from the stable form and is stable too: ∂J/∂z of -sum(y·log(softmax(z))) becomes
// softmax(z)·Σy − y instead of a quotient by an underflowed softmax.
// What a rewrite leaves unused (softmax's division) is dropped here, so the picture
// after this pass shows only what is computed.
#include "passes/stabilize.h"

#include "passes/dce.h"
#include "passes/rewrite.h"

namespace gradc::passes {

namespace {

bool may_stabilize(const ir::Graph& g, const ir::Node& n) { return rules_match(g, n, RuleSet::Stabilizing); }

}  // namespace

bool applies_stabilize(const ir::Graph& g) { return any_node_matches(g, may_stabilize); }

ir::Graph run_stabilize(const ir::Graph& in, PassContext& ctx) {
  int rewritten = 0;
  ir::Graph g = rewrite_to_fixpoint(
      in,
      [&](ir::Graph& out, const ir::Node& n, const std::string& group) {
        return apply_rules(out, n, group, RuleSet::Stabilizing, ctx);
      },
      may_stabilize, rewritten);
  ctx.stats["stabilize.rewritten"] += rewritten;
  if (rewritten == 0) return g;
  PassContext quiet;
  return run_dce(g, quiet);
}

}  // namespace gradc::passes
