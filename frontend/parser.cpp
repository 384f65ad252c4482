// frontend/parser.cpp — recursive descent, one function per grammar rule.
//
// Grammar (sep is a newline or ';'; a statement never spans lines):
//   program = sep* (stmt (sep+ stmt)*)? sep* EOF
//   stmt    = decl | def | NAME "=" expr | expr
//   decl    = "input" NAME shape? (":" ("int" | "float"))?
//           | "param" NAME shape? ("=" NAME "(" (number ("," number)*)? ")")?
//   shape   = "[" dim ("," dim)* "]"             (dim: a positive integer or a NAME)
//   def     = "def" NAME "(" (NAME ("," NAME)*)? ")" "=" expr
//   expr    = term (("+" | "-") term)*
//   term    = unary (("*" | "/" | "@") unary)*
//   unary   = ("-" | "+") unary | power
//   power   = postfix (("^" | "**") unary)?
//   postfix = primary ("." "T")*
//   primary = NUMBER | NAME | "(" expr ")" | call | apply
//   call    = FUNC "(" (arg ("," arg)*)? ")"
//   arg     = (NAME "=")? (expr | "[" (expr ("," expr)*)? "]")
//   apply   = FUNC1 unary                        (FUNC1: a one-argument scalar function)
//
// `input`, `param` and `def` are keywords only at the start of a statement and
// followed by a name, so `input = 3` is still an assignment. `@` binds like `*`
// (as in Python) and `.T` tighter than anything: x.T @ w is (x.T) @ w.
//
// DECISION — juxtaposed application, as homework writes "ln x + exp(y)*z":
//  * `f(...)`, with the parenthesis right after the name (spaces allowed), is an
//    ordinary call and binds tightest: ln(x)^2 = (ln x)^2, ln (x+1)*y = ln(x+1)*y.
//  * Without parentheses the operand is a unary-level expression, powers
//    included, as in maths: ln x^2 = ln(x^2), sin x * y = (sin x)*y,
//    ln ln x = ln(ln x), exp -x = exp(-x). A consequence: `exp - x` is exp(-x).
//  * Functions of two arguments (max, min, grad), the tensor functions (sum,
//    softmax, ...) and user defs always need parentheses.
// Powers are right-associative and their exponent is a unary expression:
// 2^3^2 = 2^9, 2^-1 = 1/2, -x^2 = -(x^2). `**` is a synonym for `^`.
//
// Left-associative operators and `.T` chains are loops, not recursion, so a
// 50,000-term sum costs no stack; every other kind of nesting passes through
// unary(), which counts its depth and stops at kMaxNesting. A list argument
// holds expressions but never another list, so it adds no unbounded nesting.
// Defs are parsed once; the lowering inlines them (see lower.cpp).
#include "frontend/parser.h"

#include "frontend/deep_stack.h"

#include <fmt/format.h>

#include <cmath>
#include <unordered_map>

#include "frontend/functions.h"
#include "frontend/lexer.h"

namespace gradc::frontend {

namespace {

SourceLoc join(SourceLoc first, SourceLoc last) {
  return {first.offset, last.offset + last.len - first.offset};
}

class Parser {
 public:
  Parser(const SourceFile& src, LexResult lexed) : src_(src), lexed_(std::move(lexed)) {
    check_lex_error();
  }
  Program program();

 private:
  Stmt stmt();
  Stmt declaration();
  std::vector<DimSpec> shape();
  std::string initialiser();
  Stmt definition();
  AstId expr();
  AstId term();
  AstId unary();
  AstId power();
  AstId postfix();
  AstId primary();
  AstId name_or_apply();
  bool signed_operand_follows(const Token& name) const;
  AstId call(const Function* f, const Token& name);
  AstId list();
  AstId paren();

  // One argument of a call: `value` or `keyword = value`.
  struct Arg {
    std::string_view keyword;  // empty: positional
    SourceLoc keyword_loc;
    AstId value;
  };
  AstId builtin_call(const Function& f, const std::vector<Arg>& args, SourceLoc loc);
  AstId def_call(uint32_t def, const std::vector<Arg>& args, SourceLoc loc);
  void check_new_name(const Token& name, const char* what) const;
  bool at_keyword(std::string_view word) const {
    return at(Tok::Ident) && cur().text == word && peek().kind == Tok::Ident;
  }

  AstId grad_node(AstId of, AstId wrt, SourceLoc loc);
  [[noreturn]] void unknown_function(const Token& name);
  bool defines_function() const;
  [[noreturn]] void unexpected_after_statement();

  const Token& cur() const { return lexed_.tokens[pos_]; }
  const Token& peek() const { return lexed_.tokens[std::min(pos_ + 1, lexed_.tokens.size() - 1)]; }
  bool at(Tok kind) const { return cur().kind == kind; }
  bool at_statement_end() const { return at(Tok::Newline) || at(Tok::Semi) || at(Tok::Eof); }
  Token advance() {
    Token t = cur();
    ++pos_;
    check_lex_error();
    return t;
  }
  void check_lex_error() const {
    if (at(Tok::Error)) throw CompileError(*lexed_.error);
  }
  // Where a "expected ..." error points: the current token, or just past the
  // previous one when the line or input has ended.
  SourceLoc here() const {
    if (!at(Tok::Newline) && !at(Tok::Eof)) return cur().loc;
    if (pos_ == 0) return cur().loc;
    const SourceLoc prev = lexed_.tokens[pos_ - 1].loc;
    return {prev.offset + prev.len, 0};
  }
  [[noreturn]] void fail(SourceLoc loc, std::string message, std::vector<std::string> notes = {}) const {
    throw CompileError(Diagnostic{loc, std::move(message), std::move(notes)});
  }
  std::string to_match(const Token& open) const {
    const LineCol lc = src_.line_col(open.loc.offset);
    return fmt::format("to match the '(' at {}:{}", lc.line, lc.col);
  }
  AstNode& add(AstKind kind, SourceLoc loc, ir::Op op = ir::Op::Const, AstId a = kNoAst,
               AstId b = kNoAst) {
    AstNode& n = p_.nodes.emplace_back();
    n.kind = kind, n.loc = loc, n.op = op, n.a = a, n.b = b;
    return n;
  }
  AstId last() const { return static_cast<AstId>(p_.nodes.size() - 1); }
  AstId unary_node(ir::Op op, SourceLoc first, AstId a) {
    add(AstKind::Unary, join(first, p_.nodes[a].loc), op, a);
    return last();
  }
  AstId binary_node(ir::Op op, AstId a, AstId b) {
    add(AstKind::Binary, join(p_.nodes[a].loc, p_.nodes[b].loc), op, a, b);
    return last();
  }

  // Counts one level of nesting for as long as it lives.
  struct Nesting {
    explicit Nesting(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxNesting)
        parser.fail(parser.here(), fmt::format("expression nested too deeply (limit {})", kMaxNesting),
                    {"split the expression into several named statements"});
    }
    ~Nesting() { --parser.depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    Parser& parser;
  };

  std::string at_text(SourceLoc loc) const {
    const LineCol lc = src_.line_col(loc.offset);
    return fmt::format("{}:{}", lc.line, lc.col);
  }

  const SourceFile& src_;
  LexResult lexed_;
  size_t pos_ = 0;
  int depth_ = 0;
  Program p_;
  std::unordered_map<std::string_view, uint32_t> defs_;  // def name -> Program::defs index
  std::string_view defining_;                            // the def whose body is being parsed
};

// program = sep* (stmt (sep+ stmt)*)? sep* EOF
Program Parser::program() {
  auto skip_separators = [&] { while (at(Tok::Newline) || at(Tok::Semi)) advance(); };
  skip_separators();
  while (!at(Tok::Eof)) {
    p_.stmts.push_back(stmt());
    if (!at_statement_end()) unexpected_after_statement();
    skip_separators();
  }
  if (p_.stmts.empty()) fail({0, 0}, "empty program: nothing to compute");
  return std::move(p_);
}

// stmt = decl | def | NAME "=" expr | expr
Stmt Parser::stmt() {
  if (at_keyword("input") || at_keyword("param")) return declaration();
  if (at_keyword("def")) return definition();
  if (at(Tok::Ident) && peek().kind == Tok::Assign) {
    const Token name = advance();
    if (find_function(name.text) || defs_.count(name.text))
      fail(name.loc, fmt::format("cannot assign to '{}': it is a function", name.text),
           {"choose another name for the variable"});
    advance();  // '='
    Stmt s;
    s.target = name.text, s.target_loc = name.loc, s.expr = expr();
    return s;
  }
  const AstId e = expr();
  if (at(Tok::Assign)) {
    const bool number = p_.nodes[e].kind == AstKind::Number;
    fail(p_.nodes[e].loc, number ? "cannot assign to a number" : "cannot assign to an expression",
         {"the left side of '=' must be a name, as in 'a = x*y'"});
  }
  Stmt s;
  s.expr = e;
  return s;
}

// A declared or defined name may not be a function's.
void Parser::check_new_name(const Token& name, const char* what) const {
  if (find_function(name.text) || defs_.count(name.text))
    fail(name.loc, fmt::format("cannot {} '{}': it is a function", what, name.text),
         {"choose another name"});
}

// decl = "input" NAME shape? (":" TYPE)? | "param" NAME shape? ("=" INIT)?
Stmt Parser::declaration() {
  const Token keyword = advance();
  const bool param = keyword.text == "param";
  const Token name = advance();
  check_new_name(name, "declare");
  Stmt s;
  s.kind = param ? StmtKind::Param : StmtKind::Input;
  s.target = name.text, s.target_loc = name.loc;
  if (at(Tok::LBracket)) s.dims = shape();
  if (at(Tok::Colon)) {
    const Token colon = advance();
    if (!at(Tok::Ident)) fail(here(), "expected a type after ':'", {"write ': int' for integer class labels"});
    const Token type = advance();
    if (type.text != "int" && type.text != "float")
      fail(type.loc, fmt::format("unknown type '{}'", type.text),
           {"an input is 'float' (the default) or 'int' (integer class labels)"});
    if (param)
      fail(join(colon.loc, type.loc), "a param cannot have a type",
           {"params are always float; only inputs may hold integer labels"});
    s.integer = type.text == "int";
  }
  if (at(Tok::Assign)) {
    const Token assign = advance();
    if (!param)
      fail(assign.loc, fmt::format("an input has no initialiser: its value is fed when the program runs"),
           {fmt::format("declare it as 'param {} ... = he()' to give it an initialiser", name.text)});
    s.init = initialiser();
  }
  if (!at_statement_end()) {
    if (at(Tok::LParen))
      fail(cur().loc, "unexpected '(' in a declaration", {"write the shape in square brackets: input x[B, 784]"});
    fail(here(), fmt::format("unexpected {} in the declaration of '{}'", describe(cur()), name.text),
         {param ? "a param is declared as 'param W[784, 256] = he()'"
                : "an input is declared as 'input x[B, 784]' or 'input y[B] : int'"});
  }
  return s;
}

// Far beyond any buffer a machine holds; larger dims are refused before anything multiplies them.
constexpr double kMaxDimension = 1e15;

// shape = "[" dim ("," dim)* "]"
std::vector<DimSpec> Parser::shape() {
  const Token open = advance();
  std::vector<DimSpec> dims;
  if (at(Tok::RBracket))
    fail(join(open.loc, cur().loc), "empty shape '[]'", {"leave the shape out for a scalar: 'input t'"});
  while (true) {
    if (at(Tok::Ident)) {
      const Token t = advance();
      dims.push_back({t.text, 0, t.loc});
    } else if (at(Tok::Number)) {
      const Token t = advance();
      // Range first: casting a double of 2^63 or more to int64_t is undefined behaviour.
      if (t.value > kMaxDimension)
        fail(t.loc, fmt::format("a dimension must be at most {:.0f}, not '{}'", kMaxDimension, t.text));
      if (t.value != std::trunc(t.value))
        fail(t.loc, fmt::format("a dimension must be a whole number, not '{}'", t.text));
      if (t.value == 0) fail(t.loc, "a dimension must be positive, not 0");
      dims.push_back({{}, static_cast<int64_t>(t.value), t.loc});
    } else if (at(Tok::Minus)) {
      SourceLoc loc = cur().loc;
      if (peek().kind == Tok::Number) loc = join(loc, peek().loc);
      fail(loc, "a dimension must be positive", {"dims are positive integers or names (B, N)"});
    } else {
      fail(here(), "expected a dimension (a positive integer or a name)");
    }
    if (at(Tok::Comma)) {
      advance();
      continue;
    }
    if (at(Tok::RBracket)) break;
    if (at_statement_end()) fail(here(), "expected ']'", {fmt::format("to match the '[' at {}", at_text(open.loc))});
    fail(here(), "expected ',' or ']' in the shape");
  }
  advance();  // ']'
  return dims;
}

// INIT = NAME "(" (number ("," number)*)? ")", normalised to "name(a, b)".
std::string Parser::initialiser() {
  if (!at(Tok::Ident)) fail(here(), "expected an initialiser such as he() or zeros()");
  const Token name = advance();
  const Initialiser* init = find_initialiser(name.text);
  if (!init) {
    std::vector<std::string> notes;
    if (const std::string_view g = suggest(name.text, initialiser_names()); !g.empty())
      notes.push_back(fmt::format("did you mean '{}'?", g));
    notes.push_back("initialisers: he() xavier() normal(mean, std) uniform(lo, hi) zeros() ones() constant(v)");
    fail(name.loc, fmt::format("unknown initialiser '{}'", name.text), std::move(notes));
  }
  if (!at(Tok::LParen)) fail(here(), fmt::format("expected '(' after '{}'", name.text), {fmt::format("write {}", init->usage)});
  const Token open = advance();
  std::vector<double> values;
  while (!at(Tok::RParen)) {
    double sign = 1;
    SourceLoc loc = cur().loc;
    if (at(Tok::Minus) || at(Tok::Plus)) sign = advance().kind == Tok::Minus ? -1 : 1;
    if (!at(Tok::Number))
      fail(at_statement_end() ? here() : join(loc, cur().loc), "an initialiser's arguments must be numbers",
           {fmt::format("usage: {}", init->usage)});
    values.push_back(sign * advance().value);
    if (at(Tok::Comma)) advance();
    else if (!at(Tok::RParen)) {
      if (at_statement_end()) fail(here(), "expected ')'", {to_match(open)});
      fail(here(), fmt::format("expected ',' or ')' in {}", init->usage));
    }
  }
  const SourceLoc loc = join(name.loc, advance().loc);
  if (static_cast<int>(values.size()) != init->arity)
    fail(loc, fmt::format("{} expects {} argument{}, got {}", init->name, init->arity, init->arity == 1 ? "" : "s",
                          values.size()),
         {fmt::format("usage: {}", init->usage)});
  std::string text = fmt::format("{}(", init->name);
  for (size_t i = 0; i < values.size(); ++i) text += fmt::format("{}{}", i ? ", " : "", values[i]);
  return text + ")";
}

// def = "def" NAME "(" (NAME ("," NAME)*)? ")" "=" expr
Stmt Parser::definition() {
  advance();  // def
  const Token name = advance();
  if (auto it = defs_.find(name.text); it != defs_.end())
    fail(name.loc, fmt::format("'{}' is already defined", name.text),
         {fmt::format("'{}' is defined at {}", name.text, at_text(p_.defs[it->second].name_loc))});
  check_new_name(name, "define");
  Def d;
  d.name = name.text, d.name_loc = name.loc;
  if (!at(Tok::LParen)) fail(here(), "expected '(' after the function name", {"def name(a, b) = expression"});
  const Token open = advance();
  while (!at(Tok::RParen)) {
    if (!at(Tok::Ident)) {
      if (at_statement_end()) fail(here(), "expected ')'", {to_match(open)});
      fail(here(), "expected a parameter name", {"def name(a, b) = expression"});
    }
    const Token param = advance();
    if (find_function(param.text) || defs_.count(param.text))
      fail(param.loc, fmt::format("parameter '{}' has the name of a function", param.text), {"choose another name"});
    for (size_t i = 0; i < d.params.size(); ++i)
      if (d.params[i] == param.text)
        fail(param.loc, fmt::format("parameter '{}' appears twice", param.text));
    d.params.push_back(param.text), d.param_locs.push_back(param.loc);
    if (at(Tok::Comma)) advance();
    else if (!at(Tok::RParen)) {
      if (at_statement_end()) fail(here(), "expected ')'", {to_match(open)});
      fail(here(), "expected ',' or ')' in the parameter list");
    }
  }
  advance();  // ')'
  if (!at(Tok::Assign)) fail(here(), "expected '=' after the parameters", {"def name(a, b) = expression"});
  advance();
  defining_ = name.text;
  d.body = expr();
  defining_ = {};
  const auto index = static_cast<uint32_t>(p_.defs.size());
  p_.defs.push_back(std::move(d));
  defs_.emplace(name.text, index);
  Stmt s;
  s.kind = StmtKind::Def, s.target = name.text, s.target_loc = name.loc, s.def = index;
  return s;
}

// expr = term (("+" | "-") term)*
AstId Parser::expr() {
  AstId lhs = term();
  while (at(Tok::Plus) || at(Tok::Minus)) {
    const ir::Op op = advance().kind == Tok::Plus ? ir::Op::Add : ir::Op::Sub;
    lhs = binary_node(op, lhs, term());
  }
  return lhs;
}

// term = unary (("*" | "/" | "@") unary)*
AstId Parser::term() {
  AstId lhs = unary();
  while (at(Tok::Star) || at(Tok::Slash) || at(Tok::At)) {
    const Tok kind = advance().kind;
    const ir::Op op = kind == Tok::Star ? ir::Op::Mul : kind == Tok::Slash ? ir::Op::Div : ir::Op::MatMul;
    lhs = binary_node(op, lhs, unary());
  }
  return lhs;
}

// unary = ("-" | "+") unary | power
AstId Parser::unary() {
  const Nesting nesting(*this);
  if (at(Tok::Minus)) {
    const Token minus = advance();
    const AstId operand = unary();
    AstNode& n = p_.nodes[operand];
    if (n.kind != AstKind::Number) return unary_node(ir::Op::Neg, minus.loc, operand);
    n.value = -n.value;  // -2 is the constant -2, so x^-1 reads as pow(x, -1)
    n.loc = join(minus.loc, n.loc);
    return operand;
  }
  if (at(Tok::Plus)) {
    advance();  // +x is x: no node
    return unary();
  }
  return power();
}

// power = postfix (("^" | "**") unary)?
AstId Parser::power() {
  const AstId base = postfix();
  if (!at(Tok::Caret)) return base;
  advance();
  return binary_node(ir::Op::Pow, base, unary());  // unary() recurses: right-associative
}

// postfix = primary ("." "T")*
AstId Parser::postfix() {
  AstId e = primary();
  while (at(Tok::Dot)) {
    const Token dot = advance();
    if (!at(Tok::Ident) || cur().text != "T")
      fail(at(Tok::Ident) ? join(dot.loc, cur().loc) : dot.loc,
           at(Tok::Ident) ? fmt::format("unknown attribute '.{}'", cur().text) : std::string("expected 'T' after '.'"),
           {"'.T' (transpose) is the only attribute"});
    const Token t = advance();
    add(AstKind::Transpose, join(p_.nodes[e].loc, t.loc), ir::Op::Const, e);
    e = last();
  }
  return e;
}

// primary = NUMBER | NAME | "(" expr ")" | call | apply
AstId Parser::primary() {
  switch (cur().kind) {
    case Tok::Number: {
      const Token t = advance();
      add(AstKind::Number, t.loc).value = t.value;
      return last();
    }
    case Tok::Ident: return name_or_apply();
    case Tok::LParen: return paren();
    case Tok::LBracket:
      fail(cur().loc, "unexpected '['",
           {"use '(' and ')' for grouping; square brackets are for shapes and lists such as axis=[0, 1]"});
    default: fail(here(), "expected an expression");
  }
}

// The NAME, call and apply alternatives of primary.
AstId Parser::name_or_apply() {
  const Token name = cur();
  const Function* f = find_function(name.text);
  if (!f && (defs_.count(name.text) || name.text == defining_)) {
    advance();
    if (name.text == defining_)
      fail(name.loc, fmt::format("'{}' cannot call itself", name.text),
           {"a def is inlined where it is called, so it may call only earlier defs, never itself"});
    if (!at(Tok::LParen))
      fail(name.loc, fmt::format("'{0}' is a function; call it as {0}(...)", name.text));
    return call(nullptr, name);
  }
  if (!f) {
    // "lnn(x)" and "lnn x" are misspelt calls; "a (b)" is a missing '*'.
    if (peek().kind == Tok::LParen) unknown_function(name);
    if ((peek().kind == Tok::Ident || peek().kind == Tok::Number) && suggest_function(name.text))
      unknown_function(name);
    advance();
    add(AstKind::Name, name.loc).name = name.text;
    return last();
  }
  advance();
  if (at(Tok::LParen)) return call(f, name);
  const bool operand_follows = at(Tok::Number) || at(Tok::Ident) || signed_operand_follows(name);
  const bool scalar1 = f->arity == 1 && f->builtin == Builtin::Elementwise;
  // apply = FUNC1 unary
  if (scalar1 && operand_follows) return unary_node(*f->op, name.loc, unary());
  if (scalar1) {
    std::vector<std::string> notes;
    if (at(Tok::Minus) || at(Tok::Plus))
      notes.push_back(fmt::format("to apply it to a signed operand, write {0}(-x) or {0} -x (the sign against its operand)",
                                  name.text));
    fail(name.loc, fmt::format("'{0}' is a function; call it as {0}(x) or {0} x", name.text), std::move(notes));
  }
  if (f->builtin != Builtin::Elementwise && f->builtin != Builtin::Grad)
    fail(name.loc, fmt::format("'{}' is a function; call it as {}", name.text, f->usage),
         {"only one-argument scalar functions may be applied without parentheses"});
  fail(name.loc, fmt::format("'{}' is a function of {} arguments; call it as {}", name.text,
                             f->arity, f->usage),
       {"only one-argument functions may be applied without parentheses"});
}

// `exp -x`: a sign applies the function only when it is written as a sign, set apart from the
// name and against its operand. `exp - x`, `exp-x` and `ln + 1` read as a difference or a sum
// with a function as one side, which is an error, as `sin * 3` is.
bool Parser::signed_operand_follows(const Token& name) const {
  if (!at(Tok::Minus) && !at(Tok::Plus)) return false;
  const ir::SourceLoc sign = cur().loc;
  const bool apart_from_name = sign.offset > name.loc.offset + name.loc.len;
  const bool against_operand = peek().loc.offset == sign.offset + sign.len;
  return apart_from_name && against_operand;
}

// call = FUNC "(" (arg ("," arg)*)? ")"; f is null for a user def.
AstId Parser::call(const Function* f, const Token& name) {
  const Token open = advance();
  std::vector<Arg> args;
  while (!at(Tok::RParen)) {
    Arg arg{{}, {}, kNoAst};
    if (at(Tok::Ident) && peek().kind == Tok::Assign) {  // keyword = value
      const Token k = advance();
      advance();
      arg.keyword = k.text, arg.keyword_loc = k.loc;
    } else if (!args.empty() && !args.back().keyword.empty()) {
      fail(here(), "a positional argument cannot follow a keyword argument");
    }
    arg.value = at(Tok::LBracket) ? list() : expr();
    args.push_back(arg);
    if (at(Tok::Comma)) {
      advance();
      continue;
    }
    if (at(Tok::RParen)) break;
    if (at_statement_end()) fail(here(), "expected ')'", {to_match(open)});
    fail(here(), fmt::format("expected ',' or ')' in the call to {}", name.text), {to_match(open)});
  }
  const SourceLoc loc = join(name.loc, advance().loc);
  if (!f) return def_call(defs_.at(name.text), args, loc);
  if (f->name == "max" && (args.size() == 1 || (args.size() > 1 && !args[1].keyword.empty())))
    f = &max_reduction();  // max(x), max(x, axis=1): the reduction
  if (f->builtin != Builtin::Elementwise && f->builtin != Builtin::Grad) return builtin_call(*f, args, loc);
  for (const Arg& a : args)
    if (!a.keyword.empty())
      fail(a.keyword_loc, fmt::format("{} takes no keyword arguments", f->name), {fmt::format("usage: {}", f->usage)});
  const auto got = static_cast<int>(args.size());
  if (got != f->arity)
    fail(loc, fmt::format("{} expects {} argument{}, got {}", f->name, f->arity, f->arity == 1 ? "" : "s", got),
         {fmt::format("usage: {}", f->usage)});
  if (!f->op) return grad_node(args[0].value, args[1].value, loc);
  if (f->arity == 1) add(AstKind::Unary, loc, *f->op, args[0].value);
  else add(AstKind::Binary, loc, *f->op, args[0].value, args[1].value);
  return last();
}

// A tensor built-in: operands first, then options by position or keyword.
AstId Parser::builtin_call(const Function& f, const std::vector<Arg>& args, SourceLoc loc) {
  std::vector<AstId> operands, options(static_cast<size_t>(f.option_count()), kNoAst);
  const int most = f.arity + f.option_count();
  for (const Arg& a : args) {
    if (!a.keyword.empty()) continue;
    if (static_cast<int>(operands.size()) < f.arity) {
      operands.push_back(a.value);
      continue;
    }
    const size_t slot = static_cast<size_t>(&a - args.data()) - operands.size();
    if (slot >= options.size()) {
      std::string counted = most == f.arity ? fmt::format("{}", most) : fmt::format("at most {}", most);
      fail(loc, fmt::format("{} expects {} argument{}, got {}", f.name, counted, most == 1 ? "" : "s", args.size()),
           {fmt::format("usage: {}", f.usage)});
    }
    options[slot] = a.value;
  }
  if (static_cast<int>(operands.size()) < f.arity)
    fail(loc, fmt::format("{} expects {} argument{} before any keyword, got {}", f.name, f.arity,
                          f.arity == 1 ? "" : "s", operands.size()),
         {fmt::format("usage: {}", f.usage)});
  for (const Arg& a : args) {
    if (a.keyword.empty()) continue;
    size_t slot = options.size();
    for (size_t i = 0; i < options.size(); ++i)
      if (f.options[i] == a.keyword) slot = i;
    if (slot == options.size()) {
      std::vector<std::string> notes;
      std::vector<std::string_view> accepted(f.options.begin(), f.options.begin() + f.option_count());
      if (accepted.empty()) {
        fail(a.keyword_loc, fmt::format("{} takes no keyword arguments", f.name), {fmt::format("usage: {}", f.usage)});
      }
      if (const std::string_view g = suggest(a.keyword, accepted); !g.empty())
        notes.push_back(fmt::format("did you mean '{}'?", g));
      std::string list;
      for (std::string_view k : accepted) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
      notes.push_back(fmt::format("{} accepts: {}", f.name, list));
      fail(a.keyword_loc, fmt::format("{} has no keyword argument '{}'", f.name, a.keyword), std::move(notes));
    }
    if (options[slot] != kNoAst)
      fail(a.keyword_loc, fmt::format("{} is given twice in the call to {}", a.keyword, f.name));
    options[slot] = a.value;
  }
  for (int i = 0; i < f.required_options; ++i)
    if (options[static_cast<size_t>(i)] == kNoAst)
      fail(loc, fmt::format("{} needs its {} argument", f.name, f.options[static_cast<size_t>(i)]),
           {fmt::format("usage: {}", f.usage)});
  AstNode& n = add(AstKind::Call, loc);
  n.fn = &f, n.args = std::move(operands), n.options = std::move(options);
  return last();
}

// A call of a user def: every argument is an operand.
AstId Parser::def_call(uint32_t def, const std::vector<Arg>& args, SourceLoc loc) {
  const Def& d = p_.defs[def];
  for (const Arg& a : args)
    if (!a.keyword.empty())
      fail(a.keyword_loc, fmt::format("{} takes no keyword arguments", d.name),
           {"pass the arguments of a def by position"});
  if (args.size() != d.params.size()) {
    std::string params;
    for (std::string_view p : d.params) params += fmt::format("{}{}", params.empty() ? "" : ", ", p);
    fail(loc, fmt::format("{} expects {} argument{}, got {}", d.name, d.params.size(), d.params.size() == 1 ? "" : "s",
                          args.size()),
         {fmt::format("'def {}({})' is at {}", d.name, params, at_text(d.name_loc))});
  }
  std::vector<AstId> values;
  for (const Arg& a : args) values.push_back(a.value);
  AstNode& n = add(AstKind::Call, loc);
  n.def = def, n.args = std::move(values), n.name = d.name;
  return last();
}

// "[" (expr ("," expr)*)? "]": an option's list (axes, a shape).
AstId Parser::list() {
  const Token open = advance();
  std::vector<AstId> items;
  while (!at(Tok::RBracket)) {
    if (at(Tok::LBracket)) fail(cur().loc, "lists cannot be nested");
    items.push_back(expr());
    if (at(Tok::Comma)) advance();
    else if (!at(Tok::RBracket)) {
      if (at_statement_end()) fail(here(), "expected ']'", {fmt::format("to match the '[' at {}", at_text(open.loc))});
      fail(here(), "expected ',' or ']' in the list");
    }
  }
  AstNode& n = add(AstKind::List, join(open.loc, advance().loc));
  n.args = std::move(items);
  return last();
}

// The grad(expr, x) form of call: x must be written as a plain name.
AstId Parser::grad_node(AstId of, AstId wrt, SourceLoc loc) {
  const AstNode& w = p_.nodes[wrt];
  if (w.kind != AstKind::Name)
    fail(w.loc, "the second argument of grad must be an input name",
         {"grad(expr, x) is the derivative of expr with respect to the input x"});
  const std::string_view name = w.name;
  const SourceLoc name_loc = w.loc;  // copied first: add() may move the nodes
  AstNode& g = add(AstKind::Grad, loc, ir::Op::Const, of);
  g.name = name, g.name_loc = name_loc;
  return last();
}

// "(" expr ")"
AstId Parser::paren() {
  const Token open = advance();
  const AstId inner = expr();
  if (!at(Tok::RParen)) fail(here(), "expected ')'", {to_match(open)});
  const Token close = advance();
  p_.nodes[inner].loc = join(open.loc, close.loc);  // (a+b)*c underlines from the '('
  return inner;
}

void Parser::unknown_function(const Token& name) {
  std::vector<std::string> notes;
  if (const Function* g = suggest_function(name.text))
    notes.push_back(fmt::format("did you mean '{}'?", g->name));
  else if (name.text == "pow")
    notes.push_back("write powers as a^b (or a**b)");
  else if (defines_function())
    notes.push_back(fmt::format("to define a function, write 'def {}(x) = ...'", name.text));
  else if (peek().kind == Tok::LParen)
    notes.push_back("to multiply, write '*': there is no implicit multiplication");
  fail(name.loc, fmt::format("unknown function '{}'", name.text), std::move(notes));
}

// "f(x) = x^2": a name and '(' starting a statement that has an '=' further on.
bool Parser::defines_function() const {
  if (pos_ > 0 && lexed_.tokens[pos_ - 1].kind != Tok::Newline && lexed_.tokens[pos_ - 1].kind != Tok::Semi)
    return false;
  for (size_t i = pos_; i < lexed_.tokens.size(); ++i) {
    const Tok k = lexed_.tokens[i].kind;
    if (k == Tok::Assign) return true;
    if (k == Tok::Newline || k == Tok::Semi || k == Tok::Eof || k == Tok::Error) return false;
  }
  return false;
}

void Parser::unexpected_after_statement() {
  const Token& t = cur();
  switch (t.kind) {
    case Tok::RParen: fail(t.loc, "unexpected ')'", {"there is no '(' open here"});
    case Tok::RBracket: fail(t.loc, "unexpected ']'", {"there is no '[' open here"});
    case Tok::Assign:
      fail(t.loc, "unexpected '='", {"a statement assigns one name: 'name = expression'"});
    case Tok::Comma:
      fail(t.loc, "unexpected ','",
           {"',' separates function arguments; separate statements with ';' or a new line"});
    case Tok::Ident:
    case Tok::Number:
    case Tok::LParen:
      fail(t.loc, fmt::format("unexpected {} after the expression", describe(t)),
           {"to multiply, write '*': there is no implicit multiplication"});
    default: fail(t.loc, fmt::format("unexpected {}", describe(t)));
  }
}

}  // namespace

Program parse(const SourceFile& src) {
  return on_deep_stack<Program>([&] { return Parser(src, lex(src)).program(); });
}

}  // namespace gradc::frontend
