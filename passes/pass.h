// passes/pass.h — what every pass sees.
//
// A pass is a pure function `ir::Graph run_<name>(const ir::Graph&, PassContext&)`:
// it returns a new graph and never changes its input, so the pass manager can
// print, draw and verify the graph between any two passes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace gradc::passes {

struct PassContext {
  std::vector<std::string> wrt;        // autodiff: inputs to differentiate by (empty: all)
  std::map<std::string, double> stats; // "cse.merged" → 3, ...
};

using PassFn = ir::Graph (*)(const ir::Graph&, PassContext&);

}  // namespace gradc::passes
