// ir/rules.cpp — the rule table: for each op, its value and its derivative.
//
// Conventions at kinks (documented in docs/semantics.md, tested in tests/):
//   relu'(0) = 0, abs'(0) = 0, step' = 0 (step(0) = 0), sign' = 0,
//   max(a, b) with a == b sends the whole gradient to a; min likewise.
// NaN propagates through every op, as in IEEE arithmetic and PyTorch.
#include "ir/rules.h"

#include <cmath>

#include "ir/check.h"

namespace gradc::ir {

namespace {

using A = const double*;
using V = VjpContext;

double relu(double x) { return x <= 0 ? 0.0 : x; }  // NaN stays NaN
double step(double x) { return std::isnan(x) ? x : (x > 0 ? 1.0 : 0.0); }
double sign(double x) { return std::isnan(x) ? x : (x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0)); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
// softplus(x) = ln(1 + eˣ), written so that neither branch overflows.
double softplus(double x) { return std::fmax(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }
double max2(double a, double b) { return (a >= b || std::isnan(a)) ? a : b; }
double min2(double a, double b) { return (a <= b || std::isnan(a)) ? a : b; }

void no_gradient(V&) {}

// Each entry: the forward value, then the derivative it implies.
const OpRule& rule_for(Op op) {
  switch (op) {
    case Op::Input:
    case Op::Const: {
      static const OpRule r{[](A) -> double { GRADC_UNREACHABLE("leaf has no rule"); }, no_gradient};
      return r;
    }
    // y = a + b                  ∂y/∂a = 1, ∂y/∂b = 1
    case Op::Add: { static const OpRule r{[](A a) { return a[0] + a[1]; }, [](V& v) {
        if (v.needs(0)) v.set(0, v.g);
        if (v.needs(1)) v.set(1, v.g); }}; return r; }
    // y = a − b                  ∂y/∂a = 1, ∂y/∂b = −1
    case Op::Sub: { static const OpRule r{[](A a) { return a[0] - a[1]; }, [](V& v) {
        if (v.needs(0)) v.set(0, v.g);
        if (v.needs(1)) v.set(1, v.b.neg(v.g)); }}; return r; }
    // y = a · b                  ∂y/∂a = b, ∂y/∂b = a
    case Op::Mul: { static const OpRule r{[](A a) { return a[0] * a[1]; }, [](V& v) {
        if (v.needs(0)) v.set(0, v.b.mul(v.g, v.x[1]));
        if (v.needs(1)) v.set(1, v.b.mul(v.g, v.x[0])); }}; return r; }
    // y = a / b                  ∂y/∂a = 1/b, ∂y/∂b = −y/b
    case Op::Div: { static const OpRule r{[](A a) { return a[0] / a[1]; }, [](V& v) {
        if (v.needs(0)) v.set(0, v.b.div(v.g, v.x[1]));
        if (v.needs(1)) v.set(1, v.b.neg(v.b.div(v.b.mul(v.g, v.y), v.x[1]))); }}; return r; }
    // y = aᵇ                     ∂y/∂a = b·aᵇ⁻¹, ∂y/∂b = y·ln a
    case Op::Pow: { static const OpRule r{[](A a) { return std::pow(a[0], a[1]); }, [](V& v) {
        Builder& b = v.b;
        if (v.needs(0))
          v.set(0, b.mul(v.g, b.mul(v.x[1], b.pow(v.x[0], b.sub(v.x[1], b.constant(1))))));
        if (v.needs(1)) v.set(1, b.mul(v.g, b.mul(v.y, b.unary(Op::Log, v.x[0])))); }}; return r; }
    // y = max(a, b)              the gradient goes to a where a ≥ b (ties: a), else to b
    case Op::Max: { static const OpRule r{[](A a) { return max2(a[0], a[1]); }, [](V& v) {
        Builder& b = v.b;
        NodeId a_wins = b.binary(Op::Ge, v.x[0], v.x[1]), zero = b.constant(0);
        if (v.needs(0)) v.set(0, b.select(a_wins, v.g, zero));
        if (v.needs(1)) v.set(1, b.select(a_wins, zero, v.g)); }}; return r; }
    // y = min(a, b)              the gradient goes to a where a ≤ b (ties: a), else to b
    case Op::Min: { static const OpRule r{[](A a) { return min2(a[0], a[1]); }, [](V& v) {
        Builder& b = v.b;
        NodeId a_wins = b.binary(Op::Ge, v.x[1], v.x[0]), zero = b.constant(0);
        if (v.needs(0)) v.set(0, b.select(a_wins, v.g, zero));
        if (v.needs(1)) v.set(1, b.select(a_wins, zero, v.g)); }}; return r; }
    // y = −a                     ∂y/∂a = −1
    case Op::Neg: { static const OpRule r{[](A a) { return -a[0]; }, [](V& v) {
        v.set(0, v.b.neg(v.g)); }}; return r; }
    // y = eˣ                     ∂y/∂x = y
    case Op::Exp: { static const OpRule r{[](A a) { return std::exp(a[0]); }, [](V& v) {
        v.set(0, v.b.mul(v.g, v.y)); }}; return r; }
    // y = ln x                   ∂y/∂x = 1/x
    case Op::Log: { static const OpRule r{[](A a) { return std::log(a[0]); }, [](V& v) {
        v.set(0, v.b.div(v.g, v.x[0])); }}; return r; }
    // y = √x                     ∂y/∂x = 1/(2y)
    case Op::Sqrt: { static const OpRule r{[](A a) { return std::sqrt(a[0]); }, [](V& v) {
        v.set(0, v.b.div(v.g, v.b.mul(v.b.constant(2), v.y))); }}; return r; }
    // y = sin x                  ∂y/∂x = cos x
    case Op::Sin: { static const OpRule r{[](A a) { return std::sin(a[0]); }, [](V& v) {
        v.set(0, v.b.mul(v.g, v.b.unary(Op::Cos, v.x[0]))); }}; return r; }
    // y = cos x                  ∂y/∂x = −sin x
    case Op::Cos: { static const OpRule r{[](A a) { return std::cos(a[0]); }, [](V& v) {
        v.set(0, v.b.neg(v.b.mul(v.g, v.b.unary(Op::Sin, v.x[0])))); }}; return r; }
    // y = tan x                  ∂y/∂x = 1 + y²
    case Op::Tan: { static const OpRule r{[](A a) { return std::tan(a[0]); }, [](V& v) {
        Builder& b = v.b;
        v.set(0, b.mul(v.g, b.add(b.constant(1), b.mul(v.y, v.y)))); }}; return r; }
    // y = tanh x                 ∂y/∂x = 1 − y²
    case Op::Tanh: { static const OpRule r{[](A a) { return std::tanh(a[0]); }, [](V& v) {
        Builder& b = v.b;
        v.set(0, b.mul(v.g, b.sub(b.constant(1), b.mul(v.y, v.y)))); }}; return r; }
    // y = σ(x) = 1/(1+e⁻ˣ)       ∂y/∂x = y(1 − y)
    case Op::Sigmoid: { static const OpRule r{[](A a) { return sigmoid(a[0]); }, [](V& v) {
        Builder& b = v.b;
        v.set(0, b.mul(v.g, b.mul(v.y, b.sub(b.constant(1), v.y)))); }}; return r; }
    // y = relu x = max(0, x)     ∂y/∂x = step(x)   (0 at x = 0)
    case Op::Relu: { static const OpRule r{[](A a) { return relu(a[0]); }, [](V& v) {
        v.set(0, v.b.mul(v.g, v.b.unary(Op::Step, v.x[0]))); }}; return r; }
    // y = |x|                    ∂y/∂x = sign(x)   (0 at x = 0)
    case Op::Abs: { static const OpRule r{[](A a) { return std::fabs(a[0]); }, [](V& v) {
        v.set(0, v.b.mul(v.g, v.b.unary(Op::Sign, v.x[0]))); }}; return r; }
    // y = ln(1 + eˣ)             ∂y/∂x = σ(x)
    case Op::Softplus: { static const OpRule r{[](A a) { return softplus(a[0]); }, [](V& v) {
        v.set(0, v.b.mul(v.g, v.b.unary(Op::Sigmoid, v.x[0]))); }}; return r; }
    // y = step x (1 if x > 0)    ∂y/∂x = 0
    case Op::Step: { static const OpRule r{[](A a) { return step(a[0]); }, no_gradient}; return r; }
    // y = sign x                 ∂y/∂x = 0
    case Op::Sign: { static const OpRule r{[](A a) { return sign(a[0]); }, no_gradient}; return r; }
    // y = (a ≥ b) ? 1 : 0        zero gradient
    case Op::Ge: { static const OpRule r{[](A a) { return a[0] >= a[1] ? 1.0 : 0.0; }, no_gradient};
      return r; }
    // y = c ≠ 0 ? t : f          ∂y/∂t = [c ≠ 0], ∂y/∂f = [c = 0], none to c
    case Op::Select: { static const OpRule r{[](A a) { return a[0] != 0 ? a[1] : a[2]; }, [](V& v) {
        Builder& b = v.b;
        NodeId zero = b.constant(0);
        if (v.needs(1)) v.set(1, b.select(v.x[0], v.g, zero));
        if (v.needs(2)) v.set(2, b.select(v.x[0], zero, v.g)); }}; return r; }
  }
  GRADC_UNREACHABLE("unknown op");
}

}  // namespace

const OpRule& rule(Op op) { return rule_for(op); }

}  // namespace gradc::ir
