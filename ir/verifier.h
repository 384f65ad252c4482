// ir/verifier.h — the IR's invariants, checked after every pass.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace gradc::ir {

// Every broken invariant, one message each; empty when the graph is well formed.
std::vector<std::string> verify(const Graph& g);

// What verify() reports about node `id` alone: operands, types, shape (the IR text
// parser checks each node as it reads it, to point at the line).
std::vector<std::string> verify_node(const Graph& g, NodeId id);

}  // namespace gradc::ir
