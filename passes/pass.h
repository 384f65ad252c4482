// passes/pass.h — what every pass sees.
//
// A pass is a pure function `ir::Graph run_<name>(const ir::Graph&, PassContext&)`:
// it returns a new graph and never changes its input, so the pass manager can
// print, draw and verify the graph between any two passes. What a pass needs to
// know (which inputs autodiff differentiates by) and what it reports (counters,
// remarks at source positions) travel in the PassContext, never in globals.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace gradc::passes {

// A note for the user about a rewrite, shown by --remarks at the source position
// of what was rewritten: "q3.grad:21:10: remark: log(softmax(z2)) rewritten to ...".
struct Remark {
  ir::SourceLoc loc;
  std::string message;
};

// The optimiser the update pass appends (as torch.optim.SGD with and without momentum,
// Adam and AdamW define them; docs/training.md).
struct OptimizerSpec {
  std::string kind = "sgd";  // sgd, momentum, adam, adamw
  double momentum = 0.9;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0;   // L2 added to the gradient; adamw: decoupled, p *= 1 - lr*wd
};

struct PassContext {
  // autodiff: the inputs to differentiate by (empty: passes::default_wrt), the order
  // (2 appends every second derivative), and the name of an input holding the
  // cotangent to seed the sweep with (empty: ones; `gradc jacobian` seeds rows).
  std::vector<std::string> wrt;
  int order = 1;
  std::string seed;
  // update: the optimiser whose step it appends after autodiff's gradients.
  OptimizerSpec optimizer;

  std::map<std::string, double> stats;  // "cse.merged" → 3, ...
  std::vector<Remark> remarks;
};

using PassFn = ir::Graph (*)(const ir::Graph&, PassContext&);
// A cheap scan saying whether a pass has anything to do. When it says no the pass
// manager skips the pass: on a 10^5-node graph copying, verifying and comparing an
// unchanged graph costs more than the scan by far. Null: always run.
using AppliesFn = bool (*)(const ir::Graph&);

}  // namespace gradc::passes
