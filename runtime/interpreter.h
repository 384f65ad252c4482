// runtime/interpreter.h — the reference interpreter: the oracle for the JIT.
//
// One forward loop over the node arena, in double precision, using only the
// rule table's eval (ir/rules.h). F32 graphs round every node's value to float,
// as the compiled code does.
#pragma once

#include <span>
#include <vector>

#include "ir/graph.h"

namespace gradc::runtime {

// The value of every node. `inputs` follows g.inputs() order.
std::vector<double> interpret_all(const ir::Graph& g, std::span<const double> inputs);

// The graph's outputs, in g.outputs order.
std::vector<double> interpret(const ir::Graph& g, std::span<const double> inputs);

}  // namespace gradc::runtime
