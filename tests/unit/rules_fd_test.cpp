// tests/unit/rules_fd_test.cpp — every op's derivative rule against central
// finite differences, at several points, first and second order.
//
// The test iterates ir/ops.def, so no op can escape it. Points avoid kinks and
// domain edges; the kink conventions have their own test below.
#include <catch2/catch.hpp>

#include <cmath>
#include <fmt/format.h>

#include "ir/builder.h"
#include "ir/printer.h"
#include "passes/autodiff.h"
#include "runtime/interpreter.h"

using namespace gradc;
using ir::NodeId;
using ir::Op;

namespace {

// y = op(x0, x1, x2) on inputs; returns the graph with ∂y/∂xi appended as outputs.
ir::Graph op_graph(Op op) {
  ir::Graph g;
  ir::Builder b(g);
  std::vector<NodeId> xs;
  for (int i = 0; i < ir::arity(op); ++i) xs.push_back(b.input(fmt::format("x{}", i)));
  NodeId y = b.make(op, xs);
  g.outputs.push_back({"y", y});
  auto grads = passes::append_gradients(g, y, xs).wrt;
  for (size_t i = 0; i < grads.size(); ++i) g.outputs.push_back({fmt::format("dy/dx{}", i), grads[i]});
  return g;
}

double value_at(const ir::Graph& g, std::vector<double> at) { return runtime::interpret(g, at)[0]; }

// Central difference with step h scaled to the point, O(h²) error.
double central_difference(const ir::Graph& g, std::vector<double> at, size_t i) {
  const double h = 1e-6 * std::max(1.0, std::fabs(at[i]));
  auto plus = at, minus = at;
  plus[i] += h;
  minus[i] -= h;
  return (value_at(g, plus) - value_at(g, minus)) / (2 * h);
}

// Points away from every kink (0, a == b) and inside every domain (log, sqrt, pow).
std::vector<std::vector<double>> smooth_points(Op op) {
  switch (op) {
    case Op::Select: return {{1, 0.7, -2.5}, {0, 1.3, 0.4}};
    case Op::Tan: return {{0.3}, {-1.1}, {1.2}};
    default: return {{0.7, 1.9, 0.5}, {2.3, 0.4, 1.0}, {1.5, 3.1, 2.0}, {-0.6, -1.7, 1.0}};
  }
}

bool needs_positive(Op op) {
  return op == Op::Log || op == Op::Log10 || op == Op::Log2 || op == Op::Log1p || op == Op::Sqrt || op == Op::Pow;
}

}  // namespace

TEST_CASE("every op's derivative matches central finite differences", "[rules][fd]") {
  for (int k = 0; k < ir::kOpCount; ++k) {
    const Op op = static_cast<Op>(k);
    // Tensor ops have their own test (tensor_rules_fd_test.cpp); stop_gradient's
    // zero derivative is its definition, not an approximation of anything.
    if (!ir::is_elementwise(op) || op == Op::StopGrad) continue;
    ir::Graph g = op_graph(op);
    for (auto at : smooth_points(op)) {
      at.resize(static_cast<size_t>(ir::arity(op)));
      if (needs_positive(op)) for (double& a : at) a = std::fabs(a);
      auto out = runtime::interpret(g, at);
      for (size_t i = 0; i < at.size(); ++i) {
        if (op == Op::Select && i == 0) continue;  // the condition has no derivative
        INFO(fmt::format("op {} at ({}) d/dx{}\n{}", ir::mnemonic(op), fmt::join(at, ", "), i,
                         ir::print(g)));
        const double fd = central_difference(g, at, i);
        CHECK(out[1 + i] == Approx(fd).epsilon(1e-6).margin(1e-7));
      }
    }
  }
}

TEST_CASE("second derivatives are the gradient of the gradient", "[autodiff][order2]") {
  // f = x^3 → f'' = 6x;  f = sin(x)·exp(x) → f'' = 2 cos(x) exp(x)
  struct Case { const char* name; double (*d2)(double); NodeId (*build)(ir::Builder&, NodeId); };
  const Case cases[] = {
      {"x^3", [](double x) { return 6 * x; },
       [](ir::Builder& b, NodeId x) { return b.pow(x, b.constant(3)); }},
      {"sin(x)*exp(x)", [](double x) { return 2 * std::cos(x) * std::exp(x); },
       [](ir::Builder& b, NodeId x) { return b.mul(b.unary(Op::Sin, x), b.unary(Op::Exp, x)); }},
  };
  for (const Case& c : cases) {
    ir::Graph g;
    ir::Builder b(g);
    NodeId x = b.input("x");
    NodeId f = c.build(b, x);
    NodeId df = passes::append_gradients(g, f, {x}).wrt[0];
    NodeId d2f = passes::append_gradients(g, df, {x}).wrt[0];
    g.outputs = {{"f''", d2f}};
    for (double at : {-1.5, 0.5, 2.0}) {
      INFO(c.name << " at " << at);
      CHECK(runtime::interpret(g, std::vector<double>{at})[0] == Approx(c.d2(at)).epsilon(1e-12));
    }
  }
}

TEST_CASE("kink conventions: relu'(0)=0, abs'(0)=0, step'=0, max/min ties go to a", "[rules][kinks]") {
  auto grad_at = [](Op op, std::vector<double> at) {
    ir::Graph g = op_graph(op);
    return runtime::interpret(g, at);
  };
  CHECK(grad_at(Op::Relu, {0.0})[1] == 0.0);
  CHECK(grad_at(Op::Abs, {0.0})[1] == 0.0);
  CHECK(grad_at(Op::Step, {0.0})[1] == 0.0);
  CHECK(grad_at(Op::Step, {0.5})[1] == 0.0);
  auto mx = grad_at(Op::Max, {2.0, 2.0});
  CHECK(mx[1] == 1.0);
  CHECK(mx[2] == 0.0);
  auto mn = grad_at(Op::Min, {2.0, 2.0});
  CHECK(mn[1] == 1.0);
  CHECK(mn[2] == 0.0);
}

TEST_CASE("the finite-difference check can fail: a wrong rule is caught", "[rules][meta]") {
  // d/dx sin(x) replaced by sin(x) must disagree with the difference quotient.
  ir::Graph g;
  ir::Builder b(g);
  NodeId x = b.input("x");
  NodeId y = b.unary(Op::Sin, x);
  g.outputs = {{"y", y}, {"wrong", b.unary(Op::Sin, x)}};
  const double fd = central_difference(g, {0.7}, 0);
  CHECK_FALSE(runtime::interpret(g, std::vector<double>{0.7})[1] == Approx(fd).epsilon(1e-6));
}

TEST_CASE("the seed formula's gradient (coursework 003, problem 5)", "[autodiff]") {
  ir::Graph g;
  ir::Builder b(g);
  NodeId x = b.input("x"), y = b.input("y"), z = b.input("z");
  NodeId f = b.add(b.unary(Op::Log, x), b.mul(b.unary(Op::Exp, y), z));
  g.outputs = {{"f", f}};
  passes::PassContext ctx;
  ir::Graph dg = passes::run_autodiff(g, ctx);
  auto out = runtime::interpret(dg, std::vector<double>{1, 3, 2});
  const double e3 = std::exp(3.0);
  CHECK(out[0] == Approx(2 * e3));
  CHECK(out[1] == 1.0);
  CHECK(out[2] == Approx(2 * e3));
  CHECK(out[3] == Approx(e3));
  CHECK(dg.outputs[1].name == "df/dx");
}
