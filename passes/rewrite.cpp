// passes/rewrite.cpp — sweeps to a fixed point, and applying the rewrite table to one node.
#include "passes/rewrite.h"

#include <fmt/format.h>

#include "passes/rewriter.h"

namespace gradc::passes {

namespace {

constexpr int kMaxSweeps = 8;  // rules shrink or stabilise the graph; a few sweeps reach the fixed point

ir::Graph sweep(const ir::Graph& in, const NodeRewrite& rewrite, int& rewritten) {
  Rewriter rw(in);
  for (ir::NodeId id = 0; id < in.size(); ++id) {
    ir::Node n = in[id];
    for (ir::NodeId& x : n.inputs) x = rw.map(x);
    if (std::optional<ir::NodeId> r = rewrite(rw.out(), n, in.group(id))) {
      rw.map_to(id, *r);
      ++rewritten;
    } else {
      rw.map_to(id, rw.add(std::move(n), in.group(id)));
    }
  }
  return std::move(rw).finish();
}

// How a remark names a value: the user's name; through the max-shift that softmax and
// log_softmax put on their input, the input's; else the op that made it.
std::string name_of(const ir::Graph& g, ir::NodeId id) {
  const ir::Node& n = g[id];
  if (!n.name.empty()) return n.name;
  if (n.op == ir::Op::Sub && g[n.inputs[1]].op == ir::Op::StopGrad) return name_of(g, n.inputs[0]);
  if (n.op == ir::Op::Const) return fmt::format("{}", n.value);
  return fmt::format("{}(...)", ir::mnemonic(n.op));
}

std::string remark_text(const ir::Graph& g, std::string_view pattern, const ir::Bindings& b) {
  std::string out(pattern);
  for (int i = 0; i < ir::kMaxVars; ++i) {
    const std::string slot = fmt::format("{{{}}}", i);
    if (b[i] == ir::kNoNode) continue;
    for (size_t at = out.find(slot); at != std::string::npos; at = out.find(slot, at))
      out.replace(at, slot.size(), name_of(g, b[i]));
  }
  return out;
}

}  // namespace

bool any_node_matches(const ir::Graph& g, NodeMatches may_rewrite) {
  for (ir::NodeId id = 0; id < g.size(); ++id)
    if (may_rewrite(g, g[id])) return true;
  return false;
}

ir::Graph rewrite_to_fixpoint(const ir::Graph& in, const NodeRewrite& rewrite, NodeMatches may_rewrite,
                              int& rewritten) {
  int now = 0;
  ir::Graph g = sweep(in, rewrite, now);  // the first sweep reads `in`: no copy of it first
  rewritten += now;
  for (int i = 1; i < kMaxSweeps && now != 0 && any_node_matches(g, may_rewrite); ++i) {
    now = 0;
    g = sweep(g, rewrite, now);
    rewritten += now;
  }
  return g;
}

bool rules_match(const ir::Graph& g, const ir::Node& n, RuleSet set) {
  for (const RewriteRule& rule : rewrite_rules()) {
    if (rule.set != set || rule.from.op != n.op) continue;
    ir::Bindings b;
    if (ir::match(g, n, rule.from, b) && (!rule.when || rule.when(g, n, b))) return true;
  }
  return false;
}

std::optional<ir::NodeId> apply_rules(ir::Graph& out, const ir::Node& n, const std::string& group, RuleSet set,
                                      PassContext& ctx) {
  for (const RewriteRule& rule : rewrite_rules()) {
    if (rule.set != set || rule.from.op != n.op) continue;
    ir::Bindings b;
    if (!ir::match(out, n, rule.from, b) || (rule.when && !rule.when(out, n, b))) continue;
    ir::Builder builder(out, n.dtype);
    builder.set_loc(n.loc);
    builder.set_role(n.role);
    builder.set_group(group);
    const ir::NodeId r = rule.to(builder, n, b);
    if (!(out[r].shape == n.shape) || out[r].dtype != n.dtype) continue;  // a dropped broadcast: keep n
    if (!rule.remark.empty()) ctx.remarks.push_back({n.loc, remark_text(out, rule.remark, b)});
    ctx.stats[fmt::format("rule.{}", rule.name)] += 1;
    return r;
  }
  return std::nullopt;
}

}  // namespace gradc::passes
