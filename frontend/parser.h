// frontend/parser.h — tokens → AST (see the grammar atop parser.cpp).
#pragma once

#include "frontend/ast.h"
#include "frontend/source.h"

namespace gradc::frontend {

// How deeply expressions may nest (parentheses, prefix signs, juxtaposed
// applications, powers): the parser recurses once per level, and a bound keeps
// a hostile input from overflowing the stack. parse() runs on a thread with a stack
// sized for this limit (frontend/deep_stack.h), whatever stack its caller has.
inline constexpr int kMaxNesting = 5000;

// Lexes and parses src; throws CompileError at the first error in source order.
Program parse(const SourceFile& src);

}  // namespace gradc::frontend
