// tests/unit/ir_text_test.cpp — the IR text parser reads back what the printer writes.
//
// Why round trips: per-pass golden tests (pass_golden_test.cpp) start from IR text,
// so the text must rebuild the very graph a pass would see. For every example program,
// before and after each pass, and for random graphs with awkward names and numbers:
// print(parse(print(g))) == print(g), and the parsed graph equals g field by field
// (ids compared through their printed labels: the parser puts inputs first). Then every
// kind of bad text gets a positioned error, and no garbage or truncation crashes it.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "frontend/frontend.h"
#include "ir/builder.h"
#include "ir/nn.h"
#include "ir/printer.h"
#include "ir/text_parser.h"
#include "passes/autodiff.h"
#include "passes/pass_manager.h"

using namespace gradc;
using ir::NodeId;
using ir::Op;
namespace fs = std::filesystem;

namespace {

bool same_double(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) && std::signbit(a) == std::signbit(b);
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);  // -0 is not 0 here
}

// The first way `b` differs from `a` (empty if none), ids matched by printed label.
std::string difference(const ir::Graph& a, const ir::Graph& b) {
  if (a.size() != b.size()) return fmt::format("{} nodes, parsed {}", a.size(), b.size());
  const ir::ValueNames la(a), lb(b);
  std::map<std::string, NodeId> b_by_label;
  for (NodeId id = 0; id < b.size(); ++id) b_by_label[lb[id]] = id;
  std::vector<NodeId> to_b(a.size());
  for (NodeId id = 0; id < a.size(); ++id) {
    const auto it = b_by_label.find(la[id]);
    if (it == b_by_label.end()) return "no " + la[id] + " in the parsed graph";
    to_b[id] = it->second;
  }
  auto map = [&](NodeId id) { return id < a.size() ? to_b[id] : id; };
  for (NodeId id = 0; id < a.size(); ++id) {
    const ir::Node &x = a[id], &y = b[to_b[id]];
    std::vector<NodeId> mapped;
    for (NodeId in : x.inputs) mapped.push_back(map(in));
    const bool same = x.op == y.op && x.dtype == y.dtype && x.shape == y.shape && mapped == y.inputs &&
                      (x.op != Op::Const || same_double(x.value, y.value)) && x.name == y.name &&
                      x.role == y.role && x.attr == y.attr && x.integer == y.integer &&
                      x.init == y.init && a.group(id) == b.group(to_b[id]) && map(a.adjoint(id)) == b.adjoint(to_b[id]);
    if (!same) return "node " + la[id] + " differs";
  }
  if (a.outputs.size() != b.outputs.size()) return "output count differs";
  for (size_t i = 0; i < a.outputs.size(); ++i)
    if (a.outputs[i].name != b.outputs[i].name || map(a.outputs[i].id) != b.outputs[i].id)
      return "output " + a.outputs[i].name + " differs";
  if (a.dim_names.names != b.dim_names.names) return "dim names differ";
  if (a.input_names() != b.input_names()) return "input order differs";
  return "";
}

// The round trip, with the text in the failure message.
void check_round_trip(const ir::Graph& g, const std::string& what) {
  const std::string text = ir::print(g);
  INFO(what << ":\n" << text);
  ir::Graph parsed;
  try {
    parsed = ir::parse_ir(text, what);
  } catch (const ir::TextError& e) {
    FAIL(e.what());
  }
  CHECK(ir::print(parsed) == text);
  CHECK(difference(g, parsed) == "");
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> example_programs() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(GRADC_SOURCE_DIR) / "examples"))
    if (e.path().extension() == ".grad") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// The rendered error for a text, or a marker if it parsed.
std::string error_of(const std::string& text) {
  try {
    ir::parse_ir(text, "t.ir");
  } catch (const ir::TextError& e) {
    return e.what();
  }
  return "(parsed without error)";
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// The passes run after autodiff, by name (passes::find_pass). A new pass belongs here
// too: its output must survive the text as well.
const std::vector<std::string> kPassesAfterAutodiff = {"simplify", "cse", "dce"};

}  // namespace

TEST_CASE("ir text: every example round-trips after each pass", "[ir][text]") {
  const auto files = example_programs();
  REQUIRE(files.size() >= 4);
  for (const fs::path& file : files)
    for (ir::DType dtype : {ir::DType::F64, ir::DType::F32}) {
      const frontend::SourceFile src(file.filename().string(), read_file(file));
      ir::Graph g = frontend::compile_to_ir(src, dtype);
      check_round_trip(g, file.filename().string() + " parsed");
      passes::PassContext ctx;
      g = passes::run_autodiff(g, ctx);
      check_round_trip(g, file.filename().string() + " autodiff");
      for (const std::string& pass : kPassesAfterAutodiff) {
        g = passes::find_pass(pass)->run(g, ctx);
        check_round_trip(g, file.filename().string() + " " + pass);
      }
    }
}

TEST_CASE("ir text: symbolic dims keep their names through the passes", "[ir][text][passes]") {
  const frontend::SourceFile src("mlp.grad", read_file(fs::path(GRADC_SOURCE_DIR) / "examples/mlp.grad"));
  passes::PassContext ctx;
  ir::Graph g = passes::run_autodiff(frontend::compile_to_ir(src, ir::DType::F32), ctx);
  for (const std::string& pass : kPassesAfterAutodiff) {
    g = passes::find_pass(pass)->run(g, ctx);
    INFO("after " << pass);
    CHECK(g.dim_names.names == std::vector<std::string>{"B"});
    const std::string text = ir::print(g);
    CHECK_THAT(text, Catch::StartsWith("func @f<B>(\n    %x: f32[B,784],\n    %y: f32[B] : int,\n"));
    CHECK_THAT(text, !Catch::Contains("?0"));
  }
}

namespace {

// Names and numbers that a careless format would mangle.
const std::vector<std::string> kAwkwardNames = {
    "x", "W1", "dJ/dW", "x'", "a b", "0", "7up", "in", "backward", "adjoint", "param", "q\"t", "back\\slash",
    "new\nline", "\xce\xb8", "#x", "a#", "a//b", "", "softmax#3", "tab\there", "{}", "%x", "=,:"};
const std::vector<double> kAwkwardNumbers = {
    0.0, -0.0, 1.0, 0.1, -2.5, 1e300, -1e-300, 5e-324, std::numeric_limits<double>::max(),
    std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
    std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::quiet_NaN(), 1.0 / 3, 123456789012345678.0};

template <class T>
const T& pick(const std::vector<T>& v, std::mt19937_64& rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

// A random graph over vectors of the symbolic dim N: elementwise ops, a composite call,
// reductions, odd names, constants and roles, and the gradient appended by autodiff.
ir::Graph random_graph(uint64_t seed) {
  std::mt19937_64 rng(seed);
  ir::Graph g;
  g.dim_names.names = {"N", seed % 2 ? "batch size" : "M"};
  ir::Builder b(g, seed % 3 ? ir::DType::F64 : ir::DType::F32);
  std::vector<NodeId> pool, wrt;
  for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n; ++i) {
    std::string name = pick(kAwkwardNames, rng) + std::to_string(i);  // unique, never empty
    const bool param = rng() % 2;
    pool.push_back(b.input(name, ir::Shape{{ir::symbol_dim(0)}}, param ? ir::Role::Param : ir::Role::Input));
    if (param) g[pool.back()].init = rng() % 2 ? "normal(0, 0.01)" : "odd \"init\"";
    wrt.push_back(pool.back());
  }
  for (int k = 0, n = 1 + static_cast<int>(rng() % 20); k < n; ++k) {
    if (rng() % 4 == 0) pool.push_back(b.constant(pick(kAwkwardNumbers, rng)));
    std::vector<NodeId> args;
    Op op = Op::Add;
    do op = static_cast<Op>(std::uniform_int_distribution<int>(2, ir::kOpCount - 1)(rng));
    while (!ir::is_elementwise(op));
    for (int a = 0; a < ir::arity(op); ++a) args.push_back(pick(pool, rng));
    pool.push_back(b.make(op, args));
    if (rng() % 3 == 0) g[pool.back()].name = pick(kAwkwardNames, rng);
  }
  NodeId y = pool.back();
  if (g[y].shape.rank() == 1 && rng() % 2) y = ir::nn::softmax(b, y);
  y = b.sum(y);
  g.outputs.push_back({pick(kAwkwardNames, rng), y});
  if (rng() % 4) {
    const ir::Gradients sweep = passes::append_gradients(g, y, wrt);
    ir::record_adjoints(g, sweep);
    const std::vector<NodeId>& grads = sweep.wrt;
    for (size_t i = 0; i < grads.size(); ++i) g.outputs.push_back({"d/d" + std::to_string(i), grads[i]});
  }
  return g;
}

}  // namespace

TEST_CASE("ir text: random graphs with awkward names and numbers round-trip", "[ir][text]") {
  for (uint64_t seed = 1; seed <= 300; ++seed) check_round_trip(random_graph(seed), fmt::format("seed {}", seed));
}

TEST_CASE("ir text: a Jacobian seed input holds an adjoint", "[ir][text]") {
  // jacobian.cpp's shape: the seed is an input, so its adjoint link is a note in the header.
  ir::Graph g;
  ir::Builder b(g);
  NodeId w = b.input("w", ir::Shape{{3}});
  NodeId y = b.mul(w, w);
  g.outputs.push_back({"f", y});
  NodeId seed = b.input("__seed", ir::Shape{{3}});
  const ir::Gradients sweep = passes::append_gradients(g, y, {w}, seed);
  ir::record_adjoints(g, sweep);
  g.outputs.push_back({"df/dw", sweep.wrt.front()});
  REQUIRE(g.adjoint(y) == seed);
  check_round_trip(g, "jacobian");
  CHECK_THAT(ir::print(g), Catch::Contains("    %__seed: f64[3],  # adjoint of %0\n"));
}

TEST_CASE("ir text: hand-written IR with comments and any labels", "[ir][text]") {
  const ir::Graph g = ir::parse_ir(R"(// a comment before the function
func @hand<B>(%x: f32[B,3], param %w: f32[3] = uniform(-1, 1)) {   // inputs come first
  %sq = mul %x, %x : f32[B,3]   // labels need not be numbers

  %total = sum %sq {axes=[0,1]} : f32[]  # "loss", in "my call#1"
  %5 = add %total, %w : f32[3]  # forward
  return "the loss" = %total, f = %5
}
)");
  CHECK(ir::print(g) ==
        "func @f<B>(%x: f32[B,3], param %w: f32[3] = uniform(-1, 1)) {\n"
        "  %0 = mul %x, %x : f32[B,3]\n"
        "  %1 = sum %0 {axes=[0,1]} : f32[]  # loss, in \"my call#1\"\n"
        "  %2 = add %1, %w : f32[3]\n"
        "  return \"the loss\" = %1, f = %2\n"
        "}\n");
  CHECK(g[1].shape.dims == std::vector<int64_t>{3});  // %w, right after %x
}

TEST_CASE("ir text: errors name the place and what is wrong", "[ir][text]") {
  const std::string head = "func @f(%x: f64[], %y: f64[]) {\n";
  CHECK(error_of(head + "  %0 = ad %x, %y : f64[]\n  return f = %0\n}\n") ==
        "t.ir:2:8: error: unknown op 'ad'\n"
        "  %0 = ad %x, %y : f64[]\n"
        "       ^");
  CHECK(first_line(error_of(head + "  %0 = add %x, %z : f64[]\n  return f = %0\n}\n")) ==
        "t.ir:2:16: error: unknown value %z");
  CHECK(first_line(error_of(head + "  %0 = add %x, %1 : f64[]\n  %1 = exp %y : f64[]\n  return f = %0\n}\n")) ==
        "t.ir:2:16: error: %1 is used before its definition (operands come first)");
  CHECK(first_line(error_of(head + "  %0 = add %x, %0 : f64[]\n  return f = %0\n}\n")) ==
        "t.ir:2:16: error: %0 is used in its own definition");
  CHECK(first_line(error_of(head + "  %0 = add %x, %y : i32[]\n  return f = %0\n}\n")) ==
        "t.ir:2:21: error: unknown element type 'i32' (f32 or f64)");
  CHECK(first_line(error_of(head + "  %0 = add %x : f64[]\n  return f = %0\n}\n")) ==
        "t.ir:2:15: error: 'add' takes 2 operand(s), got 1");
  CHECK(first_line(error_of(head + "  %0 = add %x, %y : f64[3]\n  return f = %0\n}\n")) ==
        "t.ir:2:8: error: shape [3], expected []");
  CHECK(first_line(error_of("func @f(%x: f32[], %y: f64[]) {\n  %0 = add %x, %y : f64[]\n  return\n}\n")) ==
        "t.ir:2:12: error: operand is f32, but the node is f64");
  CHECK(first_line(error_of(head + "  %0 = exp %x : f64[N]\n  return f = %0\n}\n")) ==
        "t.ir:2:21: error: unknown dim N: declare it after the function's name, as in func @f<N>");
  CHECK(first_line(error_of(head + "  %0 = sum %x {perm=[0]} : f64[]\n  return f = %0\n}\n")) ==
        "t.ir:2:16: error: 'sum' has the attribute 'axes', not 'perm'");
  CHECK(first_line(error_of(head + "  %0 = exp %x : f64[]\n  %0 = exp %y : f64[]\n  return f = %0\n}\n")) ==
        "t.ir:3:3: error: %0 is defined twice");
  CHECK(first_line(error_of("func @f(%x: f64[], %x: f64[]) {\n  return\n}\n")) ==
        "t.ir:1:20: error: input %x is declared twice");
  CHECK(first_line(error_of(head + "  %0 = exp %x : f64[]  # adjoint of %q\n  return f = %0\n}\n")) ==
        "t.ir:2:37: error: unknown value %q after 'adjoint of'");
  CHECK(first_line(error_of(head + "  %0 = exp %x : f64[] junk\n  return f = %0\n}\n")) ==
        "t.ir:2:23: error: expected the end of the line");
  CHECK(first_line(error_of(head + "  %0 = input : f64[]\n  return f = %0\n}\n")) ==
        "t.ir:2:8: error: inputs are declared in the function's header, not as nodes");
  CHECK(first_line(error_of(head + "  %0 = const 1x : f64[]\n  return f = %0\n}\n")) ==
        "t.ir:2:14: error: expected the constant's value, got '1x'");
  CHECK(first_line(error_of("fun @f() {\n  return\n}\n")) ==
        "t.ir:1:1: error: expected 'func' to start the IR (func @f(%x: f64[]) { ... })");
}

TEST_CASE("ir text: truncated text is an error at its end", "[ir][text]") {
  const std::string text = "func @f(%x: f64[]) {\n  %0 = exp %x : f64[]\n  return f = %0\n}\n";
  CHECK(first_line(error_of(text.substr(0, text.size() - 2))) == "t.ir:4:1: error: expected '}' to close the function");
  CHECK(first_line(error_of(text.substr(0, 28))) == "t.ir:2:8: error: expected an op");
  CHECK(first_line(error_of(text.substr(0, 35))) == "t.ir:2:15: error: expected ':' before the node's type");
  CHECK(first_line(error_of("")) == "t.ir:1:1: error: expected 'func' to start the IR (func @f(%x: f64[]) { ... })");
  CHECK(first_line(error_of("func @f(%x: f64[]) {\n  %0 = exp %x : f64[]\n")) ==
        "t.ir:3:1: error: unexpected end of the IR: expected 'return' and '}'");
}

TEST_CASE("ir text: every prefix and random damage is parsed or refused, never a crash", "[ir][text]") {
  const frontend::SourceFile src("mlp.grad", read_file(fs::path(GRADC_SOURCE_DIR) / "examples/mlp.grad"));
  passes::PassContext ctx;
  const std::string text = ir::print(passes::run_autodiff(frontend::compile_to_ir(src, ir::DType::F32), ctx));
  int tried = 0, refused = 0;
  for (size_t n = 0; n + 2 < text.size(); n += 7, ++tried)  // every prefix that lacks the closing '}'
    refused += error_of(text.substr(0, n)) != "(parsed without error)";
  CHECK(refused == tried);
  std::mt19937_64 rng(7);
  static constexpr char kBytes[] = "%#,:=[]{}()<>\"\\/ \n\t?-0123456789abc\0\xff";
  const std::string bytes(kBytes, sizeof kBytes - 1);  // the NUL inside included
  for (int trial = 0; trial < 2000; ++trial) {
    std::string damaged = text;
    for (int k = 0; k < 3; ++k) damaged[rng() % damaged.size()] = bytes[rng() % bytes.size()];
    const std::string result = error_of(damaged);  // must return, whatever it says
    CHECK((result == "(parsed without error)" || result.rfind("t.ir:", 0) == 0));
  }
}

TEST_CASE("ir text: a long line shows a window around the column", "[ir][text]") {
  std::string inputs;
  for (int i = 0; i < 100; ++i) inputs += fmt::format("%x{}: f64[], ", i);
  const std::string out = error_of("func @f(" + inputs + "%x0: f64[]) {\n  return\n}\n");
  INFO(out);
  CHECK_THAT(out, Catch::StartsWith("t.ir:1:1299: error: input %x0 is declared twice\n..."));
  std::istringstream lines(out);
  std::string header, shown, caret;
  std::getline(lines, header), std::getline(lines, shown), std::getline(lines, caret);
  CHECK(shown.size() <= 110);
  CHECK(shown.substr(caret.size() - 1, 3) == "%x0");
}

TEST_CASE("ir text: ill-formed tensor nodes are refused, never a crash", "[ir][text]") {
  const std::string head = "func @f<B>(%m: f64[2,3], %v: f64[B], %y: f64[B] : int) {\n";
  for (const char* line : {
           "%0 = transpose %m {perm=[5,-9]} : f64[3,2]", "%0 = transpose %m {perm=[0]} : f64[3,2]",
           "%0 = sum %m {axes=[99]} : f64[]", "%0 = sum %m {axes=[0,0]} : f64[]",
           "%0 = reduce_max %m {axes=[-7]} : f64[2]", "%0 = one_hot %y {classes=[]} : f64[B,3]",
           "%0 = one_hot %y : f64[B]", "%0 = matmul %m, %m : f64[2,2]", "%0 = matmul %v, %m : f64[3]",
           "%0 = broadcast %m : f64[4,3]", "%0 = broadcast %v : f64[]", "%0 = add %m, %v : f64[2,3]",
           "%0 = sum %m {axes=[9223372036854775807]} : f64[]", "%0 = exp %m : f64[?1048576]",
           "%0 = exp %m : f64[99999999999999999999]", "%0 = const 1e999 : f64[]",
           "%0 = transpose %m {perm=[1,0]} : f64[3]"}) {
    const std::string out = error_of(head + "  " + line + "\n  return f = %0\n}\n");
    INFO(line << "\n" << out);
    CHECK(out.rfind("t.ir:2:", 0) == 0);
  }
}

TEST_CASE("ir text: the round-trip comparison itself notices a change", "[ir][text]") {
  const std::string text = "func @f(%x: f64[3]) {\n  %0 = sum %x {axes=[0]} : f64[]  # s\n  return f = %0\n}\n";
  const ir::Graph g = ir::parse_ir(text);
  CHECK(difference(g, ir::parse_ir(text)) == "");
  ir::Graph renamed = g, retyped = g, relinked = g;
  renamed[1].name = "t";
  retyped[1].dtype = ir::DType::F32;
  relinked.set_adjoint(0, 1);
  CHECK(difference(g, renamed) == "node %0 differs");
  CHECK(difference(g, retyped) == "node %0 differs");
  CHECK(difference(g, relinked) == "node %x differs");
  CHECK(difference(g, ir::parse_ir("func @f(%x: f64[3]) {\n  return\n}\n")) == "2 nodes, parsed 1");
}
