// runtime/interpreter.h — the reference interpreter: the oracle for the JIT.
//
// One forward loop over the node arena, in double precision, using the rule
// table's eval (ir/rules.h) for every elementwise op and plain loops for the
// tensor ops. F32 graphs round every node's value to float, as the compiled
// code does. Shapes must be concrete (symbolic dims bound before running).
#pragma once

#include <span>
#include <vector>

#include "ir/graph.h"
#include "runtime/tensor.h"

namespace gradc::runtime {

// The value of every node. `inputs` follows g.inputs() order, each of its node's shape.
std::vector<Tensor> interpret_tensors_all(const ir::Graph& g, std::span<const Tensor> inputs);

// The graph's outputs, in g.outputs order.
std::vector<Tensor> interpret_tensors(const ir::Graph& g, std::span<const Tensor> inputs);

// Scalar graphs: one double per input and per node or output.
std::vector<double> interpret_all(const ir::Graph& g, std::span<const double> inputs);
std::vector<double> interpret(const ir::Graph& g, std::span<const double> inputs);

}  // namespace gradc::runtime
