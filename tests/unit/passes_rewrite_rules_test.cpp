// tests/unit/passes_rewrite_rules_test.cpp — each row of the rewrite table, on its own.
//
// For every rule: a graph it must rewrite (and the rule's counter shows it did), a
// near miss it must leave alone, and the values before and after. Exact rules must give
// the same IEEE result on special values (NaN, ±inf, ±0, huge, tiny); stabilising rules
// the same value where the written form is accurate, and a finite, right value where it
// is not. The test walks the table, so a rule added without a case here fails it.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "ir/builder.h"
#include "ir/nn.h"
#include "passes/rewrite_rules.h"
#include "passes/simplify.h"
#include "passes/stabilize.h"
#include "runtime/interpreter.h"

using namespace gradc;
using ir::Builder;
using ir::NodeId;
using ir::Op;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// f(x, y) built on two scalar inputs.
using Make = std::function<NodeId(Builder&, NodeId x, NodeId y)>;

struct Case {
  Case() = default;
  Case(Make h, Make m, std::vector<double> fragile = {}, double right = 0, bool vector = false)
      : hit(std::move(h)), miss(std::move(m)), fragile_at(std::move(fragile)), right_value(right), vector_x(vector) {}

  Make hit;   // the rule applies
  Make miss;  // a near miss: the rule must not apply
  // Stabilising rules: where the written form fails, and the right value there.
  std::vector<double> fragile_at;
  double right_value = 0;
  bool vector_x = false;  // x is the vector [x, y] (for rules over an axis)
};

ir::Graph graph_of(const Make& f, bool vector_x = false) {
  ir::Graph g;
  Builder b(g);
  NodeId x = vector_x ? b.input("x", ir::Shape{{2}}) : b.input("x"), y = b.input("y");
  g.outputs.push_back({"f", f(b, x, y)});
  return g;
}

ir::Graph run_set(passes::RuleSet set, const ir::Graph& g, passes::PassContext& ctx) {
  return set == passes::RuleSet::Exact ? passes::run_simplify(g, ctx) : passes::run_stabilize(g, ctx);
}

double at(const ir::Graph& g, double x, double y) {
  if (g[g.inputs()[0]].shape.is_scalar()) return runtime::interpret(g, std::vector<double>{x, y})[0];
  const std::vector<runtime::Tensor> in = {runtime::Tensor{{2}, {x, y}}, runtime::Tensor::scalar(y)};
  return runtime::interpret_tensors(g, in)[0].data.at(0);
}

bool same_ieee(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

const std::vector<double> kSpecial = {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-300, -1e-300, 1e300, -1e300,
                                      kInf, -kInf, kNaN, 3.7, -42.0};

std::map<std::string, Case> cases() {
  std::map<std::string, Case> c;
  auto k = [](Builder& b, double v) { return b.constant(v); };
  c["add-zero"] = {[&](Builder& b, NodeId x, NodeId) { return b.add(k(b, -0.0), x); },
                   [&](Builder& b, NodeId x, NodeId) { return b.add(x, k(b, 0.0)); }};  // −0 + 0 = +0
  c["sub-zero"] = {[&](Builder& b, NodeId x, NodeId) { return b.sub(x, k(b, 0)); },
                   [&](Builder& b, NodeId x, NodeId) { return b.sub(k(b, 0), x); }};  // 0 − x is not x
  c["mul-one"] = {[&](Builder& b, NodeId x, NodeId) { return b.mul(k(b, 1), x); },
                  [&](Builder& b, NodeId x, NodeId) { return b.mul(x, k(b, 0)); }};  // x·0: inf·0 = nan
  c["div-one"] = {[&](Builder& b, NodeId x, NodeId) { return b.div(x, k(b, 1)); },
                  [&](Builder& b, NodeId x, NodeId) { return b.div(k(b, 1), x); }};
  c["pow-one"] = {[&](Builder& b, NodeId x, NodeId) { return b.pow(x, k(b, 1)); },
                  [&](Builder& b, NodeId x, NodeId) { return b.pow(k(b, 1), x); }};
  // glibc's pow(x, 2) is an ulp off x·x at this x (found by the differential test)
  c["pow-two"] = {[&](Builder& b, NodeId x, NodeId) { return b.pow(x, k(b, 2)); },
                  [&](Builder& b, NodeId x, NodeId) { return b.pow(x, k(b, 3)); },
                  {18.60806040098286, 0}, 18.60806040098286 * 18.60806040098286};
  c["neg-neg"] = {[&](Builder& b, NodeId x, NodeId) { return b.neg(b.neg(x)); },
                  [&](Builder& b, NodeId x, NodeId) { return b.neg(x); }};
  c["mul-minus-one"] = {[&](Builder& b, NodeId x, NodeId) { return b.mul(x, k(b, -1)); },
                        [&](Builder& b, NodeId x, NodeId) { return b.mul(x, k(b, -2)); }};
  c["add-neg"] = {[&](Builder& b, NodeId x, NodeId y) { return b.add(b.neg(y), x); },
                  [&](Builder& b, NodeId x, NodeId y) { return b.add(y, x); }};
  c["sub-neg"] = {[&](Builder& b, NodeId x, NodeId y) { return b.sub(x, b.neg(y)); },
                  [&](Builder& b, NodeId x, NodeId y) { return b.sub(b.neg(y), x); }};
  c["mul-one-reshaped"] = {[&](Builder& b, NodeId v, NodeId) { return b.mul(v, b.reshape_to(k(b, 1), ir::Shape{{1}})); },
                           [&](Builder& b, NodeId v, NodeId) { return b.mul(v, b.reshape_to(k(b, 2), ir::Shape{{1}})); },
                           {}, 0, /*vector_x=*/true};
  c["mul-one-broadcast"] = {[&](Builder& b, NodeId v, NodeId) { return b.mul(v, b.broadcast_to(k(b, 1), ir::Shape{{2}})); },
                            [&](Builder& b, NodeId v, NodeId) { return b.add(v, b.broadcast_to(k(b, 1), ir::Shape{{2}})); },
                            {}, 0, /*vector_x=*/true};
  c["select-same"] = {[&](Builder& b, NodeId x, NodeId y) { return b.select(y, x, x); },
                      [&](Builder& b, NodeId x, NodeId y) { return b.select(y, x, y); }};
  c["select-constant"] = {[&](Builder& b, NodeId x, NodeId y) { return b.select(k(b, 0), x, y); },
                          [&](Builder& b, NodeId x, NodeId y) { return b.select(x, k(b, 0), y); }};
  c["reshape-reshape"] = {[&](Builder& b, NodeId x, NodeId) { return b.reshape_to(b.reshape_to(x, ir::Shape{{1}}), ir::Shape{{1, 1}}); },
                          [&](Builder& b, NodeId x, NodeId) { return b.reshape_to(b.neg(b.reshape_to(x, ir::Shape{{1}})), ir::Shape{{1, 1}}); }};
  c["transpose-transpose"] = {
      [&](Builder& b, NodeId x, NodeId) { return b.transpose(b.transpose(b.reshape_to(x, ir::Shape{{1, 1}}))); },
      [&](Builder& b, NodeId x, NodeId) { return b.transpose(b.neg(b.transpose(b.reshape_to(x, ir::Shape{{1, 1}})))); }};

  // Stabilising: each with the point where the written form is wrong, and the right value.
  c["log1p"] = {[&](Builder& b, NodeId x, NodeId) { return b.unary(Op::Log, b.add(x, k(b, 1))); },
                [&](Builder& b, NodeId x, NodeId) { return b.unary(Op::Log, b.add(x, k(b, 2))); }, {1e-20, 0}, 1e-20};
  c["expm1"] = {[&](Builder& b, NodeId x, NodeId) { return b.sub(b.unary(Op::Exp, x), k(b, 1)); },
                [&](Builder& b, NodeId x, NodeId) { return b.sub(k(b, 1), b.unary(Op::Exp, x)); }, {1e-20, 0}, 1e-20};
  c["log-sigmoid"] = {[&](Builder& b, NodeId x, NodeId) { return b.unary(Op::Log, b.unary(Op::Sigmoid, x)); },
                      [&](Builder& b, NodeId x, NodeId) { return b.unary(Op::Log, b.unary(Op::Tanh, x)); },
                      {-1000, 0}, -1000};
  c["log-one-minus-sigmoid"] = {
      [&](Builder& b, NodeId x, NodeId) { return b.unary(Op::Log, b.sub(k(b, 1), b.unary(Op::Sigmoid, x))); },
      [&](Builder& b, NodeId x, NodeId) { return b.unary(Op::Log, b.sub(k(b, 2), b.unary(Op::Sigmoid, x))); },
      {1000, 0}, -1000};
  c["log-exp"] = {[&](Builder& b, NodeId x, NodeId) { return b.unary(Op::Log, b.unary(Op::Exp, x)); },
                  [&](Builder& b, NodeId x, NodeId) { return b.unary(Op::Log, b.unary(Op::Sqrt, x)); }, {800, 0}, 800};
  // bce(sigmoid(z), y): torch's clamp at −100 makes z = −200 with y = 1 cost 100; it costs 200.
  c["bce-logits"] = {[&](Builder& b, NodeId x, NodeId y) { return ir::nn::bce(b, b.unary(Op::Sigmoid, x), y); },
                     [&](Builder& b, NodeId x, NodeId y) { return ir::nn::bce(b, b.unary(Op::Tanh, x), y); },
                     {-200, 1}, 200};
  // log(softmax(v)) with v = [x, y]: at [1000, 0] softmax's second entry underflows to 0.
  c["log-softmax"] = {[&](Builder& b, NodeId v, NodeId) { return b.sum(b.unary(Op::Log, ir::nn::softmax(b, v))); },
                      [&](Builder& b, NodeId v, NodeId) { return b.sum(b.unary(Op::Log, b.unary(Op::Exp, v))); },
                      {1000, 0}, -1000, /*vector_x=*/true};
  // −Σ t·log(softmax(v)) with t = [y, y]: at x = 1000, y = 1 (v = [1000, 1]) softmax(v)[1]
  // underflows, the written form is +inf, and the loss is 0 + 999.
  c["softmax-cross-entropy"] = {
      [&](Builder& b, NodeId v, NodeId y) {
        return b.neg(b.sum(b.mul(b.broadcast_to(y, ir::Shape{{2}}), b.unary(Op::Log, ir::nn::softmax(b, v)))));
      },
      [&](Builder& b, NodeId v, NodeId y) {
        return b.neg(b.sum(b.mul(b.broadcast_to(y, ir::Shape{{2}}), b.unary(Op::Log, b.unary(Op::Exp, v)))));
      },
      {1000, 1}, 999, /*vector_x=*/true};
  return c;
}

}  // namespace

TEST_CASE("every rewrite rule has a test case", "[passes][rewrite]") {
  const auto all = cases();
  for (const passes::RewriteRule& r : passes::rewrite_rules()) {
    INFO("rule " << r.name);
    CHECK(all.count(std::string(r.name)) == 1);
  }
}

TEST_CASE("each rewrite rule fires on its pattern and not on a near miss", "[passes][rewrite]") {
  const auto all = cases();
  for (const passes::RewriteRule& r : passes::rewrite_rules()) {
    auto it = all.find(std::string(r.name));
    if (it == all.end()) continue;
    const std::string counter = "rule." + std::string(r.name);
    INFO("rule " << r.name);
    passes::PassContext hit, miss;
    run_set(r.set, graph_of(it->second.hit, it->second.vector_x), hit);
    run_set(r.set, graph_of(it->second.miss, it->second.vector_x), miss);
    CHECK(hit.stats[counter] >= 1);
    CHECK(miss.stats[counter] == 0);
  }
}

TEST_CASE("exact rules keep every IEEE result, special values included", "[passes][rewrite]") {
  const auto all = cases();
  for (const passes::RewriteRule& r : passes::rewrite_rules()) {
    if (r.set != passes::RuleSet::Exact) continue;
    const Case& c = all.at(std::string(r.name));
    const ir::Graph before = graph_of(c.hit, c.vector_x);
    passes::PassContext ctx;
    const ir::Graph after = passes::run_simplify(before, ctx);
    for (double x : kSpecial)
      for (double y : kSpecial) {
        INFO("rule " << r.name << " at x=" << x << ", y=" << y);
        CHECK(same_ieee(at(before, x, y), at(after, x, y)));
      }
  }
}

TEST_CASE("stabilising rules agree where the written form is accurate and fix it where not",
          "[passes][rewrite]") {
  const auto all = cases();
  for (const passes::RewriteRule& r : passes::rewrite_rules()) {
    if (r.set != passes::RuleSet::Stabilizing) continue;
    const Case& c = all.at(std::string(r.name));
    const ir::Graph before = graph_of(c.hit, c.vector_x);
    passes::PassContext ctx;
    const ir::Graph after = passes::run_stabilize(before, ctx);
    INFO("rule " << r.name);
    for (double x : {0.3, -0.7, 1.5})
      for (double y : {0.0, 1.0}) {
        INFO("at x=" << x << ", y=" << y);
        CHECK(at(after, x, y) == Approx(at(before, x, y)).epsilon(1e-12).margin(1e-15));
      }
    const double fixed = at(after, c.fragile_at[0], c.fragile_at[1]);
    INFO("fragile point: written form gives " << at(before, c.fragile_at[0], c.fragile_at[1]) << ", stable "
                                               << fixed);
    CHECK(!same_ieee(at(before, c.fragile_at[0], c.fragile_at[1]), c.right_value));
    CHECK(fixed == Approx(c.right_value).epsilon(1e-12));
    CHECK(!ctx.remarks.empty());
  }
}
