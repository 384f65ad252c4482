// passes/stabilize.h — rewrites numerically fragile patterns into stable forms.
#pragma once
#include "passes/pass.h"
namespace gradc::passes {
ir::Graph run_stabilize(const ir::Graph& in, PassContext& ctx);
bool applies_stabilize(const ir::Graph& g);  // some node matches a stabilising rule
}
