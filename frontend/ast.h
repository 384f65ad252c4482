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

#include "ir/huge_pages.h"
#include "ir/op.h"
#include "ir/types.h"

namespace gradc::frontend {

using AstId = uint32_t;
inline constexpr AstId kNoAst = std::numeric_limits<AstId>::max();

struct Function;

enum class AstKind : uint8_t {
  Number,     // value
  Name,       // name: a variable or an input
  Unary,      // op(a): negation and the unary functions
  Binary,     // op(a, b): + - * / ^ max min, and @ (Op::MatMul)
  Grad,       // d a / d name, name an input (name_loc: where it is written)
  Transpose,  // a.T
  Call,       // fn(args..., options...): a tensor built-in (fn) or a user def (def)
  List,       // [a, b, ...]: only as an option (axis=[0, 1], reshape(x, [2, -1]))
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
  // Call: the graph operands (lowered before the call; for a def, every argument).
  // List: its elements.
  std::vector<AstId> args;
  // Call of a built-in: one slot per option of fn (axis, keepdims, ...), in the
  // order of Function::options; kNoAst where not given. Never lowered as values.
  std::vector<AstId> options;
  const Function* fn = nullptr;  // Call of a built-in
  uint32_t def = 0;              // Call of a user def: index into Program::defs
};

// `input x[B, 784] : int`, `param W[784, 256] = he()`: a declared shape dim.
struct DimSpec {
  std::string_view name;  // a named (symbolic) dim, or empty
  int64_t value = 0;      // a number, when name is empty
  ir::SourceLoc loc;
};

// `def name(params) = body`, inlined at each call.
struct Def {
  std::string_view name;
  ir::SourceLoc name_loc;
  std::vector<std::string_view> params;
  std::vector<ir::SourceLoc> param_locs;
  AstId body = kNoAst;
};

enum class StmtKind : uint8_t { Compute, Input, Param, Def };

// Compute: `target = expr`, or a bare expression when target is empty.
// Input, Param: a declaration of target (dims, integer, init).
// Def: a function definition (Program::defs[def]).
struct Stmt {
  StmtKind kind = StmtKind::Compute;
  std::string_view target;
  ir::SourceLoc target_loc;
  AstId expr = kNoAst;
  std::vector<DimSpec> dims;  // Input, Param: [] for a scalar
  bool integer = false;       // Input: `: int`
  std::string init;           // Param: the initialiser, normalised ("normal(0, 0.01)")
  uint32_t def = 0;           // Def
};

struct Program {
  std::vector<AstNode, ir::HugePageAllocator<AstNode>> nodes;  // large programs: see ir/huge_pages.h
  std::vector<Stmt> stmts;
  std::vector<Def> defs;
};

}  // namespace gradc::frontend
