// frontend/lower.cpp — AST → graph IR (one ir::Builder call per AST node), and
// compile_to_ir, the frontend's entry point.
//
// Names are resolved while lowering, statement by statement, so a reassigned
// name means its latest value. A name that is never assigned anywhere is an
// input (a scalar, unless declared with `input`/`param`); one that is assigned
// only later is an error rather than a silent input.
//
// Shapes are checked as the graph is built: every ir::ShapeError the builder
// throws becomes a CompileError at the expression that caused it (for `a @ b`,
// the span covering both operands).
//
// DECISION — defs are inlined: a call lowers the def's body again, its params
// bound to the call's arguments, its nodes grouped under the def's name. That
// is the one place lowering recurses (lower -> call -> lower of the body), and
// its depth is bounded: a def may call only earlier defs, so the depth is at
// most the number of defs, and it is capped at kMaxDefDepth besides. The graph
// size cap catches defs that double at each level.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <unordered_map>
#include <utility>

#include "frontend/frontend.h"
#include "frontend/functions.h"
#include "frontend/parser.h"
#include "frontend/utf8.h"
#include "ir/builder.h"
#include "ir/check.h"
#include "ir/nn.h"
#include "ir/gradients.h"

namespace gradc::frontend {

namespace {

using ir::NodeId;

// Nested grad calls can multiply the graph's size; past this, stop with an
// error instead of exhausting memory.
constexpr NodeId kMaxGraphNodes = 4'000'000;

class Lowerer {
 public:
  Lowerer(const SourceFile& src, const Program& p, ir::DType dtype)
      : src_(src), p_(p), b_(g_, dtype), value_(p.nodes.size(), ir::kNoNode) {
    for (const Def& d : p.defs) def_min_nodes_.push_back(min_nodes(d.body));
  }
  ir::Graph run();

 private:
  NodeId lower(AstId root);
  NodeId lower_node(const AstNode& n);
  NodeId lower_op(const AstNode& n);
  NodeId name(const AstNode& n);
  uint64_t min_nodes(AstId root) const;
  static std::optional<double> builtin_constant(std::string_view name);
  bool is_constant_e(AstId base) const;
  NodeId grad(const AstNode& n);
  NodeId builtin(const AstNode& n);
  NodeId inline_def(const AstNode& n);
  std::string call_text(const Def& d, const AstNode& call) const;
  void declare(const Stmt& s);

  // Option values: integer literals, lists of them, true/false, numbers.
  int64_t integer_literal(AstId id, const std::string& what) const;
  int64_t integer_option(const AstNode& call, size_t slot) const;
  std::vector<int64_t> integers_option(const AstNode& call, size_t slot) const;
  bool bool_option(const AstNode& call, size_t slot) const;
  double number_option(const AstNode& call, size_t slot) const;
  // The axis option (slot 0) of a reduction-like call, checked against x's shape
  // here so that the error points at the axis and names the function written.
  std::vector<int> axes_option(const AstNode& call, NodeId x, bool one_axis) const;

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
  std::vector<uint64_t> def_min_nodes_;                        // per def: nodes one call adds, at least
  std::unordered_map<std::string_view, NodeId> bound_;         // names assigned so far
  std::unordered_map<std::string_view, SourceLoc> assigned_;   // every assigned name: first assignment
  std::unordered_map<std::string_view, SourceLoc> declared_;   // input/param declarations so far
  std::unordered_map<std::string_view, SourceLoc> used_;       // undeclared inputs: first use
  std::string unused_output_name() const;
  void note_call(CompileError& e, const Def& d, const AstNode& n);
  size_t call_notes_ = 0, calls_left_out_ = 0;  // an error's call notes so far (note_call)
  // The def calls being inlined, innermost last: the def and its params' values.
  struct Frame {
    const Def* def;
    std::vector<NodeId> args;
  };
  std::vector<Frame> frames_;
};

ir::Graph Lowerer::run() {
  size_t output = p_.stmts.size();  // the last statement that computes
  for (size_t i = 0; i < p_.stmts.size(); ++i) {
    const Stmt& s = p_.stmts[i];
    if (s.kind != StmtKind::Compute) continue;
    output = i;
    if (!s.target.empty()) assigned_.try_emplace(s.target, s.target_loc);
  }
  if (output == p_.stmts.size())
    fail(p_.stmts.back().target_loc, "the program computes nothing",
         {"after the declarations and defs, write the output, as in 'loss = cross_entropy(logits, y)'"});
  for (size_t i = 0; i < p_.stmts.size(); ++i) {
    const Stmt& s = p_.stmts[i];
    if (s.kind == StmtKind::Input || s.kind == StmtKind::Param) {
      declare(s);
      continue;
    }
    if (s.kind == StmtKind::Def) continue;  // inlined at each call
    const bool last = i == output;
    if (auto it = declared_.find(s.target); !s.target.empty() && it != declared_.end())
      fail(s.target_loc,
           fmt::format("cannot assign to '{}': it is declared as {}", s.target,
                       g_[g_.find_input(s.target)].role == ir::Role::Param ? "a param" : "an input"),
           {fmt::format("'{}' is declared at {}", s.target, where(it->second)),
            "inputs and params get their values when the program runs; choose another name"});
    if (s.target.empty() && !last)
      fail(p_.nodes[s.expr].loc, "the value of this expression is never used",
           {"only the last statement is the program's output; name this value, as in 'a = ...'"});
    const NodeId v = lower(s.expr);
    // The user's name goes on the node for the IR printer and pictures; a node
    // that already has one (an input, `b = a`) keeps it.
    const std::string label = s.target.empty() ? unused_output_name() : std::string(s.target);
    if (g_[v].name.empty()) g_[v].name = label;
    if (!s.target.empty()) bound_[s.target] = v;
    if (last) g_.outputs.push_back({label, v});
  }
  return std::move(g_);
}

// A bare last expression's name: "f", unless the program already calls something f (an
// input `f + 1`, or `f = x*2; f*3`), then f1, f2, ...: never one of the user's names.
std::string Lowerer::unused_output_name() const {
  auto taken = [&](const std::string& n) { return assigned_.count(n) || declared_.count(n) || used_.count(n); };
  std::string name = "f";
  for (int k = 1; taken(name); ++k) name = "f" + std::to_string(k);
  return name;
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
    if (n.kind == AstKind::List)
      fail(n.loc, "a list is not a value",
           {"lists are for options such as axis=[0, 1] and reshape(x, [2, -1]); use '(' and ')' for grouping"});
    stack.emplace_back(id, true);
    for (size_t i = n.args.size(); i-- > 0;) stack.emplace_back(n.args[i], false);
    if (n.b != kNoAst) stack.emplace_back(n.b, false);
    if (n.a != kNoAst) stack.emplace_back(n.a, false);
  }
  return value_[root];
}

NodeId Lowerer::lower_node(const AstNode& n) {
  b_.set_loc(n.loc);
  try {
    return lower_op(n);
  } catch (const ir::ShapeError& e) {
    fail(n.loc, e.what());
  }
}

NodeId Lowerer::lower_op(const AstNode& n) {
  switch (n.kind) {
    case AstKind::Number: return b_.constant(n.value);
    case AstKind::Name: return name(n);
    case AstKind::Unary: return b_.unary(n.op, value_[n.a]);
    case AstKind::Binary:
      if (n.op == ir::Op::MatMul) return b_.matmul(value_[n.a], value_[n.b]);
      if (n.op == ir::Op::Pow && is_constant_e(n.a)) return b_.unary(ir::Op::Exp, value_[n.b]);
      return b_.binary(n.op, value_[n.a], value_[n.b]);
    case AstKind::Grad: return grad(n);
    case AstKind::Transpose: return b_.transpose(value_[n.a]);
    case AstKind::Call: return n.fn ? builtin(n) : inline_def(n);
    case AstKind::List: break;  // rejected before its elements are lowered
  }
  GRADC_UNREACHABLE("unknown AST node kind");
}

NodeId Lowerer::name(const AstNode& n) {
  if (!frames_.empty()) {  // in a def's body: its params, or declared inputs
    const Frame& f = frames_.back();
    for (size_t i = 0; i < f.def->params.size(); ++i)
      if (f.def->params[i] == n.name) return f.args[i];
    if (declared_.count(n.name)) return g_.find_input(n.name);
    fail(n.loc, fmt::format("'{}' is not a parameter of {}", n.name, f.def->name),
         {"a def's body may use its parameters and the inputs and params declared before the call"});
  }
  if (auto it = bound_.find(n.name); it != bound_.end()) return it->second;
  if (declared_.count(n.name)) return g_.find_input(n.name);
  if (auto it = assigned_.find(n.name); it != assigned_.end())
    fail(n.loc, fmt::format("'{}' is used before it is assigned", n.name),
         {fmt::format("'{}' is assigned at {}", n.name, where(it->second))});
  if (const std::optional<double> c = builtin_constant(n.name)) return b_.constant(*c);
  used_.try_emplace(n.name, n.loc);
  return b_.input(n.name);  // reuses the input after its first use
}

// `e` and `pi`, where the program has not made the name its own (by declaring or assigning
// it first: those cases return earlier in name()).
std::optional<double> Lowerer::builtin_constant(std::string_view name) {
  if (name == "e") return std::numbers::e;
  if (name == "pi") return std::numbers::pi;
  return std::nullopt;
}

// e^x is exp(x): pow(2.718281828459045, x) is neither correctly rounded nor exactly eˣ.
bool Lowerer::is_constant_e(AstId base) const {
  const AstNode& a = p_.nodes[base];
  const ir::Node& v = g_[value_[base]];
  return a.kind == AstKind::Name && a.name == "e" && v.op == ir::Op::Const && v.value == std::numbers::e;
}

// `input x[B, 784] : int` and `param W[784, 256] = he()`.
void Lowerer::declare(const Stmt& s) {
  if (auto it = declared_.find(s.target); it != declared_.end())
    fail(s.target_loc, fmt::format("'{}' is already declared", s.target),
         {fmt::format("'{}' is declared at {}", s.target, where(it->second))});
  if (auto it = used_.find(s.target); it != used_.end())
    fail(s.target_loc, fmt::format("'{}' is declared after its first use", s.target),
         {fmt::format("'{}' is used at {}, where it became a scalar input", s.target, where(it->second)),
          "declare inputs and params before the statements that use them"});
  if (bound_.count(s.target))
    fail(s.target_loc, fmt::format("'{}' is already assigned", s.target),
         {fmt::format("'{}' is assigned at {}", s.target, where(assigned_.at(s.target))),
          "a name is either declared as an input or assigned, not both"});
  ir::Shape shape;
  for (const DimSpec& d : s.dims) {
    if (d.name.empty()) {
      shape.dims.push_back(d.value);
      continue;
    }
    std::vector<std::string>& names = g_.dim_names.names;
    size_t k = 0;
    while (k < names.size() && names[k] != d.name) ++k;
    if (k == names.size()) names.emplace_back(d.name);
    shape.dims.push_back(ir::symbol_dim(static_cast<int>(k)));
  }
  b_.set_loc(s.target_loc);
  const ir::Role role = s.kind == StmtKind::Param ? ir::Role::Param : ir::Role::Input;
  const NodeId id = b_.input(s.target, std::move(shape), role);
  g_[id].integer = s.integer;
  g_[id].init = s.init;
  declared_.emplace(s.target, s.target_loc);
}

// grad(expr, x): the reverse sweep appended to the graph being built, so the
// result is ordinary IR that a later grad can differentiate again.
NodeId Lowerer::grad(const AstNode& n) {
  if (!frames_.empty())
    for (std::string_view p : frames_.back().def->params)
      if (p == n.name)
        fail(n.name_loc,
             fmt::format("cannot differentiate with respect to '{}': it is a parameter of {}", n.name,
                         frames_.back().def->name),
             {"grad(expr, x) differentiates with respect to an input x"});
  if (auto it = assigned_.find(n.name); it != assigned_.end())
    fail(n.name_loc,
         fmt::format("cannot differentiate with respect to '{}': it is assigned, not an input", n.name),
         {fmt::format("'{}' is assigned at {}", n.name, where(it->second)),
          "grad(expr, x) differentiates with respect to an input x"});
  if (!declared_.count(n.name) && builtin_constant(n.name))
    fail(n.name_loc, fmt::format("cannot differentiate with respect to '{}': it is a built-in constant", n.name),
         {fmt::format("to use '{0}' as a variable, declare it first: input {0}", n.name)});
  b_.set_loc(n.name_loc);
  if (!declared_.count(n.name)) used_.try_emplace(n.name, n.name_loc);
  const NodeId wrt = b_.input(n.name);
  const NodeId d = ir::append_gradients(g_, value_[n.a], {wrt}).wrt.front();
  if (g_.size() > kMaxGraphNodes)
    fail(n.loc, fmt::format("the program's graph is too large (over {} nodes)", kMaxGraphNodes),
         {"each nested grad can multiply the size of the graph"});
  return d;
}

int64_t Lowerer::integer_literal(AstId id, const std::string& what) const {
  const AstNode& v = p_.nodes[id];
  if (v.kind != AstKind::Number || v.value != std::trunc(v.value) || std::abs(v.value) > 1e15)
    fail(v.loc, fmt::format("{} must be an integer literal", what),
         {"write a whole number such as 1 or -1 here, not an expression"});
  return static_cast<int64_t>(v.value);
}

int64_t Lowerer::integer_option(const AstNode& call, size_t slot) const {
  const AstId id = call.options[slot];
  const std::string what = fmt::format("the {} of {}", call.fn->options[slot], call.fn->name);
  if (p_.nodes[id].kind == AstKind::List) fail(p_.nodes[id].loc, fmt::format("{} must be one integer, not a list", what));
  return integer_literal(id, what);
}

std::vector<int64_t> Lowerer::integers_option(const AstNode& call, size_t slot) const {
  const AstNode& v = p_.nodes[call.options[slot]];
  const std::string what = fmt::format("the {} of {}", call.fn->options[slot], call.fn->name);
  if (v.kind != AstKind::List) return {integer_literal(call.options[slot], what)};
  std::vector<int64_t> out;
  for (AstId item : v.args) out.push_back(integer_literal(item, "each entry of " + what));
  return out;
}

bool Lowerer::bool_option(const AstNode& call, size_t slot) const {
  const AstNode& v = p_.nodes[call.options[slot]];
  if (v.kind == AstKind::Name && (v.name == "true" || v.name == "false")) return v.name == "true";
  fail(v.loc, fmt::format("the {} of {} must be true or false", call.fn->options[slot], call.fn->name));
}

double Lowerer::number_option(const AstNode& call, size_t slot) const {
  const AstNode& v = p_.nodes[call.options[slot]];
  if (v.kind != AstKind::Number)
    fail(v.loc, fmt::format("the {} of {} must be a number", call.fn->options[slot], call.fn->name),
         {"write a number such as 0.2 here, not an expression"});
  return v.value;
}

std::vector<int> Lowerer::axes_option(const AstNode& call, NodeId x, bool one_axis) const {
  const bool given = !call.options.empty() && call.options[0] != kNoAst;
  if (!given) return one_axis ? std::vector<int>{-1} : std::vector<int>{};  // the last axis, or all
  const std::vector<int64_t> axes =
      one_axis ? std::vector<int64_t>{integer_option(call, 0)} : integers_option(call, 0);
  std::vector<int> out;
  for (int64_t a : axes) out.push_back(static_cast<int>(std::clamp<int64_t>(a, -1'000'000, 1'000'000)));
  try {
    ir::reduce_shape(call.fn->name, g_[x].shape, out, false, &g_.dim_names);
  } catch (const ir::ShapeError& e) {
    fail(p_.nodes[call.options[0]].loc, e.what());
  }
  return out;
}

// sum(x, axis=1), softmax(x), cross_entropy(logits, y), ...
NodeId Lowerer::builtin(const AstNode& n) {
  namespace nn = ir::nn;
  const Function& f = *n.fn;
  auto has = [&](size_t slot) { return slot < n.options.size() && n.options[slot] != kNoAst; };
  const NodeId x = value_[n.args[0]];
  const NodeId y = n.args.size() > 1 ? value_[n.args[1]] : ir::kNoNode;
  switch (f.builtin) {
    case Builtin::Sum:
    case Builtin::Mean:
    case Builtin::ReduceMax: {
      const std::vector<int> axes = axes_option(n, x, false);
      const bool keep = has(1) && bool_option(n, 1);
      if (f.builtin == Builtin::Sum) return b_.sum(x, axes, keep);
      if (f.builtin == Builtin::Mean) return b_.mean(x, axes, keep);
      return b_.reduce_max(x, axes, keep);
    }
    case Builtin::Softmax: return nn::softmax(b_, x, axes_option(n, x, true)[0]);
    case Builtin::LogSoftmax: return nn::log_softmax(b_, x, axes_option(n, x, true)[0]);
    case Builtin::LogSumExp: {
      const int axis = axes_option(n, x, true)[0];
      return nn::logsumexp(b_, x, axis, has(1) && bool_option(n, 1));
    }
    case Builtin::LeakyRelu: return nn::leaky_relu(b_, x, has(0) ? number_option(n, 0) : 0.01);
    case Builtin::Gelu: return nn::gelu(b_, x);
    case Builtin::Mse: return nn::mse(b_, x, y);
    case Builtin::Bce: return nn::bce(b_, x, y);
    case Builtin::BceWithLogits: return nn::bce_with_logits(b_, x, y);
    case Builtin::CrossEntropy: return nn::cross_entropy(b_, x, y);
    case Builtin::OneHot: {
      const int64_t classes = integer_option(n, 0);
      if (classes <= 0)
        fail(p_.nodes[n.options[0]].loc,
             fmt::format("one_hot: the number of classes must be positive, not {}", classes));
      return b_.one_hot(x, classes);
    }
    case Builtin::Transpose: {
      if (!has(0)) return b_.transpose(x);
      std::vector<int> perm;
      for (int64_t a : integers_option(n, 0))
        perm.push_back(static_cast<int>(std::clamp<int64_t>(a, -1'000'000, 1'000'000)));
      try {
        return b_.transpose(x, perm);
      } catch (const ir::ShapeError& e) {
        fail(p_.nodes[n.options[0]].loc, e.what());
      }
    }
    case Builtin::Reshape: {
      if (p_.nodes[n.options[0]].kind != AstKind::List)
        fail(p_.nodes[n.options[0]].loc, "the shape of reshape must be a list such as [2, -1]");
      return b_.reshape(x, integers_option(n, 0));
    }
    case Builtin::Elementwise:
    case Builtin::Grad: break;
  }
  GRADC_UNREACHABLE("not a tensor built-in");
}

// A call of a user def: its body lowered again with the params bound to the
// arguments; every node it makes is grouped under the def's name.
// The fewest graph nodes lowering `root` adds: one per operation written (the builder folds
// nothing), and for each call of a def, what that def's body adds. Defs call only earlier
// defs, whose counts are known by then. Lets a call that doubles at every level (40 defs each
// calling the previous twice: 2^40 nodes) be refused before it is built, not after minutes
// and gigabytes. Saturates far above kMaxGraphNodes.
uint64_t Lowerer::min_nodes(AstId root) const {
  constexpr uint64_t kCap = uint64_t{1} << 50;
  uint64_t total = 0;
  std::vector<AstId> stack{root};
  while (!stack.empty()) {
    const AstNode& n = p_.nodes[stack.back()];
    stack.pop_back();
    switch (n.kind) {
      case AstKind::Number:
      case AstKind::Name:
      case AstKind::List: break;
      case AstKind::Unary:
      case AstKind::Binary:
      case AstKind::Grad:
      case AstKind::Transpose: total += 1; break;
      case AstKind::Call:
        total += n.fn ? 1 : (n.def < def_min_nodes_.size() ? def_min_nodes_[n.def] : 0);
        break;
    }
    total = std::min(total, kCap);
    if (n.a != kNoAst) stack.push_back(n.a);
    if (n.b != kNoAst) stack.push_back(n.b);
    for (AstId a : n.args) stack.push_back(a);
  }
  return total;
}

// Each level is a few lowering frames on the stack; no real program nests defs this deep.
constexpr size_t kMaxDefDepth = 256;

// The calls an error sits in, as notes: the innermost kCallNotes, then how many were left
// out, then the outermost (the call the program's statement makes), never 256 lines.
constexpr size_t kCallNotes = 8;

void Lowerer::note_call(CompileError& e, const Def& d, const AstNode& n) {
  std::string note = fmt::format("in the call to {} at {}", d.name, where(n.loc));
  if (call_notes_ < kCallNotes) {
    e.diag.notes.push_back(std::move(note));
    ++call_notes_;
  } else if (!frames_.empty()) {
    ++calls_left_out_;
  } else {
    if (calls_left_out_ > 0) e.diag.notes.push_back(fmt::format("... {} calls in between left out", calls_left_out_));
    e.diag.notes.push_back(std::move(note));
  }
  if (frames_.empty()) call_notes_ = calls_left_out_ = 0;
}

// "g(x, x)": the call with its arguments as written (a long one shortened), for the picture.
std::string Lowerer::call_text(const Def& d, const AstNode& call) const {
  constexpr size_t kMaxArg = 24;
  std::vector<std::string> args;
  for (AstId a : call.args) {
    const ir::SourceLoc loc = p_.nodes[a].loc;
    const std::string_view text = src_.text().substr(loc.offset, loc.len);
    args.emplace_back(text.size() <= kMaxArg ? text : text.substr(0, char_boundary(text, kMaxArg - 3)));
    if (text.size() > kMaxArg) args.back() += "...";
  }
  return fmt::format("{}({})", d.name, fmt::join(args, ", "));
}

NodeId Lowerer::inline_def(const AstNode& n) {
  const Def& d = p_.defs[n.def];
  if (frames_.size() >= kMaxDefDepth)
    fail(n.loc, fmt::format("defs call each other too deeply (limit {})", kMaxDefDepth));
  if (g_.size() + def_min_nodes_[n.def] > kMaxGraphNodes)
    fail(n.loc, fmt::format("the program's graph is too large (over {} nodes)", kMaxGraphNodes),
         {fmt::format("this call of {} alone adds at least {} nodes", d.name, def_min_nodes_[n.def]),
          "each call of a def copies its body; a def that calls another twice doubles it"});
  Frame frame{&d, {}};
  for (AstId a : n.args) frame.args.push_back(value_[a]);
  frames_.push_back(std::move(frame));
  NodeId result = ir::kNoNode;
  try {
    const bool outermost = b_.group().empty();  // a call inside a def is drawn inside its box
    const ir::nn::GroupScope group(b_, std::string(d.name));
    if (outermost) g_.call_texts[b_.group()] = call_text(d, n);
    result = lower(d.body);
  } catch (CompileError& e) {
    frames_.pop_back();
    note_call(e, d, n);
    throw;
  }
  frames_.pop_back();
  if (g_.size() > kMaxGraphNodes)
    fail(n.loc, fmt::format("the program's graph is too large (over {} nodes)", kMaxGraphNodes),
         {"each call of a def copies its body; a def that calls another twice doubles it"});
  return result;
}

}  // namespace

ir::Graph compile_to_ir(const SourceFile& src, ir::DType dtype) {
  const Program program = parse(src);
  return Lowerer(src, program, dtype).run();
}

}  // namespace gradc::frontend
