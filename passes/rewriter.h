// passes/rewriter.h — builds a pass's output graph from its input graph.
//
// A pass walks the input in id order (a topological order) and, for each
// node, either copies it (operands remapped) or maps it to some node already in
// the output. The order invariant then holds by construction, and outputs and
// adjoint links follow their nodes. With interning on, a copy whose op, type,
// operands and constant equal an earlier node's returns that node instead: CSE.
// Groups (Graph::group, the call a node came from): a copy keeps its node's; a node
// merged into an earlier one keeps the earlier one's; a node added by a pass has the group
// the pass gives it (a rewrite gives its new nodes the group of the node they replace,
// passes/rewrite.cpp), so a call's box in the pictures still holds what computes it.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"

namespace gradc::passes {

class Rewriter {
 public:
  explicit Rewriter(const ir::Graph& in, bool interning = false);

  const ir::Graph& in() const { return in_; }
  ir::Graph& out() { return out_; }
  ir::NodeId map(ir::NodeId old) const { return map_[old]; }

  ir::NodeId copy(ir::NodeId old);                    // with operands remapped
  void map_to(ir::NodeId old, ir::NodeId new_id);     // old's value is new_id's
  ir::NodeId add(ir::Node n, std::string group = {});  // a new node (interned if on)
  int merged() const { return merged_; }

  ir::Graph finish() &&;

 private:
  // Interning: an open-addressed table of output nodes by what makes two nodes one value
  // (op, type, operands, constant bits, attributes; -0 and +0 stay apart). Flat, not a
  // std::unordered_map of copied keys: at 2.5x10^5 nodes that was a heap block an entry,
  // 32 MB, and most of CSE's time. A slot holds the node's id and hash; the node itself
  // is the key, read from the output graph.
  struct Slot {
    ir::NodeId id = ir::kNoNode;
    uint32_t hash = 0;
  };
  size_t probe(const ir::Node& n, uint32_t hash) const;  // the equal node's slot, or the empty one
  void grow();

  const ir::Graph& in_;
  ir::Graph out_;
  std::vector<ir::NodeId> map_;
  bool interning_;
  std::vector<Slot> slots_;  // a power of two, at most half full
  size_t interned_ = 0;
  int merged_ = 0;
};

}  // namespace gradc::passes
