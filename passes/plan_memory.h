// passes/plan_memory.h — workspace offsets for the kernels' buffers, reused across lifetimes.
#pragma once
#include "passes/pass.h"
namespace gradc::passes {
ir::Graph run_plan_memory(const ir::Graph& in, PassContext& ctx);
}
