// passes/update.h — the optimiser step in IR, appended after autodiff (gradc train).
#pragma once
#include "passes/pass.h"
namespace gradc::passes {

// The graph's last len(wrt) outputs are autodiff's gradients of the first output by the
// params (ctx.wrt, else default_wrt). They are replaced by each param's new value and then
// each optimiser state's new value, every one written over its input (OutputAlias), so the
// compiled step updates them in place. New scalar inputs: step.lr (the rate after the
// schedule), step.bc1 and step.bc2 (Adam's bias corrections 1 - beta^t; 1 otherwise
// unused); state inputs: <param>.buf (momentum), <param>.m and <param>.v (adam, adamw),
// zeros at the start. The names hold a '.', which the language's names cannot, so they
// never clash with the model's.
ir::Graph run_update(const ir::Graph& in, PassContext& ctx);

// The state names the optimiser keeps per param: {"buf"}, {"m", "v"} or {}.
std::vector<std::string> optimizer_states(const std::string& kind);

}  // namespace gradc::passes
