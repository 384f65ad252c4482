// passes/dce.cpp — dead-code elimination.
//
// A node is live when an output needs it. One backward loop over ids marks
// operands of live nodes (users come after operands, so one sweep suffices);
// the forward copy keeps only live nodes. Inputs always stay: they are the
// compiled function's calling convention, used or not.
#include "passes/dce.h"

#include "passes/rewriter.h"

namespace gradc::passes {

ir::Graph run_dce(const ir::Graph& in, PassContext& ctx) {
  std::vector<bool> live(in.size(), false);
  for (const ir::Output& o : in.outputs) live[o.id] = true;
  for (ir::NodeId id : in.inputs()) live[id] = true;
  for (ir::NodeId id = in.size(); id-- > 0;)
    if (live[id])
      for (ir::NodeId op : in[id].inputs) live[op] = true;
  Rewriter rw(in);
  int removed = 0;
  for (ir::NodeId id = 0; id < in.size(); ++id) {
    if (live[id]) rw.copy(id);
    else ++removed;
  }
  ctx.stats["dce.removed"] += removed;
  return std::move(rw).finish();
}

}  // namespace gradc::passes
