// ir/bind_dims.h — give the symbolic dims (B, N) of a graph their values.
//
// A program is checked with its dims symbolic (so `input x[B,784]` is checked
// once for every B); it runs with them bound, from the shapes of the values fed
// to it. Binding rewrites every shape and turns each count of symbolic dims
// (what mean divides by) into a number.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ir/graph.h"

namespace gradc::ir {

// Throws ShapeError naming the first symbol used by the graph but not bound.
Graph bind_dims(const Graph& g, const std::map<std::string, int64_t>& dims);

// The names of the symbols the graph's nodes use, in symbol order.
std::vector<std::string> symbols_used(const Graph& g);

}  // namespace gradc::ir
