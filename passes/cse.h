// passes/cse.h — common-subexpression elimination.
#pragma once
#include "passes/pass.h"
namespace gradc::passes {
ir::Graph run_cse(const ir::Graph& in, PassContext& ctx);
}
