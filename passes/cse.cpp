// passes/cse.cpp — common-subexpression elimination.
//
// Two nodes compute the same value when they have the same op, type, (already
// merged) operands and constant. Index order is topological, so one forward
// walk merges operands before their users. Why a pass and not hash-consing in
// the frontend: users first see the graph they wrote (x+x written twice appears
// twice); this pass is where merging happens, so its picture shows it.
#include "passes/cse.h"

#include "passes/rewriter.h"

namespace gradc::passes {

ir::Graph run_cse(const ir::Graph& in, PassContext& ctx) {
  Rewriter rw(in, /*interning=*/true);
  for (ir::NodeId id = 0; id < in.size(); ++id) rw.copy(id);
  ctx.stats["cse.merged"] += rw.merged();
  return std::move(rw).finish();
}

}  // namespace gradc::passes
