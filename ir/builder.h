// ir/builder.h — shape-inferring node constructors.
//
// Every node is made through a Builder, so the dtype/shape rule, the source
// location and the role (forward or backward) are set in one place. The
// derivative rules in ir/rules.cpp use it, so they read like the maths.
#pragma once

#include <string_view>

#include "ir/graph.h"

namespace gradc::ir {

class Builder {
 public:
  explicit Builder(Graph& g, DType dtype = DType::F64) : g_(g), dtype_(dtype) {}

  Graph& graph() { return g_; }
  void set_loc(SourceLoc loc) { loc_ = loc; }
  void set_role(Role role) { role_ = role; }

  NodeId input(std::string_view name);  // reuses the input if it exists
  NodeId constant(double v);
  NodeId unary(Op op, NodeId a);
  NodeId binary(Op op, NodeId a, NodeId b);
  NodeId select(NodeId cond, NodeId if_true, NodeId if_false);
  NodeId make(Op op, const std::vector<NodeId>& operands);  // any non-leaf op

  NodeId add(NodeId a, NodeId b) { return binary(Op::Add, a, b); }
  NodeId sub(NodeId a, NodeId b) { return binary(Op::Sub, a, b); }
  NodeId mul(NodeId a, NodeId b) { return binary(Op::Mul, a, b); }
  NodeId div(NodeId a, NodeId b) { return binary(Op::Div, a, b); }
  NodeId pow(NodeId a, NodeId b) { return binary(Op::Pow, a, b); }
  NodeId neg(NodeId a) { return unary(Op::Neg, a); }

 private:
  Node node(Op op, Role role) const;  // scalar of the builder's dtype, at the current loc

  Graph& g_;
  DType dtype_;
  SourceLoc loc_{};
  Role role_ = Role::Forward;
};

}  // namespace gradc::ir
