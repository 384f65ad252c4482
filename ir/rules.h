// ir/rules.h — each op's meaning and derivative, side by side.
//
// eval: the reference scalar semantics, in double precision. The interpreter
// and constant folding both use it, so they cannot drift apart; the JIT is
// tested against it.
// vjp: the vector-Jacobian product built as IR. Given the adjoint g = ∂out/∂y of
// a node y = op(x0, x1, ...), it adds nodes computing ∂out/∂xi = g · ∂y/∂xi for
// each operand that needs one. Because the result is IR, it can itself be
// differentiated (second order), simplified, drawn and compiled.
#pragma once

#include <array>

#include "ir/builder.h"

namespace gradc::ir {

struct VjpContext {
  explicit VjpContext(Builder& builder) : b(builder) {}

  Builder& b;
  NodeId y = kNoNode;              // the forward node
  std::array<NodeId, 3> x{};       // its operands
  NodeId g = kNoNode;              // ∂out/∂y
  std::array<bool, 3> wanted{};    // which operands need a gradient
  std::array<NodeId, 3> dx{kNoNode, kNoNode, kNoNode};  // results; kNoNode = zero

  bool needs(int i) const { return wanted[static_cast<size_t>(i)]; }
  void set(int i, NodeId d) { dx[static_cast<size_t>(i)] = d; }
};

struct OpRule {
  double (*eval)(const double* args);
  void (*vjp)(VjpContext& v);
};

const OpRule& rule(Op op);

inline double eval_op(Op op, const double* args) { return rule(op).eval(args); }

}  // namespace gradc::ir
