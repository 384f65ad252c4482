// tests/unit/ir_dot_test.cpp — the Graphviz picture of a graph (ir/dot.h).
//
// A golden file pins the homework seed f = ln x + exp(y)·z at [1,3,2] byte for
// byte (GRADC_UPDATE_GOLDEN=1 rewrites it); the rest checks what a reader must
// see: h-names (h₁, h₂: subscripts, which no program can spell), values, ∂f/∂ lines,
// escaping, operand-order labels, big graphs,
// and that Graphviz itself accepts the text when `dot` is installed.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "ir/builder.h"
#include "ir/dot.h"
#include "ir/nn.h"
#include "passes/autodiff.h"
#include "runtime/interpreter.h"

using namespace gradc;
using ir::NodeId;
using ir::Op;

namespace {

struct Seed {
  ir::Graph g;
  NodeId x, y, z, h1, h2, h3, f;
};

// f = ln x + exp(y)·z, the graph drawn in coursework 003 §5.
Seed seed_graph() {
  Seed s;
  ir::Builder b(s.g);
  s.x = b.input("x");
  s.y = b.input("y");
  s.z = b.input("z");
  s.h1 = b.unary(Op::Log, s.x);
  s.h2 = b.unary(Op::Exp, s.y);
  s.h3 = b.mul(s.h2, s.z);
  s.f = b.add(s.h1, s.h3);
  s.g[s.f].name = "f";
  s.g.outputs.push_back({"f", s.f});
  return s;
}

// The backward pass by hand, as the answer key writes it; sets every adjoint.
void add_backward_by_hand(Seed& s) {
  ir::Builder b(s.g);
  b.set_role(ir::Role::Backward);
  NodeId df = b.constant(1);                 // ∂f/∂f = ∂f/∂h1 = ∂f/∂h3 = 1
  NodeId dh2 = b.mul(df, s.z);               // ∂f/∂h2 = ∂f/∂h3 · z = 2
  NodeId dz = b.mul(df, s.h2);               // ∂f/∂z = ∂f/∂h3 · h2
  NodeId dy = b.mul(dh2, s.h2);              // ∂f/∂y = ∂f/∂h2 · exp(y)
  NodeId dx = b.div(df, s.x);                // ∂f/∂x = ∂f/∂h1 / x
  for (NodeId id : {s.f, s.h1, s.h3}) s.g.set_adjoint(id, df);
  s.g.set_adjoint(s.h2, dh2);
  s.g.set_adjoint(s.z, dz);
  s.g.set_adjoint(s.y, dy);
  s.g.set_adjoint(s.x, dx);
  s.g.outputs.push_back({"df/dx", dx});
  s.g.outputs.push_back({"df/dy", dy});
  s.g.outputs.push_back({"df/dz", dz});
}

std::string draw(const ir::Graph& g, const std::string& title, bool with_values) {
  const std::vector<double> at{1, 3, 2};
  const std::vector<double> values = runtime::interpret_all(g, at);
  return ir::to_dot(g, {.title = title, .values = with_values ? &values : nullptr});
}

const char* kSeedTitle = "f(x,y,z) = ln x + exp(y)·z at [x,y,z] = [1,3,2]";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool dot_available() { return std::system("command -v dot >/dev/null 2>&1") == 0; }

// Runs `dot -Tsvg` on the text; true if Graphviz accepts it without complaint.
bool graphviz_accepts(const std::string& text, const std::string& stem) {
  auto dir = std::filesystem::temp_directory_path();
  auto in = dir / (stem + ".dot"), err = dir / (stem + ".err");
  std::ofstream(in, std::ios::binary) << text;
  std::string cmd = "dot -Tsvg -o /dev/null '" + in.string() + "' 2>'" + err.string() + "'";
  const bool ok = std::system(cmd.c_str()) == 0 && read_file(err).empty();
  if (!ok) UNSCOPED_INFO("dot stderr: " << read_file(err));
  std::filesystem::remove(in);
  std::filesystem::remove(err);
  return ok;
}

}  // namespace

TEST_CASE("dot: the homework seed matches the golden picture", "[ir][dot][golden]") {
  const std::string text = draw(seed_graph().g, kSeedTitle, true);
  const auto golden = std::filesystem::path(GRADC_SOURCE_DIR) / "tests/golden/dot/seed.dot";
  if (const char* u = std::getenv("GRADC_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    std::filesystem::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << text;
  }
  REQUIRE(std::filesystem::exists(golden));
  CHECK(text == read_file(golden));
}

TEST_CASE("dot: forward nodes read h1, h2, ... with their values", "[ir][dot]") {
  const std::string text = draw(seed_graph().g, kSeedTitle, true);
  CHECK(text.find("rankdir=LR") != std::string::npos);
  CHECK(text.find("<b>h₁</b> = ln(x)") != std::string::npos);
  CHECK(text.find("<b>h₂</b> = exp(y)") != std::string::npos);
  CHECK(text.find("<b>h₃</b> = h₂ × z") != std::string::npos);
  CHECK(text.find("<b>f</b> = h₁ + h₃") != std::string::npos);
  CHECK(text.find("= 40.1711") != std::string::npos);
  CHECK(text.find("= 20.0855") != std::string::npos);
  CHECK(text.find("peripheries=2") != std::string::npos);  // the output f
  CHECK(text.find("∂") == std::string::npos);              // no adjoints yet
  CHECK(text == draw(seed_graph().g, kSeedTitle, true));   // deterministic
}

TEST_CASE("dot: without values only the formulas are drawn", "[ir][dot]") {
  const std::string text = draw(seed_graph().g, "", false);
  CHECK(text.find("<b>h₃</b> = h₂ × z") != std::string::npos);
  CHECK(text.find("= 40.1711") == std::string::npos);
  CHECK(text.find("labelloc") == std::string::npos);  // no title, no graph label
}

TEST_CASE("dot: adjoints add ∂f/∂ lines and a dashed backward pass", "[ir][dot]") {
  Seed s = seed_graph();
  add_backward_by_hand(s);
  const std::string text = draw(s.g, kSeedTitle, true);
  CHECK(text.find("∂f/∂h₂ = 2") != std::string::npos);
  CHECK(text.find("∂f/∂h₃ = 1") != std::string::npos);
  CHECK(text.find("∂f/∂x = 1") != std::string::npos);
  CHECK(text.find("∂f/∂y = 40.1711") != std::string::npos);
  CHECK(text.find("∂f/∂z = 20.0855") != std::string::npos);
  // Backward nodes: named after what they differentiate, dashed, in their own cluster.
  CHECK(text.find("<b>∂f/∂h₂</b> = ∂f/∂f × z") != std::string::npos);
  CHECK(text.find("<b>∂f/∂x</b> = ∂f/∂f ÷ x") != std::string::npos);
  CHECK(text.find("subgraph cluster_backward") != std::string::npos);
  CHECK(text.find("style=dashed") != std::string::npos);
  CHECK(text.find("<i>output df/dx</i>") == std::string::npos);  // ∂f/∂x says it already
}

TEST_CASE("dot: user names, escaping and non-finite values", "[ir][dot]") {
  ir::Graph g;
  ir::Builder b(g);
  NodeId a = b.input("a<b&\"c\">");
  NodeId w = b.mul(a, b.constant(-0.5));
  g[w].name = "w";
  NodeId q = b.div(w, b.constant(0));
  g.outputs.push_back({"out", q});
  const std::vector<double> values{1, -0.5, -0.5, 0, -std::numeric_limits<double>::infinity()};
  std::vector<double> nan_values = values;
  nan_values[4] = std::nan("");
  const std::string text = ir::to_dot(g, {.title = "t<i>", .values = &values});
  CHECK(text.find("a&lt;b&amp;&quot;c&quot;&gt;") != std::string::npos);
  CHECK(text.find("a<b") == std::string::npos);
  CHECK(text.find("t&lt;i&gt;") != std::string::npos);
  CHECK(text.find("<b>w</b> = a&lt;b&amp;&quot;c&quot;&gt; × -0.5") != std::string::npos);
  CHECK(text.find("<b>out</b> = w ÷ 0") != std::string::npos);  // unnamed output: its name
  CHECK(text.find("= -inf") != std::string::npos);
  CHECK(text.find("label=\"num\"") != std::string::npos);  // operand order matters for ÷
  CHECK(text.find("label=\"den\"") != std::string::npos);
  CHECK(ir::to_dot(g, {.title = "", .values = &nan_values}).find("= nan") != std::string::npos);
}

TEST_CASE("dot: a 10,000-node chain is drawn without recursion", "[ir][dot]") {
  ir::Graph g;
  ir::Builder b(g);
  NodeId v = b.input("x");
  for (int i = 0; i < 10000; ++i) v = b.unary(Op::Sin, v);
  g.outputs.push_back({"f", v});
  const std::string text = ir::to_dot(g);
  CHECK(text.find("<b>h₉₉₉₉</b> = sin(h₉₉₉₈)") != std::string::npos);
  CHECK(text.find("n10000 [") != std::string::npos);
  CHECK(text.find("n9999 -> n10000;") != std::string::npos);
}

TEST_CASE("dot: Graphviz accepts the pictures", "[ir][dot][graphviz]") {
  if (!dot_available()) {
    WARN("Graphviz `dot` is not on PATH; skipping");
    return;
  }
  Seed s = seed_graph();
  CHECK(graphviz_accepts(draw(s.g, kSeedTitle, true), "gradc_dot_seed"));
  add_backward_by_hand(s);
  CHECK(graphviz_accepts(draw(s.g, kSeedTitle, true), "gradc_dot_backward"));
  CHECK(graphviz_accepts(draw(s.g, "", false), "gradc_dot_plain"));
}

namespace {

// logits = x @ W + b; loss = cross_entropy(logits, y), with the gradient.
ir::Graph tensor_net() {
  ir::Graph g;
  g.dim_names.names = {"B"};
  ir::Builder b(g, ir::DType::F32);
  NodeId x = b.input("x", ir::Shape{{ir::symbol_dim(0), 784}});
  NodeId y = b.input("y", ir::Shape{{ir::symbol_dim(0)}});
  g[y].integer = true;
  NodeId w = b.input("W", ir::Shape{{784, 10}}, ir::Role::Param);
  g[w].init = "he()";
  NodeId bias = b.input("b", ir::Shape{{10}}, ir::Role::Param);
  NodeId loss = ir::nn::cross_entropy(b, b.add(b.matmul(x, w), bias), y);
  g.outputs.push_back({"loss", loss});
  ir::record_adjoints(g, passes::append_gradients(g, loss, {w, bias}));
  return g;
}

}  // namespace

TEST_CASE("dot: tensor graphs show types on nodes and shapes on edges", "[ir][dot][tensor]") {
  const ir::Graph g = tensor_net();
  ir::DotOptions opts;
  const std::string dot = ir::to_dot(g, opts);
  CHECK_THAT(dot, Catch::Contains("f32[B,784]"));
  CHECK_THAT(dot, Catch::Contains("param f32[784,10] = he()"));
  CHECK_THAT(dot, Catch::Contains("label=\"[B,10]\""));               // an edge carrying logits
  CHECK_THAT(dot, Catch::Contains("label=\"cross_entropy\""));        // the call's cluster
  if (dot_available()) CHECK(graphviz_accepts(dot, "gradc_dot_tensor"));
}

TEST_CASE("dot: a composite call collapses to one box", "[ir][dot][tensor]") {
  const ir::Graph g = tensor_net();
  ir::DotOptions opts;
  opts.collapse_groups = true;
  const std::string dot = ir::to_dot(g, opts);
  CHECK_THAT(dot, !Catch::Contains("cluster_0"));
  CHECK_THAT(dot, Catch::Contains("box3d"));
  // Far fewer boxes than nodes: the softmax internals are not drawn.
  const std::string expanded = ir::to_dot(g, {});
  CHECK(dot.size() < expanded.size());
  CHECK_THAT(dot, !Catch::Contains("reduce_max") && !Catch::Contains("max("));
  if (dot_available()) CHECK(graphviz_accepts(dot, "gradc_dot_collapsed"));
}
