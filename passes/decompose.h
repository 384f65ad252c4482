// passes/decompose.h — composite ops back into primitives, after autodiff.
#pragma once
#include "passes/pass.h"
namespace gradc::passes {
ir::Graph run_decompose(const ir::Graph& in, PassContext& ctx);
bool applies_decompose(const ir::Graph& g);  // has a composite op
}
