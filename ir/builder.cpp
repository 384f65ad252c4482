// ir/builder.cpp — node constructors. Scalars only for now: every value is
// shape [] of the builder's dtype; tensors will add broadcasting here.
#include "ir/builder.h"

#include "ir/check.h"

namespace gradc::ir {

Node Builder::node(Op op, Role role) const {
  Node n;
  n.op = op;
  n.dtype = dtype_;
  n.loc = loc_;
  n.role = role;
  return n;
}

NodeId Builder::input(std::string_view name) {
  if (NodeId id = g_.find_input(name); id != kNoNode) return id;
  Node n = node(Op::Input, Role::Input);
  n.name = std::string(name);
  return g_.add(std::move(n));
}

NodeId Builder::constant(double v) {
  Node n = node(Op::Const, Role::Const);
  n.value = v;
  return g_.add(std::move(n));
}

NodeId Builder::make(Op op, const std::vector<NodeId>& operands) {
  GRADC_ASSERT(op != Op::Input && op != Op::Const, "leaves are made by input()/constant()");
  Node n = node(op, role_);
  n.inputs = operands;
  return g_.add(std::move(n));
}

NodeId Builder::unary(Op op, NodeId a) { return make(op, {a}); }
NodeId Builder::binary(Op op, NodeId a, NodeId b) { return make(op, {a, b}); }
NodeId Builder::select(NodeId c, NodeId t, NodeId f) { return make(Op::Select, {c, t, f}); }

}  // namespace gradc::ir
