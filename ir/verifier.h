// ir/verifier.h — the IR's invariants, checked after every pass.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace gradc::ir {

// Every broken invariant, one message each; empty when the graph is well formed.
std::vector<std::string> verify(const Graph& g);

}  // namespace gradc::ir
