// frontend/frontend.h — the frontend's one entry point: program text → graph IR.
#pragma once

#include "frontend/diagnostics.h"
#include "frontend/source.h"
#include "ir/graph.h"

namespace gradc::frontend {

// Parses and lowers a whole program. Free names become inputs (in order of first
// use); the program's output is its last assigned name (or its lone expression),
// recorded as the graph's single output. Throws CompileError on bad programs.
ir::Graph compile_to_ir(const SourceFile& src, ir::DType dtype = ir::DType::F64);

}  // namespace gradc::frontend
