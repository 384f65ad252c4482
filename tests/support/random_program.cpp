// tests/support/random_program.cpp — the random program generator (see random_program.h).
//
// Why operands are guarded rather than left free: an op fed outside its domain (log of a
// negative, a division by ~0, tan near π/2) gives NaN or a huge value that then flows
// through the rest of the program, and a program whose loss is NaN compares equal at every
// level whatever the passes did. Each op's operands are therefore mapped into its domain
// (log(|x| + 0.25), exp(min(x, 8)), ...) by a switch over ir::Op with no default, so a new
// op in ops.def does not compile here until someone says what its domain is. A few special
// inputs (±0, ±inf, NaN, 1e-300) are still drawn, so that NaN and inf handling is compared.
#include "tests/support/random_program.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <utility>

#include "frontend/frontend.h"
#include "ir/bind_dims.h"
#include "ir/builder.h"
#include "ir/nn.h"
#include "ir/shape.h"

namespace gradc::difftest {

namespace {

using ir::Builder;
using ir::DType;
using ir::NodeId;
using ir::Op;
using ir::Shape;
namespace nn = ir::nn;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// How an input's values are drawn.
enum class Values : uint8_t { General, Probability, Labels };

struct InputSpec {
  Values values = Values::General;
  int64_t classes = 0;  // Labels: values are 0 .. classes-1
};
using InputSpecs = std::map<std::string, InputSpec>;

// Every random choice of one program, drawn from one stream: the written program and its
// twin, built from the same seed, make the same choices in the same order.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(engine_); }
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine_); }
  bool chance(double p) { return uniform(0, 1) < p; }
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(engine_); }
  template <class T>
  T pick(std::initializer_list<T> xs) {
    return *(xs.begin() + below(static_cast<int>(xs.size())));
  }

 private:
  std::mt19937_64 engine_;
};

// ---- input values ----

double special_value(Rng& r) {
  return r.pick<double>({0.0, -0.0, 1.0, -1.0, 1e-300, kInf, -kInf, kNaN, 30.0, -30.0});
}

double general_value(Rng& r, double special_rate) {
  if (r.chance(special_rate)) return special_value(r);
  switch (r.below(10)) {
    case 0: return r.uniform(-1e-3, 1e-3);  // near kinks and near 0
    case 1: return r.uniform(-20, 20);
    default: return r.uniform(-2, 2);
  }
}

double input_value(Rng& r, const InputSpec& spec, double special_rate) {
  switch (spec.values) {
    case Values::General: return general_value(r, special_rate);
    case Values::Probability: return r.uniform(0.02, 0.98);
    case Values::Labels: return static_cast<double>(r.below(static_cast<int>(spec.classes)));
  }
  return 0;
}

int64_t element_count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// Values for every input of the (bound) graph g, rounded to its dtype as a caller's
// data would be.
std::map<std::string, runtime::Tensor> draw_inputs(const ir::Graph& g, const InputSpecs& specs, uint64_t seed,
                                                   double special_rate) {
  Rng r(seed ^ 0x5eed0f1a2b3c4d5eULL);
  std::map<std::string, runtime::Tensor> values;
  for (NodeId id : g.inputs()) {
    const ir::Node& n = g[id];
    const auto it = specs.find(n.name);
    const InputSpec spec = it == specs.end() ? InputSpec{} : it->second;
    runtime::Tensor t{n.shape.dims, {}};
    for (int64_t i = 0; i < element_count(n.shape.dims); ++i) {
      const double v = input_value(r, spec, special_rate);
      t.data.push_back(n.dtype == DType::F32 ? static_cast<double>(static_cast<float>(v)) : v);
    }
    values[n.name] = std::move(t);
  }
  return values;
}

// ---- programs built with ir::Builder ----

bool broadcastable(const Shape& a, const Shape& b) {
  for (int i = 1; i <= std::min(a.rank(), b.rank()); ++i) {
    const int64_t x = a.dims[static_cast<size_t>(a.rank() - i)], y = b.dims[static_cast<size_t>(b.rank() - i)];
    if (x != y && x != 1 && y != 1) return false;
  }
  return true;
}

Shape broadcast_result(const Shape& a, const Shape& b) { return ir::broadcast_shapes("difftest", a, b); }

// The fragile forms the stabilising rewrites of -O2 exist for, each with its stable twin.
enum class Fragile : uint8_t { Log1p, Expm1, LogSigmoid, LogOneMinusSigmoid, LogExp, LogSoftmax, BceOfSigmoid };
constexpr int kScalarFragileKinds = 5;  // the first five apply to scalars
constexpr int kFragileKinds = 7;

// The nn functions of ir/nn.h (and mean), applied as whole steps.
enum class Composite : uint8_t { Gelu, LeakyRelu, Softmax, LogSoftmax, Logsumexp, Mean, Mse, Bce, BceWithLogits,
                                 CrossEntropy };
constexpr int kScalarComposites = 2;  // gelu and leaky_relu are elementwise
constexpr int kComposites = 10;

class GraphGenerator {
 public:
  GraphGenerator(uint64_t seed, DType t, bool tensors, bool stable, ir::Graph& g)
      : r_(seed), b_(g, t), tensors_(tensors), stable_(stable) {}

  void build() {
    start_inputs();
    const int steps = tensors_ ? r_.between(2, 10) : r_.between(2, 18);
    for (int i = 0; i < steps; ++i) pool_.push_back(step());
    b_.graph().outputs.push_back({"loss", loss()});
  }
  const InputSpecs& specs() const { return specs_; }
  int fragile_sites() const { return fragile_sites_; }

 private:
  Shape shape(NodeId id) const { return b_.shape(id); }

  // ---- leaves ----

  NodeId fresh_input(Shape s, Values v = Values::General, int64_t classes = 0) {
    const char prefix = v == Values::Labels ? 'y' : (v == Values::Probability ? 'p' : 'x');
    const std::string name = fmt::format("{}{}", prefix, specs_.size());
    specs_[name] = InputSpec{v, classes};
    const NodeId id = b_.input(name, std::move(s));
    b_.graph()[id].integer = v == Values::Labels;
    return id;
  }

  Shape random_shape() {
    if (!tensors_) return Shape{};
    // A random suffix of the program's base shape, some dims set to 1: it broadcasts with most.
    const int keep = r_.between(0, static_cast<int>(base_.size()));
    std::vector<int64_t> dims(base_.end() - keep, base_.end());
    for (int64_t& d : dims)
      if (r_.chance(0.25)) d = 1;
    return Shape{dims};
  }

  void start_inputs() {
    const int rank = r_.between(1, 3);
    for (int i = 0; i < rank; ++i) base_.push_back(r_.between(1, 4));
    const int n = r_.between(1, 3);
    for (int i = 0; i < n; ++i) pool_.push_back(fresh_input(i == 0 && tensors_ ? Shape{base_} : random_shape()));
  }

  NodeId constant() { return b_.constant(r_.pick<double>({0.5, 2.0, -1.0, 3.0, 0.0, 1.0, -0.5, 1e-3})); }

  // ---- operands ----

  // Recent nodes more often, so that programs grow deep rather than wide.
  NodeId any() {
    const size_t n = pool_.size();
    const size_t lo = n > 4 && r_.chance(0.6) ? n - 4 : 0;
    return pool_[lo + static_cast<size_t>(r_.below(static_cast<int>(n - lo)))];
  }

  NodeId with_rank_at_least(int rank) {
    for (int tries = 0; tries < 8; ++tries) {
      const NodeId id = any();
      if (shape(id).rank() >= rank) return id;
    }
    for (NodeId id : pool_)
      if (shape(id).rank() >= rank) return id;
    return kNone;
  }

  // An operand that broadcasts with shape s: from the pool, else a new input or a constant.
  NodeId partner_for(const Shape& s) {
    for (int tries = 0; tries < 6; ++tries) {
      const NodeId id = any();
      if (broadcastable(shape(id), s)) return id;
    }
    if (r_.chance(0.25)) return constant();
    std::vector<int64_t> dims(s.dims.end() - r_.between(0, s.rank()), s.dims.end());
    for (int64_t& d : dims)
      if (r_.chance(0.25)) d = 1;
    return fresh_input(Shape{dims});
  }

  NodeId same_shape_partner(const Shape& s, Values v = Values::General) {
    if (v == Values::General)
      for (int tries = 0; tries < 6; ++tries) {
        const NodeId id = any();
        if (shape(id) == s) return id;
      }
    return fresh_input(s, v);
  }

  NodeId positive(NodeId x) { return b_.add(b_.unary(Op::Abs, x), b_.constant(0.25)); }

  NodeId exponent(NodeId x) {
    if (r_.chance(0.5)) return b_.constant(r_.pick<double>({2.0, 3.0, 0.5, -1.0, 1.0, -0.5, 1.5}));
    return b_.mul(b_.unary(Op::Tanh, x), b_.constant(2));
  }

  // Operand `i` of `op` mapped into the op's domain (see the file comment).
  NodeId in_domain(Op op, int i, NodeId x) {
    switch (op) {
      case Op::Log:
      case Op::Log10:
      case Op::Log2:
      case Op::Sqrt: return positive(x);
      case Op::Log1p: return b_.unary(Op::Abs, x);
      case Op::Pow: return i == 0 ? positive(x) : exponent(x);
      case Op::Div: return i == 1 ? positive(x) : x;
      case Op::Exp:
      case Op::Expm1: return b_.binary(Op::Min, x, b_.constant(8));
      case Op::Tan: return b_.mul(b_.unary(Op::Tanh, x), b_.constant(1.3));
      case Op::Select: return i == 0 ? b_.unary(Op::Step, x) : x;  // both branches get taken
      case Op::Input:
      case Op::Const:
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Max:
      case Op::Min:
      case Op::Neg:
      case Op::Sin:
      case Op::Cos:
      case Op::Tanh:
      case Op::Erf:
      case Op::Sigmoid:
      case Op::Relu:
      case Op::Abs:
      case Op::Softplus:
      case Op::Step:
      case Op::Sign:
      case Op::Ge:
      case Op::StopGrad:
      case Op::Broadcast:
      case Op::Reshape:
      case Op::Transpose:
      case Op::Sum:
      case Op::ReduceMax:
      case Op::MatMul:
      case Op::OneHot:
      case Op::SoftmaxXent: return x;
    }
    return x;
  }

  // ---- steps ----

  NodeId step() {
    const int what = r_.below(100);
    if (what < 10) return fragile(static_cast<Fragile>(r_.below(tensors_ ? kFragileKinds : kScalarFragileKinds)));
    if (what < 25) return composite(static_cast<Composite>(r_.below(tensors_ ? kComposites : kScalarComposites)));
    for (;;) {  // every op of ops.def, leaves and tensor ops included, equally likely
      const auto op = static_cast<Op>(r_.below(ir::kOpCount));
      if (tensors_ || ir::op_info(op).kind != ir::OpKind::Tensor) return apply(op);
    }
  }

  NodeId apply(Op op) {
    switch (op) {
      case Op::Input: return fresh_input(random_shape());
      case Op::Const: return constant();
      case Op::Broadcast: return broadcast();
      case Op::Reshape: return reshape();
      case Op::Transpose: return transpose();
      case Op::Sum: return reduce(Op::Sum);
      case Op::ReduceMax: return reduce(Op::ReduceMax);
      case Op::MatMul: return matmul();
      case Op::OneHot: return one_hot();
      case Op::SoftmaxXent: return softmax_cross_entropy();
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Div:
      case Op::Pow:
      case Op::Max:
      case Op::Min:
      case Op::Log10:
      case Op::Log2:
      case Op::Neg:
      case Op::Exp:
      case Op::Log:
      case Op::Log1p:
      case Op::Expm1:
      case Op::Sqrt:
      case Op::Sin:
      case Op::Cos:
      case Op::Tan:
      case Op::Tanh:
      case Op::Erf:
      case Op::Sigmoid:
      case Op::Relu:
      case Op::Abs:
      case Op::Softplus:
      case Op::Step:
      case Op::Sign:
      case Op::Ge:
      case Op::Select:
      case Op::StopGrad: return elementwise(op);
    }
    return elementwise(Op::Add);
  }

  NodeId elementwise(Op op) {
    std::vector<NodeId> args{any()};
    Shape joint = shape(args[0]);
    for (int i = 1; i < ir::arity(op); ++i) {
      args.push_back(partner_for(joint));
      joint = broadcast_result(joint, shape(args.back()));
    }
    for (size_t i = 0; i < args.size(); ++i) args[i] = in_domain(op, static_cast<int>(i), args[i]);
    return b_.make(op, args);
  }

  NodeId broadcast() {
    const NodeId a = any();
    Shape to = shape(a);
    for (int64_t& d : to.dims)
      if (d == 1 && r_.chance(0.7)) d = r_.between(2, 4);
    if (to.rank() < 3 && (to == shape(a) || r_.chance(0.5))) to.dims.insert(to.dims.begin(), r_.between(1, 3));
    // now and then a·broadcast(1), as autodiff seeds a tensor output (simplify's mul-one-broadcast)
    if (r_.chance(0.15)) return b_.mul(b_.broadcast_to(a, to), b_.broadcast_to(b_.constant(1), to));
    return b_.broadcast_to(a, to);
  }

  NodeId reshape() {
    const NodeId a = any();
    int64_t n = element_count(shape(a).dims);
    std::vector<int64_t> dims;
    while (n > 1 && dims.size() < 2 && r_.chance(0.6)) {  // split off a divisor
      std::vector<int64_t> divisors;
      for (int64_t d = 1; d <= n; ++d)
        if (n % d == 0) divisors.push_back(d);
      const int64_t d = divisors[static_cast<size_t>(r_.below(static_cast<int>(divisors.size())))];
      dims.push_back(d);
      n /= d;
    }
    dims.push_back(n);
    if (r_.chance(0.3)) dims.insert(dims.begin() + r_.below(static_cast<int>(dims.size()) + 1), 1);
    if (r_.chance(0.3)) dims[static_cast<size_t>(r_.below(static_cast<int>(dims.size())))] = -1;
    return b_.reshape(a, dims);
  }

  NodeId transpose() {
    const NodeId a = with_rank_at_least(2);
    if (a == kNone) return elementwise(Op::Neg);
    if (r_.chance(0.3)) return b_.transpose(a);  // reversed, as x.T
    std::vector<int> perm(static_cast<size_t>(shape(a).rank()));
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int>(i);
    for (size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[static_cast<size_t>(r_.below(static_cast<int>(i)))]);
    return b_.transpose(a, perm);
  }

  std::vector<int> random_axes(int rank) {
    std::vector<int> axes;
    if (r_.chance(0.2)) return axes;  // all
    for (int i = 0; i < rank; ++i)
      if (r_.chance(0.5)) axes.push_back(r_.chance(0.3) ? i - rank : i);
    if (axes.empty()) axes.push_back(r_.below(rank));
    return axes;
  }

  NodeId reduce(Op op) {
    const NodeId a = with_rank_at_least(1);
    if (a == kNone) return elementwise(Op::Abs);
    const std::vector<int> axes = random_axes(shape(a).rank());
    const bool keep = r_.chance(0.4);
    return op == Op::Sum ? b_.sum(a, axes, keep) : b_.reduce_max(a, axes, keep);
  }

  NodeId matmul() {
    const NodeId a = with_rank_at_least(1);
    if (a == kNone) return elementwise(Op::Mul);
    const Shape s = shape(a);
    for (int tries = 0; tries < 6; ++tries) {  // a partner from the pool that fits
      const NodeId c = any();
      if (shape(c).rank() == 0) continue;
      try {
        ir::matmul_shape(s, shape(c));
        return b_.matmul(a, c);
      } catch (const ir::ShapeError&) {
      }
    }
    const int64_t k = s.dims.back();
    switch (r_.below(3)) {
      case 0: return b_.matmul(a, fresh_input(Shape{{k}}));
      case 1: return b_.matmul(a, fresh_input(Shape{{k, r_.between(1, 4)}}));
      default: {
        if (s.rank() == 1) return b_.matmul(fresh_input(Shape{{r_.between(1, 4), k}}), a);
        const int64_t m = s.dims[static_cast<size_t>(s.rank() - 2)];
        return b_.matmul(fresh_input(Shape{{r_.between(1, 3), m}}), a);  // a's batch dims broadcast
      }
    }
  }

  // The fused op stabilize makes, built directly: logits against a probability target
  // along a random axis (the interpreter evaluates it; decompose expands it for codegen).
  NodeId softmax_cross_entropy() {
    const NodeId z = with_rank_at_least(1);
    if (z == kNone) return elementwise(Op::Softplus);
    const int axis = static_cast<int>(r_.below(shape(z).rank()));
    const NodeId target = nn::softmax(b_, fresh_input(shape(z)), axis);
    return b_.softmax_cross_entropy(z, target, axis);
  }

  NodeId one_hot() {
    const int64_t classes = r_.between(1, 4);
    std::vector<int64_t> dims{r_.between(1, 4)};
    if (r_.chance(0.3)) dims.push_back(r_.between(1, 3));
    const NodeId labels = fresh_input(Shape{dims}, Values::Labels, classes);
    const NodeId oh = b_.one_hot(labels, classes);
    return r_.chance(0.5) ? oh : b_.mul(oh, partner_for(shape(oh)));
  }

  NodeId composite(Composite c) {
    switch (c) {
      case Composite::Gelu: return nn::gelu(b_, any());
      case Composite::LeakyRelu: return nn::leaky_relu(b_, any(), r_.pick<double>({0.01, 0.2}));
      case Composite::Mean: {
        const NodeId a = with_rank_at_least(1);
        if (a == kNone) return nn::gelu(b_, any());
        const std::vector<int> axes = random_axes(shape(a).rank());
        return b_.mean(a, axes, r_.chance(0.4));
      }
      case Composite::Softmax:
      case Composite::LogSoftmax:
      case Composite::Logsumexp: return along_axis(c);
      case Composite::Mse: {
        const NodeId a = any();
        return nn::mse(b_, a, same_shape_partner(shape(a)));
      }
      case Composite::Bce: {  // a probability that is not a sigmoid: no rewrite applies
        const NodeId a = any();
        const NodeId p = b_.add(b_.mul(b_.unary(Op::Sigmoid, a), b_.constant(0.9)), b_.constant(0.05));
        return nn::bce(b_, p, same_shape_partner(shape(a), Values::Probability));
      }
      case Composite::BceWithLogits: {
        const NodeId a = any();
        return nn::bce_with_logits(b_, a, same_shape_partner(shape(a), Values::Probability));
      }
      case Composite::CrossEntropy: return cross_entropy();
    }
    return any();
  }

  NodeId along_axis(Composite c) {
    const NodeId a = with_rank_at_least(1);
    if (a == kNone) return nn::gelu(b_, any());
    const int rank = shape(a).rank();
    const int axis = r_.between(-rank, rank - 1);
    if (c == Composite::Softmax) return nn::softmax(b_, a, axis);
    if (c == Composite::LogSoftmax) return nn::log_softmax(b_, a, axis);
    return nn::logsumexp(b_, a, axis, r_.chance(0.5));
  }

  NodeId cross_entropy() {
    const NodeId logits = with_rank_at_least(1);
    if (logits == kNone) return nn::gelu(b_, any());
    const Shape s = shape(logits);
    if (r_.chance(0.5)) {  // class indices
      Shape batch = s;
      batch.dims.pop_back();
      return nn::cross_entropy(b_, logits, fresh_input(batch, Values::Labels, s.dims.back()));
    }
    return nn::cross_entropy(b_, logits, nn::softmax(b_, same_shape_partner(s)));
  }

  // A fragile form as written, or (in the twin) its stable form. Every random choice is
  // made before the two part ways.
  NodeId fragile(Fragile kind) {
    ++fragile_sites_;
    const NodeId a = any();
    auto scaled = [&](NodeId x, std::initializer_list<double> scales) {
      return b_.mul(x, b_.constant(r_.pick<double>(scales)));
    };
    switch (kind) {
      case Fragile::Log1p: {
        const NodeId x = scaled(b_.unary(Op::Abs, a), {1e-12, 1e-6, 1.0});
        return stable_ ? b_.unary(Op::Log1p, x) : b_.unary(Op::Log, b_.add(b_.constant(1), x));
      }
      case Fragile::Expm1: {
        const NodeId x = b_.binary(Op::Min, scaled(a, {1e-9, 1e-3, 1.0}), b_.constant(8));
        return stable_ ? b_.unary(Op::Expm1, x) : b_.sub(b_.unary(Op::Exp, x), b_.constant(1));
      }
      case Fragile::LogSigmoid: {
        const NodeId x = scaled(a, {1.0, 100.0, 1000.0});
        return stable_ ? b_.neg(b_.unary(Op::Softplus, b_.neg(x))) : b_.unary(Op::Log, b_.unary(Op::Sigmoid, x));
      }
      case Fragile::LogOneMinusSigmoid: {
        const NodeId x = scaled(a, {1.0, 100.0, 1000.0});
        return stable_ ? b_.neg(b_.unary(Op::Softplus, x))
                       : b_.unary(Op::Log, b_.sub(b_.constant(1), b_.unary(Op::Sigmoid, x)));
      }
      case Fragile::LogExp: {
        const NodeId x = scaled(a, {1.0, 1000.0});
        return stable_ ? x : b_.unary(Op::Log, b_.unary(Op::Exp, x));
      }
      case Fragile::LogSoftmax: {
        const NodeId t = with_rank_at_least(1);
        if (t == kNone) return any();
        const int rank = shape(t).rank();
        const int axis = r_.between(-rank, rank - 1);
        const NodeId x = scaled(t, {1.0, 100.0, 1000.0});
        return stable_ ? nn::log_softmax(b_, x, axis) : b_.unary(Op::Log, nn::softmax(b_, x, axis));
      }
      case Fragile::BceOfSigmoid: {
        const NodeId z = scaled(a, {1.0, 50.0});
        const NodeId t = fresh_input(shape(z), Values::Probability);
        return stable_ ? nn::bce_with_logits(b_, z, t) : nn::bce(b_, b_.unary(Op::Sigmoid, z), t);
      }
    }
    return a;
  }

  NodeId to_scalar(NodeId x) {
    if (shape(x).rank() == 0) return x;
    return r_.chance(0.5) ? b_.sum(x) : b_.mean(x);
  }

  NodeId loss() {
    NodeId l = to_scalar(pool_.back());
    for (int extra = r_.below(3); extra > 0; --extra) l = b_.add(l, to_scalar(any()));
    return l;
  }

  static constexpr NodeId kNone = ir::kNoNode;
  Rng r_;
  Builder b_;
  bool tensors_, stable_;
  std::vector<int64_t> base_;
  std::vector<NodeId> pool_;
  InputSpecs specs_;
  int fragile_sites_ = 0;
};

RandomProgram built_program(uint64_t seed, ProgramKind kind, DType t) {
  RandomProgram p;
  p.seed = seed;
  p.kind = kind;
  p.dtype = t;
  const bool tensors = kind == ProgramKind::Tensor;
  GraphGenerator written(seed, t, tensors, false, p.graph);
  written.build();
  GraphGenerator twin(seed, t, tensors, true, p.stable_twin);
  twin.build();
  p.fragile_sites = written.fragile_sites();
  p.inputs = draw_inputs(p.graph, written.specs(), seed, tensors ? 0.01 : 0.04);
  return p;
}

// ---- programs written as source text ----

// Text of one expression as written and as its stable twin; equal outside fragile sites.
struct Text {
  std::string written, twin;
};

Text same(std::string s) { return {s, std::move(s)}; }
Text wrap(std::string_view pattern, const Text& a) {
  return {fmt::format(fmt::runtime(pattern), a.written), fmt::format(fmt::runtime(pattern), a.twin)};
}
Text wrap2(std::string_view pattern, const Text& a, const Text& b) {
  return {fmt::format(fmt::runtime(pattern), a.written, b.written), fmt::format(fmt::runtime(pattern), a.twin, b.twin)};
}

class SourceGenerator {
 public:
  SourceGenerator(uint64_t seed, DType t) : r_(seed), dtype_(t) {}

  void build(RandomProgram& p) {
    Text text = r_.chance(0.5) ? scalar_program() : tensor_program();
    p.source = std::move(text.written);
    p.twin_source = std::move(text.twin);
    p.fragile_sites = fragile_sites_;
    p.dims = dims_;
    p.graph = frontend::compile_to_ir(frontend::SourceFile("random.grad", p.source), dtype_);
    p.stable_twin = frontend::compile_to_ir(frontend::SourceFile("random_twin.grad", p.twin_source), dtype_);
    const ir::Graph bound = dims_.empty() ? p.graph : ir::bind_dims(p.graph, dims_);
    p.inputs = draw_inputs(bound, specs_, p.seed, 0.02);
  }

 private:
  // An elementwise expression over `vars` (and the defs defined so far), depth-limited.
  Text expr(const std::vector<std::string>& vars, int depth) {
    if (depth <= 0 || r_.chance(0.2)) {
      if (r_.chance(0.15)) return same(r_.pick<std::string>({"0.5", "2", "3", "1", "0", "1e-3"}));
      return same(vars[static_cast<size_t>(r_.below(static_cast<int>(vars.size())))]);
    }
    const int d = depth - 1;
    const int what = r_.below(24);
    if (what < 5) return wrap2(r_.pick<std::string_view>({"({} + {})", "({} - {})", "({} * {})", "max({}, {})", "min({}, {})"}),
                               expr(vars, d), expr(vars, d));
    if (what < 6) return wrap2("({} / (abs({}) + 0.5))", expr(vars, d), expr(vars, d));
    if (what < 7) return wrap(fmt::format("((abs({{}}) + 0.5) ^ {})", r_.pick<std::string_view>({"2", "0.5", "3", "(-1)"})), expr(vars, d));
    if (what < 8 && !defs_.empty()) return call(vars, d);
    if (what < 10) return fragile(vars, d);
    return wrap(r_.pick<std::string_view>({"exp(min({}, 8))", "ln(abs({}) + 0.5)", "sqrt(abs({}) + 0.25)", "sin({})",
                                          "cos({})", "tan(tanh({}))", "tanh({})", "sigmoid({})", "relu({})",
                                          "abs({})", "softplus({})", "step({})", "(-{})", "gelu({})",
                                          "leaky_relu({}, 0.2)"}),
                expr(vars, d));
  }

  Text call(const std::vector<std::string>& vars, int depth) {
    const auto& [name, arity] = defs_[static_cast<size_t>(r_.below(static_cast<int>(defs_.size())))];
    Text args = expr(vars, depth);
    for (int i = 1; i < arity; ++i) args = wrap2("{}, {}", args, expr(vars, depth));
    return wrap(name + "({})", args);
  }

  Text fragile(const std::vector<std::string>& vars, int depth) {
    ++fragile_sites_;
    const Text x = wrap(fmt::format("({} * {{}})", r_.pick<std::string_view>({"1", "100", "1000"})), expr(vars, depth));
    switch (r_.below(3)) {
      case 0: return {fmt::format("ln(sigmoid({}))", x.written), fmt::format("(-softplus(-{}))", x.twin)};
      case 1: return {fmt::format("ln(1 - sigmoid({}))", x.written), fmt::format("(-softplus({}))", x.twin)};
      default: return {fmt::format("ln(exp({}))", x.written), x.twin};
    }
  }

  std::string new_def(int arity, std::string& written, std::string& twin) {
    const std::string name = fmt::format("f{}", defs_.size());
    std::vector<std::string> params;
    for (int i = 0; i < arity; ++i) params.push_back(fmt::format("a{}", i));
    // "+ a0": a body that happens to be a constant would make a tensor program's layer a scalar.
    const Text body = wrap("({} + a0)", expr(params, 3));
    written += fmt::format("def {}({}) = {}\n", name, fmt::join(params, ", "), body.written);
    twin += fmt::format("def {}({}) = {}\n", name, fmt::join(params, ", "), body.twin);
    defs_.push_back({name, arity});
    return name;
  }

  // Scalar inputs used free, a few defs, a few statements; the last is the output.
  Text scalar_program() {
    Text t;
    const std::vector<std::string> vars{"x0", "x1", "x2"};
    const int ndefs = r_.between(1, 3);
    for (int i = 0; i < ndefs; ++i) new_def(r_.between(1, 2), t.written, t.twin);
    std::vector<std::string> names = vars;
    const int statements = r_.between(1, 3);
    for (int i = 0; i < statements; ++i) {
      const Text e = expr(names, 3);
      const std::string name = fmt::format("h{}", i);
      t.written += fmt::format("{} = {}\n", name, e.written);
      t.twin += fmt::format("{} = {}\n", name, e.twin);
      names.push_back(name);
    }
    const Text last = wrap2("loss = {} + {}\n", same(names.back()), expr(names, 2));
    t.written += last.written;
    t.twin += last.twin;
    return t;
  }

  // A small network: inputs with a symbolic batch dim or a number, a def'd layer, a head.
  Text tensor_program() {
    const int64_t batch = r_.between(1, 4), k = r_.between(1, 4), n = r_.between(2, 4);
    const bool symbolic = r_.chance(0.5);
    const std::string b = symbolic ? "B" : std::to_string(batch);
    if (symbolic) dims_["B"] = batch;
    std::string decl = fmt::format("input x[{}, {}]\ninput W[{}, {}]\ninput c[{}]\n", b, k, k, n, n);
    Text t = same(decl);
    std::string w, tw;
    const std::string act = new_def(1, w, tw);
    t.written += w + fmt::format("def layer(a, M, v) = {}(a @ M + v)\n", act);
    t.twin += tw + fmt::format("def layer(a, M, v) = {}(a @ M + v)\n", act);
    t = wrap2("{}h = {}\n", t, same(r_.chance(0.5) ? "layer(x, W, c)" : "layer(x, W, c) * 0.5 + layer(x, W, c).T.T"));
    switch (r_.below(6)) {
      case 0:
        specs_["y"] = InputSpec{Values::Labels, n};
        return wrap2("input y[{}] : int\n{}loss = cross_entropy(h, y)\n", same(b), t);
      case 1: {
        ++fragile_sites_;
        const std::string scale = r_.pick<std::string>({"1", "100", "1000"});
        return {fmt::format("{}nll = -sum(ln(softmax(h * {})), axis=1)\nloss = mean(nll)\n", t.written, scale),
                fmt::format("{}nll = -sum(log_softmax(h * {}), axis=1)\nloss = mean(nll)\n", t.twin, scale)};
      }
      case 2: {
        ++fragile_sites_;
        specs_["p"] = InputSpec{Values::Probability, 0};
        const std::string scale = r_.pick<std::string>({"1", "50"});
        const std::string d = fmt::format("input p[{}, {}]\n", b, n);
        return {fmt::format("{}{}loss = bce(sigmoid(h * {}), p)\n", d, t.written, scale),
                fmt::format("{}{}z = h * {}\nloss = mean(p * softplus(-z) + (1 - p) * softplus(z))\n", d,
                            t.twin, scale)};
      }
      case 3: return wrap("{}loss = sum(logsumexp(h, axis=0, keepdims=true)) + mean(max(h, axis=1))\n", t);
      case 4:  // reshape needs concrete dims
        if (!symbolic) return wrap("{}loss = reshape(h, [-1]) @ reshape(transpose(h, [1, 0]), [-1])\n", t);
        return wrap("{}loss = mean(h)\n", t);
      default: return wrap("{}loss = mean(softmax(h, axis=0) * h) + sum(h, axis=[0, 1])\n", t);
    }
  }

  Rng r_;
  DType dtype_;
  std::vector<std::pair<std::string, int>> defs_;
  std::map<std::string, int64_t> dims_;
  InputSpecs specs_;
  int fragile_sites_ = 0;
};

}  // namespace

std::string_view kind_name(ProgramKind k) {
  switch (k) {
    case ProgramKind::Scalar: return "scalar";
    case ProgramKind::Tensor: return "tensor";
    case ProgramKind::Source: return "source";
  }
  return "?";
}

RandomProgram generate_program(uint64_t seed, ProgramKind kind, DType dtype) {
  if (kind != ProgramKind::Source) return built_program(seed, kind, dtype);
  RandomProgram p;
  p.seed = seed;
  p.kind = kind;
  p.dtype = dtype;
  SourceGenerator(seed, dtype).build(p);
  return p;
}

RandomProgram generate_program(uint64_t seed) {
  // Tensor programs are the most varied: half of all programs; f64 three times in four.
  Rng r(seed ^ 0x6b696e64ULL);
  const int k = r.below(8);
  const ProgramKind kind = k < 4 ? ProgramKind::Tensor : (k < 6 ? ProgramKind::Scalar : ProgramKind::Source);
  return generate_program(seed, kind, r.chance(0.75) ? DType::F64 : DType::F32);
}

std::vector<runtime::Tensor> inputs_for(const ir::Graph& g, const RandomProgram& p) {
  std::vector<runtime::Tensor> values;
  for (NodeId id : g.inputs()) values.push_back(p.inputs.at(g[id].name));
  return values;
}

std::vector<std::string> differentiable_inputs(const ir::Graph& g) {
  std::vector<std::string> names;
  for (NodeId id : g.inputs())
    if (!g[id].integer) names.push_back(g[id].name);
  return names;
}

}  // namespace gradc::difftest
