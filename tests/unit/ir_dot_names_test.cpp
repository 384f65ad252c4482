// tests/unit/ir_dot_names_test.cpp — what the pictures call each node, on real programs
// through the -O2 pipeline: automatic names never collide with the user's or with each
// other, an adjoint names the node it belongs to, and every operand gets its own arrow.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/frontend.h"
#include "ir/bind_dims.h"
#include "ir/dot.h"
#include "passes/pass_manager.h"

using namespace gradc;

namespace {

// Every step `gradc graph` draws at -O2: parsed, then after each pass.
std::vector<ir::Graph> steps(const std::string& text, std::map<std::string, int64_t> dims = {}) {
  frontend::SourceFile src("test.grad", text);
  ir::Graph g = frontend::compile_to_ir(src, ir::DType::F64);
  if (!dims.empty()) g = ir::bind_dims(g, dims);
  std::vector<ir::Graph> out{g};
  passes::PassContext ctx;
  const std::vector<std::string> pipeline{"stabilize", "autodiff", "decompose", "simplify",
                                          "cse", "dce", "fuse", "plan-memory"};
  passes::PassManager pm(pipeline);
  pm.after_each([&](std::string_view, const ir::Graph& after, bool) { out.push_back(after); });
  pm.run(std::move(g), ctx);
  return out;
}

// The bold name of every box ("h₁", "∂f/∂z"), one per drawn node.
std::vector<std::string> box_names(const std::string& dot) {
  static const std::regex box(R"(^\s+n\d+ \[.*?<b>(.*?)</b>)");
  std::vector<std::string> names;
  std::istringstream in(dot);
  for (std::string line; std::getline(in, line);)
    if (std::smatch m; std::regex_search(line, m, box)) names.push_back(m[1]);
  return names;
}

std::string duplicates(const std::vector<std::string>& names) {
  std::map<std::string, int> count;
  for (const auto& n : names) ++count[n];
  std::string out;
  for (const auto& [n, c] : count)
    if (c > 1) out += n + " ×" + std::to_string(c) + "  ";
  return out;
}

ir::DotOptions collapsed(bool collapse) {
  ir::DotOptions o;
  o.collapse_groups = collapse;
  return o;
}

void check_unique_names(const std::vector<ir::Graph>& gs, bool collapse) {
  for (size_t i = 0; i < gs.size(); ++i) {
    const std::string dot = ir::to_dot(gs[i], collapsed(collapse));
    INFO("step " << i << (collapse ? " collapsed" : " expanded") << "\n" << dot);
    CHECK(duplicates(box_names(dot)).empty());
  }
}

std::string example(const char* name) {
  std::ifstream in(std::filesystem::path(GRADC_SOURCE_DIR) / "examples" / name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("dot names: automatic names never take the user's", "[ir][dot][names]") {
  const auto gs = steps("h1 = ln x; f = h1 + exp(y)*z");
  const std::string dot = ir::to_dot(gs[0]);
  CHECK_THAT(dot, Catch::Contains("<b>h1</b> = ln(x)"));
  CHECK_THAT(dot, !Catch::Contains("<b>h1</b> = exp(y)"));
  CHECK_THAT(dot, !Catch::Contains("f</b> = h1 + h2"));
  check_unique_names(gs, true);
  check_unique_names(gs, false);
  // The MLP names its layers h1, h2, h3: still no automatic name among them.
  check_unique_names(steps(example("mlp.grad"), {{"B", 4}}), true);
  check_unique_names(steps(example("mlp.grad"), {{"B", 4}}), false);
}

TEST_CASE("dot names: each adjoint names its own node (coursework 004 Q3)", "[ir][dot][names]") {
  const auto gs = steps(example("coursework_004_q3.grad"), {{"n", 2}, {"k", 3}, {"m", 4}});
  check_unique_names(gs, true);
  check_unique_names(gs, false);
  const std::string autodiff = ir::to_dot(gs[2], collapsed(true));
  CHECK_THAT(autodiff, Catch::Contains("<b>∂J/∂z2</b>"));  // the homework's δ₁
  CHECK_THAT(autodiff, !Catch::Contains("∂J/∂softmax"));
  CHECK_THAT(autodiff, !Catch::Contains("∂J/∂cross_entropy"));
}

TEST_CASE("dot edges: one arrow per operand, x + x included", "[ir][dot][names]") {
  const auto gs = steps("f = x + x*x + x^x");
  const std::string parsed = ir::to_dot(gs[0]);
  CHECK(count(parsed, "n0 -> n1;") == 2);  // x*x
  CHECK(count(parsed, "n0 -> n2;") == 1);  // x + (x*x)
  CHECK(count(parsed, "n0 -> n3 [label=\"base\"];") == 1);
  CHECK(count(parsed, "n0 -> n3 [label=\"power\"];") == 1);
  for (const ir::Graph& g : gs) {
    const std::string dot = ir::to_dot(g);
    INFO(dot);
    for (ir::NodeId id = 0; id < g.size(); ++id)
      for (ir::NodeId in : g[id].inputs)
        CHECK(count(dot, "n" + std::to_string(in) + " -> n" + std::to_string(id) + ";") +
                  count(dot, "n" + std::to_string(in) + " -> n" + std::to_string(id) + " [") ==
              static_cast<size_t>(std::count(g[id].inputs.begin(), g[id].inputs.end(), in)));
  }
}

TEST_CASE("dot names: a count over unbound dims reads B, not nan", "[ir][dot][names]") {
  const auto gs = steps(example("mlp.grad"));
  const std::string dot = ir::to_dot(gs[2], collapsed(true));  // after autodiff: the mean's 1/B
  CHECK_THAT(dot, !Catch::Contains("nan"));
  CHECK_THAT(dot, Catch::Contains("÷ B"));
}

TEST_CASE("dot names: a name assigned twice names two boxes apart", "[ir][dot][names]") {
  const auto gs = steps("a = x*2; a = a*a; f = a + 1");
  const std::string dot = ir::to_dot(gs[0]);
  CHECK_THAT(dot, Catch::Contains("<b>a₁</b> = x × 2"));
  CHECK_THAT(dot, Catch::Contains("<b>a</b> = a₁ × a₁"));
  check_unique_names(gs, true);
}

TEST_CASE("dot names: a def's collapsed box reads its call as written, g(x, x) included", "[ir][dot][names]") {
  const auto gs = steps("def g(a, b) = a*b + a\ndef sq(a) = sin(a)*a\nf = g(x, x) + sq(x) + g(exp(y) * 2 * y * y * y * y, 1)");
  for (size_t i = 0; i < gs.size() && gs[i].kernels.empty(); ++i) {  // after fuse: kernels, not calls
    const std::string dot = ir::to_dot(gs[i], collapsed(true));
    INFO("step " << i << "\n" << dot);
    CHECK_THAT(dot, Catch::Contains("= g(x, x)</td>"));  // one arrow flows in: the label says two arguments
    CHECK_THAT(dot, Catch::Contains("= sq(x)</td>"));
    CHECK_THAT(dot, Catch::Contains("= g(exp(y) * 2 * y * y * ..., 1)</td>"));  // a long argument shortened
  }
}
