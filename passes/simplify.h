// passes/simplify.h — constant folding and IEEE-exact algebraic identities.
#pragma once
#include "passes/pass.h"
namespace gradc::passes {
ir::Graph run_simplify(const ir::Graph& in, PassContext& ctx);
}
