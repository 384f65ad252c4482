// ir/pattern.h — tree patterns over the graph IR, the left-hand sides of the rewrite table.
//
// A pattern is a small tree written like the formula it matches:
//   op(Op::Log, {op(Op::Add, {cst(1), var(0)})})     matches log(1 + x), binding x as var 0
// Add and Mul are tried both ways round, so that pattern also matches log(x + 1). A var
// used twice must see the same value twice: the same node, or two nodes with the same op
// on the same operands (exp(z) / sum(exp(z)) written by hand has two exp nodes).
// Patterns are a few levels deep, so matching recurses over the pattern, never the graph.
#pragma once

#include <array>
#include <vector>

#include "ir/graph.h"

namespace gradc::ir {

struct Pattern {
  enum class Kind : uint8_t { Var, Const, Node } kind = Kind::Var;
  int var = 0;       // Var: the binding slot
  double value = 0;  // Const: a scalar constant of this value, sign of zero included
  Op op = Op::Const; // Node: the op, with `args` its operands' patterns
  std::vector<Pattern> args;
};

inline Pattern var(int slot) { return {Pattern::Kind::Var, slot, 0, Op::Const, {}}; }
inline Pattern cst(double v) { return {Pattern::Kind::Const, 0, v, Op::Const, {}}; }
inline Pattern op(Op o, std::vector<Pattern> args) { return {Pattern::Kind::Node, 0, 0, o, std::move(args)}; }

inline constexpr int kMaxVars = 4;

struct Bindings {
  std::array<NodeId, kMaxVars> var{kNoNode, kNoNode, kNoNode, kNoNode};
  NodeId operator[](int i) const { return var[static_cast<size_t>(i)]; }
};

// Whether `root` (a node not yet in g, whose operands are) matches p. On success b holds
// the bindings; on failure b is unspecified.
bool match(const Graph& g, const Node& root, const Pattern& p, Bindings& b);

// Two nodes compute the same value: the same id, or the same op, type, operands,
// constant and attributes (one level: what a duplicate written by hand looks like).
bool same_value(const Graph& g, NodeId a, NodeId b);

}  // namespace gradc::ir
