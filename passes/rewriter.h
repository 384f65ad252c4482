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

#include <unordered_map>

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
  // What makes two nodes one value. Hashed, not ordered: at 10^5 nodes a std::map of
  // these was a third of CSE's time.
  struct Key {
    ir::Op op;
    ir::DType dtype;
    decltype(ir::Node::inputs) inputs;
    uint64_t constant;  // the bits, so that -0 and +0 stay apart
    decltype(ir::Shape::dims) dims;
    decltype(ir::Node::attr) attr;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  const ir::Graph& in_;
  ir::Graph out_;
  std::vector<ir::NodeId> map_;
  bool interning_;
  std::unordered_map<Key, ir::NodeId, KeyHash> interned_;
  int merged_ = 0;
};

}  // namespace gradc::passes
