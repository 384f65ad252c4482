// ir/builder.cpp — node constructors with shape inference.
#include "ir/builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

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
  return input(name, Shape{}, Role::Input);
}

NodeId Builder::input(std::string_view name, Shape shape, Role role) {
  GRADC_ASSERT(g_.find_input(name) == kNoNode, "input declared twice");
  Node n = node(Op::Input, role);
  n.name = std::string(name);
  n.shape = std::move(shape);
  return g_.add(std::move(n));  // an input belongs to no call
}

NodeId Builder::constant(double v) {
  Node n = node(Op::Const, Role::Const);
  n.value = v;
  return g_.add(std::move(n), group_);
}

NodeId Builder::make(Op op, const std::vector<NodeId>& operands) {
  GRADC_ASSERT(is_elementwise(op), "make() builds elementwise ops");
  Node n = node(op, role_);
  n.inputs = operands;
  n.shape = g_[operands[0]].shape;
  for (size_t i = 1; i < operands.size(); ++i)
    n.shape = broadcast_shapes(mnemonic(op), n.shape, g_[operands[i]].shape, &g_.dim_names);
  return g_.add(std::move(n), group_);
}

NodeId Builder::unary(Op op, NodeId a) { return make(op, {a}); }
NodeId Builder::binary(Op op, NodeId a, NodeId b) { return make(op, {a, b}); }
NodeId Builder::select(NodeId c, NodeId t, NodeId f) { return make(Op::Select, {c, t, f}); }

NodeId Builder::tensor_op(Op op, std::vector<NodeId> operands, Shape shape, std::vector<int64_t> attr) {
  Node n = node(op, role_);
  n.inputs = std::move(operands);
  n.shape = std::move(shape);
  n.attr = std::move(attr);
  return g_.add(std::move(n), group_);
}

NodeId Builder::broadcast_to(NodeId a, Shape to) {
  if (shape(a) == to) return a;
  // Checks that a broadcasts to exactly `to` (throws otherwise).
  broadcast_axes(shape(a), to, &g_.dim_names);
  return tensor_op(Op::Broadcast, {a}, to);
}

namespace {

// The dims other than 1, in order: two shapes with the same such dims differ only
// by unit axes, so reshaping between them moves no element (even with symbols).
std::vector<Dim> non_unit_dims(const Shape& s) {
  std::vector<Dim> out;
  for (Dim d : s.dims)
    if (d != 1) out.push_back(d);
  return out;
}

}  // namespace

NodeId Builder::reshape(NodeId a, const std::vector<int64_t>& dims) {
  return reshape_to(a, reshape_shape(shape(a), dims, &g_.dim_names));
}

NodeId Builder::reshape_to(NodeId a, Shape to) {
  const Shape from = shape(a);
  if (from == to) return a;
  auto has_symbol = [](const Shape& s) { return std::any_of(s.dims.begin(), s.dims.end(), is_symbolic); };
  if (has_symbol(from) || has_symbol(to) ? non_unit_dims(from) != non_unit_dims(to)
                                         : element_count(from) != element_count(to))
    throw ShapeError(fmt::format("reshape: cannot reshape {} into {}", to_string(from, &g_.dim_names),
                                 to_string(to, &g_.dim_names)));
  return tensor_op(Op::Reshape, {a}, std::move(to));
}

NodeId Builder::transpose(NodeId a, const std::vector<int>& perm) {
  std::vector<int64_t> p;
  if (perm.empty()) {
    for (int i = shape(a).rank(); i-- > 0;) p.push_back(i);
  } else {
    const int rank = shape(a).rank();
    for (int axis : perm) p.push_back(axis < 0 ? axis + rank : axis);
  }
  Shape to = transpose_shape(shape(a), perm, &g_.dim_names);
  bool identity = true;
  for (size_t i = 0; i < p.size(); ++i) identity = identity && p[i] == static_cast<int64_t>(i);
  if (identity) return a;
  return tensor_op(Op::Transpose, {a}, std::move(to), std::move(p));
}

NodeId Builder::reduce(Op op, NodeId a, const std::vector<int>& axes, bool keepdims) {
  const Shape to = reduce_shape(mnemonic(op), shape(a), axes, keepdims, &g_.dim_names);
  const int rank = shape(a).rank();
  std::vector<int64_t> attr;
  if (axes.empty()) {
    attr.resize(static_cast<size_t>(rank));
    std::iota(attr.begin(), attr.end(), 0);
  } else {
    for (int axis : axes) attr.push_back(axis < 0 ? axis + rank : axis);
    std::sort(attr.begin(), attr.end());
  }
  if (attr.empty()) return a;  // a scalar: nothing to reduce
  return tensor_op(op, {a}, to, std::move(attr));
}

NodeId Builder::sum(NodeId a, const std::vector<int>& axes, bool keepdims) {
  return reduce(Op::Sum, a, axes, keepdims);
}

NodeId Builder::reduce_max(NodeId a, const std::vector<int>& axes, bool keepdims) {
  return reduce(Op::ReduceMax, a, axes, keepdims);
}

NodeId Builder::matmul(NodeId a, NodeId b) {
  return tensor_op(Op::MatMul, {a, b}, matmul_shape(shape(a), shape(b), &g_.dim_names));
}

NodeId Builder::one_hot(NodeId labels, int64_t classes) {
  if (classes <= 0) throw ShapeError(fmt::format("one_hot: the number of classes must be positive, not {}", classes));
  Shape to = shape(labels);
  to.dims.push_back(classes);
  return tensor_op(Op::OneHot, {labels}, std::move(to), {classes});
}

NodeId Builder::softmax_cross_entropy(NodeId z, NodeId t, int axis) {
  if (!(shape(z) == shape(t)))
    throw ShapeError(fmt::format("softmax_cross_entropy: logits {} and targets {} must have the same shape",
                                 to_string(shape(z), &g_.dim_names), to_string(shape(t), &g_.dim_names)));
  const Shape to = reduce_shape("softmax_cross_entropy", shape(z), {axis}, false, &g_.dim_names);
  const int rank = shape(z).rank();
  return tensor_op(Op::SoftmaxXent, {z, t}, to, {axis < 0 ? axis + rank : axis});
}

NodeId Builder::count(NodeId a, const std::vector<int>& axes) {
  const Shape s = shape(a);
  std::vector<int64_t> dims;
  for (int axis = 0; axis < s.rank(); ++axis) {
    const bool counted = axes.empty() || std::find_if(axes.begin(), axes.end(), [&](int x) {
                                           return (x < 0 ? x + s.rank() : x) == axis;
                                         }) != axes.end();
    if (counted) dims.push_back(s.dims[static_cast<size_t>(axis)]);
  }
  const bool symbolic = std::any_of(dims.begin(), dims.end(), is_symbolic);
  double n = 1;
  for (int64_t d : dims) n *= static_cast<double>(d);
  NodeId c = constant(symbolic ? std::nan("") : n);
  // Unknown until the dims are bound (ir/bind_dims.h): the node keeps the dims
  // whose product it stands for, and NaN meanwhile, so nothing can fold it early.
  if (symbolic) g_[c].attr = dims;
  return c;
}

NodeId Builder::mean(NodeId a, const std::vector<int>& axes, bool keepdims) {
  // Validate the axes first, so an error names mean rather than sum.
  reduce_shape("mean", shape(a), axes, keepdims, &g_.dim_names);
  return div(sum(a, axes, keepdims), count(a, axes));
}

NodeId Builder::sum_to(NodeId a, Shape to) {
  if (shape(a) == to) return a;
  const BroadcastAxes ax = broadcast_axes(to, shape(a), &g_.dim_names);
  NodeId s = sum(a, ax.sum_axes, /*keepdims=*/false);
  return reshape_to(s, ax.reshaped_to);
}

std::vector<int> reduced_axes(const Node& n) {
  return std::vector<int>(n.attr.begin(), n.attr.end());
}

bool keeps_dims(const Graph& g, const Node& n) {
  return g[n.inputs[0]].shape.rank() == n.shape.rank();
}

bool swaps_last_two(const Node& n) {
  const size_t r = n.attr.size();
  if (n.op != Op::Transpose || r < 2) return false;
  for (size_t i = 0; i + 2 < r; ++i)
    if (n.attr[i] != static_cast<int64_t>(i)) return false;
  return n.attr[r - 2] == static_cast<int64_t>(r - 1) && n.attr[r - 1] == static_cast<int64_t>(r - 2);
}

}  // namespace gradc::ir
