// frontend/ast.h — the parsed program: an arena of expression nodes plus statements.
//
// Why an arena addressed by index: a 50,000-term sum is a 50,000-deep
// left-leaning tree. Nodes that own their children would be destroyed
// recursively and overflow the stack; a flat vector is freed in one go, and the
// lowering walks it with an explicit stack.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "ir/op.h"
#include "ir/types.h"

namespace gradc::frontend {

using AstId = uint32_t;
inline constexpr AstId kNoAst = std::numeric_limits<AstId>::max();

enum class AstKind : uint8_t {
  Number,  // value
  Name,    // name: a variable or an input
  Unary,   // op(a): negation and the unary functions
  Binary,  // op(a, b): + - * / ^ max min
  Grad,    // d a / d name, name an input (name_loc: where it is written)
};

struct AstNode {
  AstKind kind = AstKind::Number;
  ir::Op op = ir::Op::Const;  // Unary, Binary: the IR op
  AstId a = kNoAst;           // first operand
  AstId b = kNoAst;           // second operand (Binary)
  double value = 0;           // Number
  std::string_view name;      // Name, Grad; views the SourceFile's text
  ir::SourceLoc loc;          // the whole expression, parentheses included
  ir::SourceLoc name_loc;     // Grad: the wrt name
};

// `target = expr`, or a bare expression when target is empty.
struct Stmt {
  std::string_view target;
  ir::SourceLoc target_loc;
  AstId expr = kNoAst;
};

struct Program {
  std::vector<AstNode> nodes;
  std::vector<Stmt> stmts;
};

}  // namespace gradc::frontend
