// ir/builder.h — shape-inferring node constructors.
//
// Every node is made through a Builder, so the dtype/shape rule, the source
// location and the role (forward or backward) are set in one place. The
// derivative rules in ir/rules.cpp use it, so they read like the maths.
//
// Shapes: elementwise ops broadcast their operands NumPy-style (no explicit
// broadcast node; autodiff sums the adjoint back to each operand's shape).
// A shape mismatch throws ir::ShapeError naming the op and both shapes; the
// frontend adds the source position.
#pragma once

#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace gradc::ir {

class Builder {
 public:
  explicit Builder(Graph& g, DType dtype = DType::F64) : g_(g), dtype_(dtype) {}

  Graph& graph() { return g_; }
  DType dtype() const { return dtype_; }
  void set_loc(SourceLoc loc) { loc_ = loc; }
  void set_role(Role role) { role_ = role; }
  void set_group(std::string group) { group_ = std::move(group); }
  const std::string& group() const { return group_; }
  int next_group_instance() { return ++group_instances_; }
  // By value: a reference into the arena dies when the next node is added.
  Shape shape(NodeId id) const { return g_[id].shape; }

  // Leaves. input() reuses the input if it exists (a scalar unless declared).
  NodeId input(std::string_view name);
  NodeId input(std::string_view name, Shape shape, Role role = Role::Input);
  NodeId constant(double v);  // a scalar; broadcasting gives it any shape

  // Elementwise.
  NodeId unary(Op op, NodeId a);
  NodeId binary(Op op, NodeId a, NodeId b);
  NodeId select(NodeId cond, NodeId if_true, NodeId if_false);
  NodeId make(Op op, const std::vector<NodeId>& operands);  // any elementwise op

  NodeId add(NodeId a, NodeId b) { return binary(Op::Add, a, b); }
  NodeId sub(NodeId a, NodeId b) { return binary(Op::Sub, a, b); }
  NodeId mul(NodeId a, NodeId b) { return binary(Op::Mul, a, b); }
  NodeId div(NodeId a, NodeId b) { return binary(Op::Div, a, b); }
  NodeId pow(NodeId a, NodeId b) { return binary(Op::Pow, a, b); }
  NodeId neg(NodeId a) { return unary(Op::Neg, a); }
  NodeId stop_gradient(NodeId a) { return unary(Op::StopGrad, a); }

  // Tensor ops. Axes may be negative (from the end); empty axes mean all axes.
  NodeId broadcast_to(NodeId a, Shape to);  // a itself if already that shape
  // The user's reshape: concrete dims, one of which may be -1 (inferred).
  NodeId reshape(NodeId a, const std::vector<int64_t>& dims);
  // To exactly `to`, which may hold symbolic dims (so no -1: that is symbol 0);
  // with symbols, only unit axes may come or go.
  NodeId reshape_to(NodeId a, Shape to);
  NodeId transpose(NodeId a, const std::vector<int>& perm = {});  // {} reverses (x.T)
  NodeId sum(NodeId a, const std::vector<int>& axes = {}, bool keepdims = false);
  NodeId reduce_max(NodeId a, const std::vector<int>& axes = {}, bool keepdims = false);
  NodeId matmul(NodeId a, NodeId b);
  NodeId one_hot(NodeId labels, int64_t classes);
  // −Σ t·log_softmax(z) along `axis`; z and t must have one shape. The axis is removed.
  NodeId softmax_cross_entropy(NodeId z, NodeId t, int axis);

  // Composed from the above.
  NodeId mean(NodeId a, const std::vector<int>& axes = {}, bool keepdims = false);
  // The sum of `a` over the axes a broadcast to a's shape stretched: the adjoint of
  // an operand that was broadcast. a itself when the shapes already agree.
  NodeId sum_to(NodeId a, Shape to);
  // The number of elements `axes` of `a` cover, as a constant. With symbolic
  // dims, a Const whose attr lists the dims and whose value bind_dims fills in.
  NodeId count(NodeId a, const std::vector<int>& axes);

 private:
  Node node(Op op, Role role) const;  // of the builder's dtype, at the current loc
  NodeId tensor_op(Op op, std::vector<NodeId> operands, Shape shape, std::vector<int64_t> attr = {});
  NodeId reduce(Op op, NodeId a, const std::vector<int>& axes, bool keepdims);

  Graph& g_;
  DType dtype_;
  SourceLoc loc_{};
  Role role_ = Role::Forward;
  std::string group_;
  int group_instances_ = 0;
};

// The axes of a reduction node (Sum, ReduceMax), and whether it kept them.
std::vector<int> reduced_axes(const Node& n);
bool keeps_dims(const Graph& g, const Node& n);
// A transpose that swaps only the last two axes: what a GEMM's trans flag does (fuse folds
// it into the matmul, codegen passes the flag, init knows the param's fan-in from it).
bool swaps_last_two(const Node& n);

}  // namespace gradc::ir
