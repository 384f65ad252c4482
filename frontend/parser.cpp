// frontend/parser.cpp — recursive descent, one function per grammar rule.
//
// Grammar (sep is a newline or ';'; a statement never spans lines):
//   program = sep* (stmt (sep+ stmt)*)? sep* EOF
//   stmt    = NAME "=" expr | expr
//   expr    = term (("+" | "-") term)*
//   term    = unary (("*" | "/") unary)*
//   unary   = ("-" | "+") unary | power
//   power   = primary (("^" | "**") unary)?
//   primary = NUMBER | NAME | "(" expr ")" | call | apply
//   call    = FUNC "(" (expr ("," expr)*)? ")"
//   apply   = FUNC1 unary                        (FUNC1: a one-argument function)
//
// DECISION — juxtaposed application, as homework writes "ln x + exp(y)*z":
//  * `f(...)`, with the parenthesis right after the name (spaces allowed), is an
//    ordinary call and binds tightest: ln(x)^2 = (ln x)^2, ln (x+1)*y = ln(x+1)*y.
//  * Without parentheses the operand is a unary-level expression, powers
//    included, as in maths: ln x^2 = ln(x^2), sin x * y = (sin x)*y,
//    ln ln x = ln(ln x), exp -x = exp(-x). A consequence: `exp - x` is exp(-x).
//  * Functions of two arguments (max, min, grad) always need parentheses.
// Powers are right-associative and their exponent is a unary expression:
// 2^3^2 = 2^9, 2^-1 = 1/2, -x^2 = -(x^2). `**` is a synonym for `^`.
//
// Left-associative operators are loops, not recursion, so a 50,000-term sum
// costs no stack; every other kind of nesting passes through unary(), which
// counts its depth and stops at kMaxNesting.
#include "frontend/parser.h"

#include <fmt/format.h>

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
  AstId expr();
  AstId term();
  AstId unary();
  AstId power();
  AstId primary();
  AstId name_or_apply();
  AstId call(const Function& f, const Token& name);
  AstId paren();

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

  const SourceFile& src_;
  LexResult lexed_;
  size_t pos_ = 0;
  int depth_ = 0;
  Program p_;
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

// stmt = NAME "=" expr | expr
Stmt Parser::stmt() {
  if (at(Tok::Ident) && peek().kind == Tok::Assign) {
    const Token name = advance();
    if (find_function(name.text))
      fail(name.loc, fmt::format("cannot assign to '{}': it is a function", name.text),
           {"choose another name for the variable"});
    advance();  // '='
    return {name.text, name.loc, expr()};
  }
  const AstId e = expr();
  if (at(Tok::Assign)) {
    const bool number = p_.nodes[e].kind == AstKind::Number;
    fail(p_.nodes[e].loc, number ? "cannot assign to a number" : "cannot assign to an expression",
         {"the left side of '=' must be a name, as in 'a = x*y'"});
  }
  return {{}, {}, e};
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

// term = unary (("*" | "/") unary)*
AstId Parser::term() {
  AstId lhs = unary();
  while (at(Tok::Star) || at(Tok::Slash)) {
    const ir::Op op = advance().kind == Tok::Star ? ir::Op::Mul : ir::Op::Div;
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

// power = primary (("^" | "**") unary)?
AstId Parser::power() {
  const AstId base = primary();
  if (!at(Tok::Caret)) return base;
  advance();
  return binary_node(ir::Op::Pow, base, unary());  // unary() recurses: right-associative
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
    default: fail(here(), "expected an expression");
  }
}

// The NAME, call and apply alternatives of primary.
AstId Parser::name_or_apply() {
  const Token name = cur();
  const Function* f = find_function(name.text);
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
  if (at(Tok::LParen)) return call(*f, name);
  const bool operand_follows = at(Tok::Number) || at(Tok::Ident) || at(Tok::Minus) || at(Tok::Plus);
  // apply = FUNC1 unary
  if (f->arity == 1 && operand_follows) return unary_node(*f->op, name.loc, unary());
  if (f->arity == 1)
    fail(name.loc, fmt::format("'{0}' is a function; call it as {0}(x) or {0} x", name.text));
  fail(name.loc, fmt::format("'{}' is a function of {} arguments; call it as {}", name.text,
                             f->arity, f->usage),
       {"only one-argument functions may be applied without parentheses"});
}

// call = FUNC "(" (expr ("," expr)*)? ")"
AstId Parser::call(const Function& f, const Token& name) {
  const Token open = advance();
  std::vector<AstId> args;
  if (!at(Tok::RParen)) {
    args.push_back(expr());
    while (at(Tok::Comma)) {
      advance();
      args.push_back(expr());
    }
  }
  if (!at(Tok::RParen)) {
    if (at_statement_end()) fail(here(), "expected ')'", {to_match(open)});
    fail(here(), fmt::format("expected ',' or ')' in the call to {}", f.name), {to_match(open)});
  }
  const SourceLoc loc = join(name.loc, advance().loc);
  const auto got = static_cast<int>(args.size());
  if (got != f.arity)
    fail(loc, fmt::format("{} expects {} argument{}, got {}", f.name, f.arity, f.arity == 1 ? "" : "s", got),
         {fmt::format("usage: {}", f.usage)});
  if (!f.op) return grad_node(args[0], args[1], loc);
  if (f.arity == 1) add(AstKind::Unary, loc, *f.op, args[0]);
  else add(AstKind::Binary, loc, *f.op, args[0], args[1]);
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
    notes.push_back("there are no function definitions: write 'f = <formula>'; its free names are the inputs");
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
  return Parser(src, lex(src)).program();
}

}  // namespace gradc::frontend
