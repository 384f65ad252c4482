// ir/graph.h — the graph IR: an arena of nodes addressed by index.
//
// Why an arena: operands always have smaller ids than their users, so index
// order is a topological order. The interpreter is a forward loop, autodiff a
// reverse loop, DCE one backward marking loop: nothing recurses over a
// user-sized graph, and a 10,000-deep chain is as easy as a short one.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/huge_pages.h"
#include "ir/kernel.h"
#include "ir/op.h"
#include "ir/shape.h"
#include "ir/types.h"

namespace gradc::ir {

using NodeId = uint32_t;

// What a node is for the reader: pictures draw each role differently.
// Params are inputs too (Op::Input) but are what training updates and what
// gradients are taken with respect to by default.
enum class Role : uint8_t { Input, Param, Const, Forward, Backward };

struct Node {
  Op op = Op::Const;
  DType dtype = DType::F64;
  Shape shape;                  // [] for scalars; negative dims name Graph::dim_names
  SmallVector<NodeId, 3> inputs;  // operands; each id < this node's id (arity <= 3: inline)
  double value = 0;             // Const: the constant
  std::string name;             // Input: its name; others: the user's binding (a, b, f) if any
  SourceLoc loc;                // where the user wrote it; backward nodes: their forward node's
  Role role = Role::Forward;
  SmallVector<int64_t, 4> attr;  // Tensor ops: axes, permutation or class count (ir/ops.def)
  bool integer = false;         // Input: holds integers (class labels), never differentiated
  std::string init;             // Param: its initialiser as written ("he()"), for training

  // Field by field, the constant by its bits: a NaN constant is the same node as itself
  // (with `= default` a graph holding one never equalled its own copy, so every pass
  // reported it changed).
  bool operator==(const Node& o) const {
    return op == o.op && dtype == o.dtype && shape == o.shape && inputs == o.inputs &&
           std::bit_cast<uint64_t>(value) == std::bit_cast<uint64_t>(o.value) && name == o.name && loc == o.loc &&
           role == o.role && attr == o.attr && integer == o.integer && init == o.init;
  }
};

// The name of a call as the user wrote it: "softmax" for the group "softmax#3" (each call
// is its own instance; see ir/nn.h GroupScope).
std::string group_name(std::string_view group);

// A named result of the graph: the program's value, a gradient, a Hessian entry.
struct Output {
  std::string name;
  NodeId id;

  bool operator==(const Output&) const = default;
};

class Graph {
 public:
  NodeId add(Node n, std::string group = {});  // checks the operand-order invariant
  void reserve(size_t nodes);

  const Node& operator[](NodeId id) const { return nodes_[id]; }
  Node& operator[](NodeId id) { return nodes_[id]; }
  NodeId size() const { return static_cast<NodeId>(nodes_.size()); }
  std::span<const Node> nodes() const { return nodes_; }

  // Input nodes, in the order they were first used (the calling convention).
  const std::vector<NodeId>& inputs() const { return inputs_; }
  NodeId find_input(std::string_view name) const;  // kNoNode if absent
  std::vector<std::string> input_names() const;

  std::vector<Output> outputs;
  DimNames dim_names;  // names of the symbolic dims (B, N), for printing and errors

  // The kernel form (ir/kernel.h), in execution order: empty until passes/fuse.cpp runs,
  // and codegen then emits one function per node as it always did. `memory` is
  // plan-memory's placement of the kernels' buffers (empty: codegen plans them).
  std::vector<Kernel> kernels;
  MemoryPlan memory;

  // Two side tables, one entry per node, for the pictures (ir/dot.h) and the printed IR;
  // kept off Node because only they and a few rules read them, never the arithmetic.
  // group(id): the composite or function call the node came from ("softmax#3", ir/nn.h
  // GroupScope; "" for none), set as the node is added; passes keep it where a node maps
  // to one node and give a rewrite's new nodes the group of the node they replace
  // (passes/rewriter.h). adjoint(id): the node holding d(output)/d(id), kNoNode for none,
  // recorded by the autodiff pass from the map append_gradients returns (ir/gradients.h).
  const std::string& group(NodeId id) const { return groups_[id]; }
  void set_group(NodeId id, std::string group) { groups_[id] = std::move(group); }
  NodeId adjoint(NodeId id) const { return adjoints_[id]; }
  void set_adjoint(NodeId id, NodeId holder) { adjoints_[id] = holder; }

  // Each call of a user def as written, by its group ("g#2" -> "g(x, x)"), set by the
  // frontend: the call's collapsed box is labelled with it (ir/dot.cpp), since the arrows
  // flowing in cannot tell g(x, x) from g(x). Passes carry it unchanged; not part of ==.
  std::map<std::string, std::string, std::less<>> call_texts;

  // Same nodes in the same order, side tables, outputs, kernels and memory plan (what "a
  // pass changed nothing" means).
  bool operator==(const Graph& o) const {
    return nodes_ == o.nodes_ && groups_ == o.groups_ && adjoints_ == o.adjoints_ && outputs == o.outputs &&
           kernels == o.kernels && memory == o.memory;
  }

  // "f32[B,784]": a node's type with its dims named.
  std::string type_string(NodeId id) const;

 private:
  template <class T>
  using PerNode = std::vector<T, HugePageAllocator<T>>;  // one entry a node: large graphs, large arrays

  PerNode<Node> nodes_;
  std::vector<NodeId> inputs_;
  PerNode<std::string> groups_;
  PerNode<NodeId> adjoints_;
};

}  // namespace gradc::ir
