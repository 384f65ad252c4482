// passes/rewrite_rules.h — THE rewrite table: pattern → replacement, with side conditions.
//
// One row per rule (Halide's rewrite(x + 0, x), tinygrad's pattern matcher). Exact rules
// keep every IEEE result, NaN and ±inf included, and run in `simplify` (-O1). Stabilising
// rules compute the same real function without the overflow, underflow or cancellation
// that the written form suffers (log(1 + x) loses x below 1e-16, log(softmax(z)) is
// -inf where softmax underflows), run in `stabilize` (-O2), and each is reported by
// --remarks at its source position. docs/rewrites.md lists them.
#pragma once

#include <string_view>
#include <vector>

#include "ir/builder.h"
#include "ir/pattern.h"

namespace gradc::passes {

enum class RuleSet : uint8_t { Exact, Stabilizing };

struct RewriteRule {
  std::string_view name;
  RuleSet set;
  ir::Pattern from;
  // Side condition on the match; null: always. `root` is the matched node (operands in g).
  bool (*when)(const ir::Graph& g, const ir::Node& root, const ir::Bindings& b);
  // The replacement, built into the graph being rewritten; it must have root's shape.
  ir::NodeId (*to)(ir::Builder& b, const ir::Node& root, const ir::Bindings& v);
  // For --remarks: "{0}" stands for the name of var 0. Empty: the rule is not reported.
  std::string_view remark;
};

const std::vector<RewriteRule>& rewrite_rules();

}  // namespace gradc::passes
