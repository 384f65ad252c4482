// ir/text_parser.h — reads back the textual IR that ir::print writes.
//
// Why: with a parser, a pass's test can start from a few lines of hand-written IR
// and compare the pass's output with an expected file, as LLVM's `opt | FileCheck`
// and MLIR's `mlir-opt` tests do (tests/golden/passes/). The parser reads exactly
// the printed format plus `//` line comments; docs/ir.md describes it. Every node
// it builds is checked with the verifier, so a golden input cannot be ill-typed.
//
// A value's label (%0, %h, %x) only names it in the text: inputs take ids 0..n-1
// in header order, the body's nodes follow in line order, and printing the result
// numbers them densely again. Source locations are not in the text; they come back
// empty.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "ir/graph.h"

namespace gradc::ir {

// "name:line:col: error: message", then the offending line and a caret under the column.
class TextError : public std::runtime_error {
 public:
  TextError(std::string rendered, int at_line, int at_col, std::string what_is_wrong)
      : std::runtime_error(std::move(rendered)), line(at_line), col(at_col), message(std::move(what_is_wrong)) {}
  int line, col;        // 1-based; col counts bytes
  std::string message;  // without the position
};

// Throws TextError on anything that is not well-formed, verified IR; never crashes,
// and never recurses, whatever the input.
Graph parse_ir(std::string_view text, std::string_view name = "<ir>");

}  // namespace gradc::ir
