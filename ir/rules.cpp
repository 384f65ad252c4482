// ir/rules.cpp — the rule table: for each op, its value and its derivative.
//
// Conventions at kinks (documented in docs/semantics.md, tested in tests/):
//   relu'(0) = 0, abs'(0) = 0, step' = 0 (step(0) = 0), sign' = 0,
//   max(a, b) with a == b sends the whole gradient to a; min likewise.
// NaN propagates through every op, as in IEEE arithmetic and PyTorch.
#include "ir/rules.h"

#include <cmath>
#include <numbers>

#include "ir/check.h"
#include "ir/nn.h"

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

// ---- tensor ops ----

template <void (*Vjp)(V&)>
const OpRule& tensor_rule() {
  static const OpRule r{[](A) -> double { GRADC_UNREACHABLE("tensor op has no scalar value"); }, Vjp};
  return r;
}

Shape shape_of(V& v, NodeId id) { return v.b.shape(id); }

// y = broadcast(x)             dx = g summed over the stretched axes
void vjp_broadcast(V& v) { v.set(0, v.b.sum_to(v.g, shape_of(v, v.x[0]))); }

// y = reshape(x)               dx = reshape(g) back
void vjp_reshape(V& v) { v.set(0, v.b.reshape_to(v.g, shape_of(v, v.x[0]))); }

// y = transpose(x, p)          dx = transpose(g, p⁻¹)
void vjp_transpose(V& v) {
  const std::vector<int64_t>& perm = v.b.graph()[v.y].attr;
  std::vector<int> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int>(i);
  v.set(0, v.b.transpose(v.g, inverse));
}

// g with the reduced axes of y = reduce(x) put back as 1s: it then broadcasts against x.
NodeId adjoint_with_kept_dims(V& v) {
  const Node& y = v.b.graph()[v.y];
  const Shape kept = reduce_shape("sum", shape_of(v, v.x[0]), reduced_axes(y), true);
  return v.b.reshape_to(v.g, kept);
}

// y = sum(x, axes)             dx = g broadcast back over the axes
void vjp_sum(V& v) { v.set(0, v.b.broadcast_to(adjoint_with_kept_dims(v), shape_of(v, v.x[0]))); }

// y = max(x, axes)             dx = g where x attains the max, split evenly among ties
void vjp_reduce_max(V& v) {
  Builder& b = v.b;
  const std::vector<int> axes = reduced_axes(b.graph()[v.y]);
  const Shape kept = reduce_shape("max", shape_of(v, v.x[0]), axes, true);
  NodeId at_max = b.binary(Op::Ge, v.x[0], b.reshape_to(v.y, kept));
  NodeId ties = b.sum(at_max, axes, /*keepdims=*/true);
  v.set(0, b.mul(at_max, b.div(adjoint_with_kept_dims(v), ties)));
}

// x with its last two axes swapped.
NodeId swap_last_two(Builder& b, NodeId x) {
  std::vector<int> perm(static_cast<size_t>(b.shape(x).rank()));
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int>(i);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return b.transpose(x, perm);
}

// y = a @ b                    da = g @ bᵀ, db = aᵀ @ g
// A vector operand is first made a matrix (a row on the left, a column on the
// right), as numpy.matmul does; batch dims that broadcast are summed back.
void vjp_matmul(V& v) {
  Builder& b = v.b;
  const Shape sa = shape_of(v, v.x[0]), sb = shape_of(v, v.x[1]);
  std::vector<int64_t> da = sa.dims, db = sb.dims;
  if (sa.rank() == 1) da.insert(da.begin(), 1);
  if (sb.rank() == 1) db.push_back(1);
  NodeId a = b.reshape_to(v.x[0], Shape{da}), bm = b.reshape_to(v.x[1], Shape{db});
  NodeId g = b.reshape_to(v.g, matmul_shape(b.shape(a), b.shape(bm)));
  if (v.needs(0)) v.set(0, b.reshape_to(b.sum_to(b.matmul(g, swap_last_two(b, bm)), Shape{da}), sa));
  if (v.needs(1)) v.set(1, b.reshape_to(b.sum_to(b.matmul(swap_last_two(b, a), g), Shape{db}), sb));
}

// y = −Σₐ t·log_softmax(z)     dz = g·(softmax(z)·Σₐt − t), dt = −g·log_softmax(z)
// The homework's δ = ŷ − y: Σₐt = 1 when t is a one-hot row, so that node is built as is.
void vjp_softmax_xent(V& v) {
  Builder& b = v.b;
  const int axis = static_cast<int>(b.graph()[v.y].attr[0]);
  const Shape kept = reduce_shape("softmax_cross_entropy", shape_of(v, v.x[0]), {axis}, true);
  const NodeId g = b.reshape_to(v.g, kept);
  if (v.needs(0)) {
    const NodeId z = v.x[0], t = v.x[1];
    const NodeId y_hat = nn::softmax(b, z, axis);
    const bool one_hot = b.graph()[t].op == Op::OneHot;
    const NodeId delta = b.sub(one_hot ? y_hat : b.mul(y_hat, b.sum(t, {axis}, true)), t);
    v.set(0, b.mul(g, delta));
  }
  if (v.needs(1)) v.set(1, b.neg(b.mul(g, nn::log_softmax(b, v.x[0], axis))));
}

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
    // y = log₁₀ x                ∂y/∂x = 1/(x ln 10)
    case Op::Log10: { static const OpRule r{[](A a) { return std::log10(a[0]); }, [](V& v) {
        v.set(0, v.b.div(v.g, v.b.mul(v.x[0], v.b.constant(std::numbers::ln10)))); }}; return r; }
    // y = log₂ x                 ∂y/∂x = 1/(x ln 2)
    case Op::Log2: { static const OpRule r{[](A a) { return std::log2(a[0]); }, [](V& v) {
        v.set(0, v.b.div(v.g, v.b.mul(v.x[0], v.b.constant(std::numbers::ln2)))); }}; return r; }
    // y = ln(1 + x)             ∂y/∂x = 1/(1 + x)
    case Op::Log1p: { static const OpRule r{[](A a) { return std::log1p(a[0]); }, [](V& v) {
        v.set(0, v.b.div(v.g, v.b.add(v.b.constant(1), v.x[0]))); }}; return r; }
    // y = eˣ − 1                 ∂y/∂x = eˣ   (not y + 1, which loses eˣ's low bits near 0)
    case Op::Expm1: { static const OpRule r{[](A a) { return std::expm1(a[0]); }, [](V& v) {
        v.set(0, v.b.mul(v.g, v.b.unary(Op::Exp, v.x[0]))); }}; return r; }
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
    // y = erf x                  ∂y/∂x = 2/√π · e^(−x²)
    case Op::Erf: { static const OpRule r{[](A a) { return std::erf(a[0]); }, [](V& v) {
        Builder& b = v.b;
        NodeId bell = b.unary(Op::Exp, b.neg(b.mul(v.x[0], v.x[0])));
        v.set(0, b.mul(v.g, b.mul(b.constant(M_2_SQRTPI), bell))); }}; return r; }
    // y = σ(x) = 1/(1+e⁻ˣ)       ∂y/∂x = y(1 − y)
    case Op::Sigmoid: { static const OpRule r{[](A a) { return sigmoid(a[0]); }, [](V& v) {
        Builder& b = v.b;
        v.set(0, b.mul(v.g, b.mul(v.y, b.sub(b.constant(1), v.y)))); }}; return r; }
    // y = relu x = max(0, x)     ∂y/∂x = step(x) = step(y)   (0 at x = 0; NaN at NaN)
    // Written with y, as PyTorch's threshold_backward(grad, result) and micrograd do: the
    // backward reads the value the forward stores anyway, not a mask of x it would have to
    // store beside it (an MLP's step: a quarter less written per hidden layer).
    case Op::Relu: { static const OpRule r{[](A a) { return relu(a[0]); }, [](V& v) {
        v.set(0, v.b.mul(v.g, v.b.unary(Op::Step, v.y))); }}; return r; }
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
    // y = x, but no gradient flows back (what makes softmax's max a constant)
    case Op::StopGrad: { static const OpRule r{[](A a) { return a[0]; }, no_gradient}; return r; }

    // Tensor ops: the interpreter computes their values (runtime/interpreter.cpp);
    // their adjoints are built here from other tensor ops.
    case Op::Broadcast: return tensor_rule<vjp_broadcast>();
    case Op::Reshape: return tensor_rule<vjp_reshape>();
    case Op::Transpose: return tensor_rule<vjp_transpose>();
    case Op::Sum: return tensor_rule<vjp_sum>();
    case Op::ReduceMax: return tensor_rule<vjp_reduce_max>();
    case Op::MatMul: return tensor_rule<vjp_matmul>();
    case Op::OneHot: return tensor_rule<no_gradient>();
    case Op::SoftmaxXent: return tensor_rule<vjp_softmax_xent>();
  }
  GRADC_UNREACHABLE("unknown op");
}

}  // namespace

const OpRule& rule(Op op) { return rule_for(op); }

}  // namespace gradc::ir
