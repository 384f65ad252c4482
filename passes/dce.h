// passes/dce.h — dead-code elimination.
#pragma once
#include "passes/pass.h"
namespace gradc::passes {
ir::Graph run_dce(const ir::Graph& in, PassContext& ctx);
}
