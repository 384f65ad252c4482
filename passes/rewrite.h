// passes/rewrite.h — the engine that applies the rewrite table (passes/rewrite_rules.h).
//
// A sweep walks the input in id order (operands before users, so an operand is
// rewritten before its user's patterns look at it), offers each node to a rewrite
// function, and copies it when none applies. Sweeps repeat until one changes nothing,
// so a replacement that itself matches a rule is rewritten too.
#pragma once

#include <functional>
#include <optional>

#include "passes/pass.h"
#include "passes/rewrite_rules.h"

namespace gradc::passes {

// What a node (its operands already in `out`; `group` its Graph::group) becomes: the id of
// a node in `out`, or nullopt to keep a copy of it. Nodes it adds should be in `group`.
using NodeRewrite =
    std::function<std::optional<ir::NodeId>(ir::Graph& out, const ir::Node& n, const std::string& group)>;

// Whether `rewrite` might replace n (operands in g): never false where it would. A sweep
// after which no node may be rewritten is the fixed point, so no further sweep (a full
// copy of the graph) is needed to find out.
using NodeMatches = bool (*)(const ir::Graph& g, const ir::Node& n);

// Sweeps to a fixed point; `rewritten` counts the replacements made. Nodes a
// replacement left unused stay, for `dce` to drop.
ir::Graph rewrite_to_fixpoint(const ir::Graph& in, const NodeRewrite& rewrite, NodeMatches may_rewrite,
                              int& rewritten);
bool any_node_matches(const ir::Graph& g, NodeMatches may_rewrite);

// Whether some rule of `set` matches n, side condition included (applying it may still
// decline, when the replacement would change n's shape).
bool rules_match(const ir::Graph& g, const ir::Node& n, RuleSet set);

// The first rule of `set` that matches n, applied: its replacement's id in `out`.
// Stabilising rules add a remark to ctx at n's source position.
std::optional<ir::NodeId> apply_rules(ir::Graph& out, const ir::Node& n, const std::string& group, RuleSet set,
                                      PassContext& ctx);

}  // namespace gradc::passes
