// tests/unit/frontend_parser_test.cpp — what programs mean: precedence, juxtaposed
// application, statements, inputs and outputs, grad, and line:col positions.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "ir/printer.h"
#include "runtime/interpreter.h"

using namespace gradc;
using frontend::SourceFile;

namespace {

ir::Graph compile(const std::string& text) {
  return frontend::compile_to_ir(SourceFile("test.grad", text));
}

// The output's expression as an S-expression: (op a b), inputs by name.
std::string sexpr(const ir::Graph& g, ir::NodeId id) {
  const ir::Node& n = g[id];
  if (n.op == ir::Op::Input) return n.name;
  if (n.op == ir::Op::Const) return fmt::format("{}", n.value);
  std::string s = fmt::format("({}", ir::mnemonic(n.op));
  for (ir::NodeId in : n.inputs) s += " " + sexpr(g, in);
  return s + ")";
}

std::string parsed(const std::string& text) {
  const ir::Graph g = compile(text);
  REQUIRE(g.outputs.size() == 1);
  return sexpr(g, g.outputs[0].id);
}

double eval(const std::string& text, std::vector<double> inputs) {
  return runtime::interpret(compile(text), inputs).at(0);
}

}  // namespace

TEST_CASE("frontend: precedence and associativity", "[frontend]") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"ln x^2", "(log (pow x 2))"},
      {"-x^2", "(neg (pow x 2))"},
      {"2^3^2", "(pow 2 (pow 3 2))"},
      {"2**3**2", "(pow 2 (pow 3 2))"},
      {"2^-1", "(pow 2 -1)"},
      {"x^-y^2", "(pow x (neg (pow y 2)))"},
      {"a/b/c", "(div (div a b) c)"},
      {"a-b-c", "(sub (sub a b) c)"},
      {"a+b*c", "(add a (mul b c))"},
      {"(a+b)*c", "(mul (add a b) c)"},
      {"ln x * y", "(mul (log x) y)"},
      {"sin x * y", "(mul (sin x) y)"},
      {"sin x - y", "(sub (sin x) y)"},
      {"ln(x)^2", "(pow (log x) 2)"},
      {"ln (x)^2", "(pow (log x) 2)"},
      {"ln (x+1)*y", "(mul (log (add x 1)) y)"},
      {"exp -x", "(exp (neg x))"},
      {"ln ln x", "(log (log x))"},
      {"-ln x", "(neg (log x))"},
      {"x^ln y", "(pow x (log y))"},
      {"+x", "x"},
      {"--x", "(neg (neg x))"},
      {"-2", "-2"},
      {"-(2)^2", "(neg (pow 2 2))"},
      {"max(a, b) + min(a, 1)", "(add (max a b) (min a 1))"},
      {"log x", "(log x)"},
      {"sqrt(tanh(sigmoid(relu(abs(softplus(step(x)))))))",
       "(sqrt (tanh (sigmoid (relu (abs (softplus (step x)))))))"},
      {"cos x + tan x", "(add (cos x) (tan x))"},
  };
  for (const auto& [text, expected] : table) {
    INFO(text);
    CHECK(parsed(text) == expected);
  }
}

TEST_CASE("frontend: numbers", "[frontend]") {
  CHECK(parsed("1") == "1");
  CHECK(parsed("2.5") == "2.5");
  CHECK(parsed(".5") == "0.5");
  CHECK(parsed("5.") == "5");
  CHECK(parsed("1e-3") == "0.001");
  CHECK(parsed("1E+3") == "1000");
  CHECK(parsed("2e3") == "2000");
}

TEST_CASE("frontend: the homework seed f = ln x + exp(y) times z", "[frontend]") {
  const ir::Graph g = compile("f = ln x + exp(y)*z\n");
  CHECK(g.input_names() == std::vector<std::string>{"x", "y", "z"});
  REQUIRE(g.outputs.size() == 1);
  CHECK(g.outputs[0].name == "f");
  CHECK(ir::print(g) ==
        "func @f(%x: f64[], %y: f64[], %z: f64[]) {\n"
        "  %0 = log %x : f64[]\n"
        "  %1 = exp %y : f64[]\n"
        "  %2 = mul %1, %z : f64[]\n"
        "  %3 = add %0, %2 : f64[]  # f\n"
        "  return f = %3\n"
        "}\n");
  // Source locations: the add spans the whole right-hand side.
  const ir::Node& add = g[g.outputs[0].id];
  CHECK(add.loc.offset == 4);
  CHECK(add.loc.len == 15);
}

TEST_CASE("frontend: coursework 002 shares subexpressions", "[frontend]") {
  const ir::Graph g = compile("a = x*y + z; b = (x+x)*a; w = a*b");
  CHECK(g.input_names() == std::vector<std::string>{"x", "y", "z"});
  REQUIRE(g.outputs.size() == 1);
  CHECK(g.outputs[0].name == "w");
  CHECK(sexpr(g, g.outputs[0].id) ==
        "(mul (add (mul x y) z) (mul (add x x) (add (mul x y) z)))");
  // The user's names label the nodes.
  const ir::Node& w = g[g.outputs[0].id];
  CHECK(w.name == "w");
  CHECK(g[w.inputs[0]].name == "a");
  CHECK(g[w.inputs[1]].name == "b");
  CHECK(eval("a = x*y + z; b = (x+x)*a; w = a*b", {1, 2, 3}) == 5 * (2 * 5));
}

TEST_CASE("frontend: statements and comments and separators", "[frontend]") {
  const std::string text =
      "# a comment line\n"
      "\n"
      "a = x * 2   # trailing comment\n"
      ";; b = a + 1;\n"
      "c = b\n";
  const ir::Graph g = compile(text);
  CHECK(g.outputs[0].name == "c");
  CHECK(sexpr(g, g.outputs[0].id) == "(add (mul x 2) 1)");
  CHECK(g[g.outputs[0].id].name == "b");  // `c = b` keeps b's name on the node
  CHECK(compile("x\r\n").outputs[0].name == "f");  // CRLF line ends
}

TEST_CASE("frontend: a lone expression is the output f", "[frontend]") {
  const ir::Graph g = compile("ln x + exp(y)*z");
  CHECK(g.outputs[0].name == "f");
  CHECK(g.input_names() == std::vector<std::string>{"x", "y", "z"});
  const ir::Graph h = compile("a = x*x\na + 1");
  CHECK(h.outputs[0].name == "f");
  CHECK(sexpr(h, h.outputs[0].id) == "(add (mul x x) 1)");
}

TEST_CASE("frontend: an output may be an input", "[frontend]") {
  const ir::Graph g = compile("f = x");
  CHECK(g.outputs[0].name == "f");
  CHECK(g[g.outputs[0].id].op == ir::Op::Input);
  CHECK(g[g.outputs[0].id].name == "x");
}

TEST_CASE("frontend: after reassignment later uses see the new value", "[frontend]") {
  const ir::Graph g = compile("a = x\na = a * a\nb = a + a\na = 1\nf = b + a");
  CHECK(g.input_names() == std::vector<std::string>{"x"});
  CHECK(sexpr(g, g.outputs[0].id) == "(add (add (mul x x) (mul x x)) 1)");
  CHECK(eval("a = x\na = a * a\nb = a + a\na = 1\nf = b + a", {3}) == 19);
}

TEST_CASE("frontend: inputs in order of first use", "[frontend]") {
  CHECK(compile("f = z + y*x + z").input_names() == std::vector<std::string>{"z", "y", "x"});
  CHECK(compile("a = q\nf = p + a").input_names() == std::vector<std::string>{"q", "p"});
}

TEST_CASE("frontend: grad builds derivatives in the language", "[frontend]") {
  CHECK(eval("f = grad(x^3, x)", {2}) == Approx(12));
  CHECK(eval("f = grad(grad(x^3, x), x)", {2}) == Approx(12));  // 6x
  CHECK(eval("f = grad(grad(x^3, x), x)", {5}) == Approx(30));
  CHECK(eval("g = grad(x*y + sin y, y)", {3, 0}) == Approx(4));
  CHECK(eval("a = ln x + exp(y)*z\nf = grad(a, y)", {1, 0, 2}) == Approx(2));
  // Differentiating by an input the expression does not use gives 0.
  const ir::Graph g = compile("f = grad(y^2, x)");
  CHECK(g.input_names() == std::vector<std::string>{"y", "x"});
  CHECK(runtime::interpret(g, std::vector<double>{1, 2}).at(0) == 0);
}

TEST_CASE("frontend: f32 programs", "[frontend]") {
  const ir::Graph g = frontend::compile_to_ir(SourceFile("t.grad", "f = x + 1"), ir::DType::F32);
  for (const ir::Node& n : g.nodes()) CHECK(n.dtype == ir::DType::F32);
}

TEST_CASE("frontend: long flat inputs parse without deep recursion", "[frontend]") {
  std::string sum = "f = x";
  for (int i = 0; i < 50'000; ++i) sum += i % 2 ? "+x" : "*y";
  const ir::Graph g = compile(sum);
  CHECK(sum.size() > 100'000);
  CHECK(g.size() == 50'000 + 2);
  // Deep but legal nesting: 200 parentheses.
  CHECK(parsed(std::string(200, '(') + "x" + std::string(200, ')')) == "x");
  std::string chain = "f = ";
  for (int i = 0; i < 200; ++i) chain += "ln ";
  CHECK(compile(chain + "x").size() == 201);
}

TEST_CASE("frontend: SourceFile::line_col and line_text", "[frontend]") {
  const SourceFile src("t.grad", "ab\ncd\r\n\nlast");
  auto lc = [&](uint32_t offset) {
    const frontend::LineCol p = src.line_col(offset);
    return std::pair{p.line, p.col};
  };
  CHECK(lc(0) == std::pair{1, 1});
  CHECK(lc(1) == std::pair{1, 2});
  CHECK(lc(2) == std::pair{1, 3});  // the newline itself
  CHECK(lc(3) == std::pair{2, 1});
  CHECK(lc(7) == std::pair{3, 1});
  CHECK(lc(8) == std::pair{4, 1});
  CHECK(lc(12) == std::pair{4, 5});   // just past the end
  CHECK(lc(999) == std::pair{4, 5});  // clamped
  CHECK(src.line_text(1) == "ab");
  CHECK(src.line_text(2) == "cd");  // without the \r
  CHECK(src.line_text(3).empty());
  CHECK(src.line_text(4) == "last");
  CHECK(src.line_text(5).empty());
  const SourceFile empty("e.grad", "");
  CHECK(empty.line_col(0).line == 1);
  CHECK(empty.line_col(0).col == 1);
}
