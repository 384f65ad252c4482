// ir/pattern.cpp — matching a pattern tree against a node and its operands.
#include "ir/pattern.h"

#include <cmath>

namespace gradc::ir {

namespace {

bool is_commutative(Op o) { return o == Op::Add || o == Op::Mul; }

bool match_node(const Graph& g, const Node& n, NodeId id, const Pattern& p, Bindings& b);

bool match_id(const Graph& g, NodeId id, const Pattern& p, Bindings& b) {
  return match_node(g, g[id], id, p, b);
}

bool match_operands(const Graph& g, const std::vector<NodeId>& in, const Pattern& p, Bindings& b) {
  if (in.size() != p.args.size()) return false;
  const Bindings saved = b;
  bool ok = true;
  for (size_t i = 0; i < in.size() && ok; ++i) ok = match_id(g, in[i], p.args[i], b);
  if (ok || !is_commutative(p.op)) return ok;
  b = saved;  // the other way round: a + b as b + a
  return match_id(g, in[1], p.args[0], b) && match_id(g, in[0], p.args[1], b);
}

// `id` is n's id in g, or kNoNode for a root not yet added (it cannot be bound twice).
bool match_node(const Graph& g, const Node& n, NodeId id, const Pattern& p, Bindings& b) {
  switch (p.kind) {
    case Pattern::Kind::Var: {
      NodeId& slot = b.var[static_cast<size_t>(p.var)];
      if (slot == kNoNode) {
        slot = id;
        return id != kNoNode;
      }
      return id != kNoNode && same_value(g, slot, id);
    }
    case Pattern::Kind::Const:  // −0 and +0 are different constants to a rewrite
      return n.op == Op::Const && n.attr.empty() && n.value == p.value &&
             std::signbit(n.value) == std::signbit(p.value);
    case Pattern::Kind::Node:
      return n.op == p.op && match_operands(g, n.inputs, p, b);
  }
  return false;
}

}  // namespace

bool same_value(const Graph& g, NodeId a, NodeId b) {
  if (a == b) return true;
  const Node &x = g[a], &y = g[b];
  if (x.op == Op::Input || x.op != y.op || x.dtype != y.dtype || !(x.shape == y.shape)) return false;
  return x.inputs == y.inputs && x.attr == y.attr && (x.op != Op::Const || x.value == y.value);
}

bool match(const Graph& g, const Node& root, const Pattern& p, Bindings& b) {
  b = Bindings{};
  return match_node(g, root, kNoNode, p, b);
}

}  // namespace gradc::ir
