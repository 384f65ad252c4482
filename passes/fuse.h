// passes/fuse.h — group elementwise ops, broadcasts and reductions into kernels.
#pragma once
#include "passes/pass.h"
namespace gradc::passes {
ir::Graph run_fuse(const ir::Graph& in, PassContext& ctx);
}
