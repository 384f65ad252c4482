// frontend/lower.cpp — AST → graph IR (one ir::Builder call per AST node), and
// compile_to_ir, the frontend's entry point.
//
// Names are resolved while lowering, statement by statement, so a reassigned
// name means its latest value. A name that is never assigned anywhere is an
// input; one that is assigned only later is an error rather than a silent input.
#include <fmt/format.h>

#include <unordered_map>
#include <utility>

#include "frontend/frontend.h"
#include "frontend/parser.h"
#include "ir/builder.h"
#include "ir/check.h"
#include "passes/autodiff.h"

namespace gradc::frontend {

namespace {

using ir::NodeId;

// Nested grad calls can multiply the graph's size; past this, stop with an
// error instead of exhausting memory.
constexpr NodeId kMaxGraphNodes = 4'000'000;

class Lowerer {
 public:
  Lowerer(const SourceFile& src, const Program& p, ir::DType dtype)
      : src_(src), p_(p), b_(g_, dtype), value_(p.nodes.size(), ir::kNoNode) {}
  ir::Graph run();

 private:
  NodeId lower(AstId root);
  NodeId lower_node(const AstNode& n);
  NodeId name(const AstNode& n);
  NodeId grad(const AstNode& n);

  [[noreturn]] void fail(SourceLoc loc, std::string message, std::vector<std::string> notes = {}) const {
    throw CompileError(Diagnostic{loc, std::move(message), std::move(notes)});
  }
  std::string where(SourceLoc loc) const {
    const LineCol lc = src_.line_col(loc.offset);
    return fmt::format("{}:{}", lc.line, lc.col);
  }

  const SourceFile& src_;
  const Program& p_;
  ir::Graph g_;
  ir::Builder b_;
  std::vector<NodeId> value_;                                  // per AST node, once lowered
  std::unordered_map<std::string_view, NodeId> bound_;         // names assigned so far
  std::unordered_map<std::string_view, SourceLoc> assigned_;   // every assigned name: first assignment
};

ir::Graph Lowerer::run() {
  for (const Stmt& s : p_.stmts)
    if (!s.target.empty()) assigned_.try_emplace(s.target, s.target_loc);
  for (size_t i = 0; i < p_.stmts.size(); ++i) {
    const Stmt& s = p_.stmts[i];
    const bool last = i + 1 == p_.stmts.size();
    if (s.target.empty() && !last)
      fail(p_.nodes[s.expr].loc, "the value of this expression is never used",
           {"only the last statement is the program's output; name this value, as in 'a = ...'"});
    const NodeId v = lower(s.expr);
    // The user's name goes on the node for the IR printer and pictures; a node
    // that already has one (an input, `b = a`) keeps it.
    const std::string_view label = s.target.empty() ? "f" : s.target;
    if (g_[v].name.empty()) g_[v].name = std::string(label);
    if (!s.target.empty()) bound_[s.target] = v;
    if (last) g_.outputs.push_back({std::string(label), v});
  }
  return std::move(g_);
}

// A post-order walk with an explicit stack: operands are lowered before their
// user (left first, so inputs are numbered in order of first use), and a
// 50,000-deep chain costs heap, not stack.
NodeId Lowerer::lower(AstId root) {
  std::vector<std::pair<AstId, bool>> stack{{root, false}};
  while (!stack.empty()) {
    const auto [id, operands_done] = stack.back();
    stack.pop_back();
    const AstNode& n = p_.nodes[id];
    if (operands_done) {
      value_[id] = lower_node(n);
      continue;
    }
    stack.emplace_back(id, true);
    if (n.b != kNoAst) stack.emplace_back(n.b, false);
    if (n.a != kNoAst) stack.emplace_back(n.a, false);
  }
  return value_[root];
}

NodeId Lowerer::lower_node(const AstNode& n) {
  b_.set_loc(n.loc);
  switch (n.kind) {
    case AstKind::Number: return b_.constant(n.value);
    case AstKind::Name: return name(n);
    case AstKind::Unary: return b_.unary(n.op, value_[n.a]);
    case AstKind::Binary: return b_.binary(n.op, value_[n.a], value_[n.b]);
    case AstKind::Grad: return grad(n);
  }
  GRADC_UNREACHABLE("unknown AST node kind");
}

NodeId Lowerer::name(const AstNode& n) {
  if (auto it = bound_.find(n.name); it != bound_.end()) return it->second;
  if (auto it = assigned_.find(n.name); it != assigned_.end())
    fail(n.loc, fmt::format("'{}' is used before it is assigned", n.name),
         {fmt::format("'{}' is assigned at {}", n.name, where(it->second))});
  return b_.input(n.name);  // reuses the input after its first use
}

// grad(expr, x): the reverse sweep appended to the graph being built, so the
// result is ordinary IR that a later grad can differentiate again.
NodeId Lowerer::grad(const AstNode& n) {
  if (auto it = assigned_.find(n.name); it != assigned_.end())
    fail(n.name_loc,
         fmt::format("cannot differentiate with respect to '{}': it is assigned, not an input", n.name),
         {fmt::format("'{}' is assigned at {}", n.name, where(it->second)),
          "grad(expr, x) differentiates with respect to an input x"});
  b_.set_loc(n.name_loc);
  const NodeId wrt = b_.input(n.name);
  const NodeId d = passes::append_gradients(g_, value_[n.a], {wrt}).front();
  if (g_.size() > kMaxGraphNodes)
    fail(n.loc, fmt::format("the program's graph is too large (over {} nodes)", kMaxGraphNodes),
         {"each nested grad can multiply the size of the graph"});
  return d;
}

}  // namespace

ir::Graph compile_to_ir(const SourceFile& src, ir::DType dtype) {
  const Program program = parse(src);
  return Lowerer(src, program, dtype).run();
}

}  // namespace gradc::frontend
