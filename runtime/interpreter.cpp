// runtime/interpreter.cpp — the reference interpreter.
//
// Index arithmetic is kept naive on purpose: every op walks its output (or
// input) with a multi-index and per-operand strides, where a broadcast axis
// has stride 0. Slow, short, and easy to check against NumPy's definitions.
#include "runtime/interpreter.h"

#include <array>
#include <cmath>
#include <limits>

#include "ir/check.h"
#include "ir/rules.h"
#include "ir/strides.h"

namespace gradc::runtime {

namespace {

using ir::Node;
using ir::Op;
using Dims = std::vector<int64_t>;

int64_t count(const Dims& d) { return ir::element_count(d); }
using ir::broadcast_strides;  // ir/strides.h: codegen reads broadcast operands by the same rule
using ir::strides_of;

// Calls f(offsets...) for every index of `shape` in row-major order, with one
// running offset per stride vector.
template <size_t N, class F>
void for_each_index(const Dims& shape, const std::array<Dims, N>& strides, F f) {
  const int64_t total = count(shape);
  Dims idx(shape.size(), 0);
  std::array<int64_t, N> off{};
  for (int64_t k = 0; k < total; ++k) {
    f(off);
    for (size_t ax = shape.size(); ax-- > 0;) {  // odometer increment
      for (size_t j = 0; j < N; ++j) off[j] += strides[j][ax];
      if (++idx[ax] < shape[ax]) break;
      for (size_t j = 0; j < N; ++j) off[j] -= strides[j][ax] * shape[ax];
      idx[ax] = 0;
    }
  }
}

Tensor elementwise(const Node& n, const std::vector<const Tensor*>& args) {
  Tensor out{n.shape.dims, std::vector<double>(static_cast<size_t>(count(n.shape.dims)))};
  std::array<Dims, 4> strides;
  strides[0] = strides_of(out.shape);
  for (size_t i = 0; i < args.size(); ++i) strides[i + 1] = broadcast_strides(args[i]->shape, out.shape);
  for (size_t i = args.size() + 1; i < 4; ++i) strides[i] = Dims(out.shape.size(), 0);
  for_each_index(out.shape, strides, [&](const std::array<int64_t, 4>& off) {
    std::array<double, 3> a{};
    for (size_t i = 0; i < args.size(); ++i) a[i] = args[i]->data[static_cast<size_t>(off[i + 1])];
    out.data[static_cast<size_t>(off[0])] = ir::eval_op(n.op, a.data());
  });
  return out;
}

// Broadcast is elementwise identity (StopGrad's rule) with stride-0 reads.
Tensor broadcast(const Node& n, const Tensor& x) {
  Node id = n;
  id.op = Op::StopGrad;
  return elementwise(id, {&x});
}

Tensor transpose(const Node& n, const Tensor& x) {
  Tensor out{n.shape.dims, std::vector<double>(x.data.size())};
  const Dims in_strides = strides_of(x.shape);
  Dims read(n.attr.size());
  for (size_t j = 0; j < n.attr.size(); ++j) read[j] = in_strides[static_cast<size_t>(n.attr[j])];
  for_each_index<2>(out.shape, {strides_of(out.shape), read}, [&](const std::array<int64_t, 2>& off) {
    out.data[static_cast<size_t>(off[0])] = x.data[static_cast<size_t>(off[1])];
  });
  return out;
}

// Sum or max over n.attr's axes: walk the input, writing to the output offset
// that ignores the reduced axes (stride 0 there).
Tensor reduce(const Node& n, const Tensor& x) {
  const bool is_max = n.op == Op::ReduceMax;
  Dims kept = x.shape;
  for (int64_t axis : n.attr) kept[static_cast<size_t>(axis)] = 1;
  Dims write = strides_of(kept);
  for (int64_t axis : n.attr) write[static_cast<size_t>(axis)] = 0;
  const double init = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
  Tensor out{n.shape.dims, std::vector<double>(static_cast<size_t>(count(n.shape.dims)), init)};
  for_each_index<2>(x.shape, {strides_of(x.shape), write}, [&](const std::array<int64_t, 2>& off) {
    const double v = x.data[static_cast<size_t>(off[0])];
    double& acc = out.data[static_cast<size_t>(off[1])];
    if (!is_max) acc += v;
    else if (v > acc || std::isnan(v)) acc = std::isnan(acc) ? acc : v;  // NaN sticks
  });
  return out;
}

// numpy.matmul: vectors become a row (left) or a column (right); batch dims broadcast.
Tensor matmul(const Node& n, const Tensor& a, const Tensor& b) {
  const ir::MatmulLayout l = ir::matmul_layout(a.shape, b.shape);
  const int64_t m = l.m, k = l.k, nn = l.n;
  Tensor out{n.shape.dims, std::vector<double>(static_cast<size_t>(count(l.batch) * m * nn))};
  int64_t c = 0;
  for_each_index<2>(l.batch, {l.a_stride, l.b_stride}, [&](const std::array<int64_t, 2>& off) {
    const double* pa = a.data.data() + off[0];
    const double* pb = b.data.data() + off[1];
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < nn; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p) acc += pa[i * k + p] * pb[p * nn + j];
        out.data[static_cast<size_t>(c++)] = acc;
      }
  });
  return out;
}

// Row i is 1 at column labels[i], 0 elsewhere; a label that is not an integer
// in [0, classes) gives a row of NaN, so a bad label cannot pass unnoticed.
Tensor one_hot(const Node& n, const Tensor& labels) {
  const int64_t classes = n.attr[0];
  Tensor out{n.shape.dims, {}};
  out.data.reserve(labels.data.size() * static_cast<size_t>(classes));
  for (double l : labels.data) {
    const bool ok = l >= 0 && l < static_cast<double>(classes) && l == std::floor(l);
    for (int64_t c = 0; c < classes; ++c)
      out.data.push_back(!ok ? std::nan("") : (static_cast<double>(c) == l ? 1.0 : 0.0));
  }
  return out;
}

// −Σ t·log_softmax(z) along the axis, each row max-shifted: ln Σ exp(z − m) + m − z stays
// finite for any finite logits. The shape is read as [outer, n, inner] around the axis.
Tensor softmax_xent(const Node& n, const Tensor& z, const Tensor& t) {
  const size_t axis = static_cast<size_t>(n.attr[0]);
  int64_t outer = 1, len = z.shape[axis], inner = 1;
  for (size_t a = 0; a < axis; ++a) outer *= z.shape[a];
  for (size_t a = axis + 1; a < z.shape.size(); ++a) inner *= z.shape[a];
  Tensor out{n.shape.dims, std::vector<double>(static_cast<size_t>(outer * inner))};
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t k) { return static_cast<size_t>((o * len + k) * inner + i); };
      double m = -std::numeric_limits<double>::infinity(), s = 0, loss = 0;
      for (int64_t k = 0; k < len; ++k) m = std::max(m, z.data[at(k)]);
      for (int64_t k = 0; k < len; ++k) s += std::exp(z.data[at(k)] - m);
      const double lse = m + std::log(s);
      for (int64_t k = 0; k < len; ++k) loss -= t.data[at(k)] * (z.data[at(k)] - lse);
      out.data[static_cast<size_t>(o * inner + i)] = loss;
    }
  return out;
}

Tensor evaluate(const Node& n, const std::vector<const Tensor*>& args) {
  if (ir::is_elementwise(n.op)) return elementwise(n, args);
  switch (n.op) {
    case Op::Broadcast: return broadcast(n, *args[0]);
    case Op::Reshape: return Tensor{n.shape.dims, args[0]->data};
    case Op::Transpose: return transpose(n, *args[0]);
    case Op::Sum:
    case Op::ReduceMax: return reduce(n, *args[0]);
    case Op::MatMul: return matmul(n, *args[0], *args[1]);
    case Op::OneHot: return one_hot(n, *args[0]);
    case Op::SoftmaxXent: return softmax_xent(n, *args[0], *args[1]);
#define OP(name, mnemonic, arity, kind) GRADC_ELEMENTWISE_CASE_##kind(name)
#include "ir/ops.def"
#undef OP
    case Op::Input:
    case Op::Const:
      break;  // leaves and elementwise ops: not evaluated here
  }
  GRADC_UNREACHABLE("interpreter: op without a tensor rule");
}

}  // namespace

std::vector<Tensor> interpret_tensors_all(const ir::Graph& g, std::span<const Tensor> inputs) {
  GRADC_ASSERT(inputs.size() == g.inputs().size(), "interpreter: wrong number of inputs");
  std::vector<Tensor> v(g.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    GRADC_ASSERT(inputs[i].shape == g[g.inputs()[i]].shape.dims, "interpreter: input of the wrong shape");
    v[g.inputs()[i]] = inputs[i];
  }
  for (ir::NodeId id = 0; id < g.size(); ++id) {
    const Node& n = g[id];
    for (int64_t d : n.shape.dims) GRADC_ASSERT(d >= 0, "interpreter: symbolic dims must be bound");
    if (n.op == Op::Const) v[id] = Tensor::scalar(n.value);
    if (n.op != Op::Input && n.op != Op::Const) {
      std::vector<const Tensor*> args;
      for (ir::NodeId in : n.inputs) args.push_back(&v[in]);
      v[id] = evaluate(n, args);
    }
    if (n.dtype == ir::DType::F32)
      for (double& x : v[id].data) x = static_cast<float>(x);
  }
  return v;
}

std::vector<Tensor> interpret_tensors(const ir::Graph& g, std::span<const Tensor> inputs) {
  std::vector<Tensor> all = interpret_tensors_all(g, inputs);
  std::vector<Tensor> out;
  for (const ir::Output& o : g.outputs) out.push_back(all[o.id]);
  return out;
}

namespace {
std::vector<Tensor> scalars(std::span<const double> xs) {
  std::vector<Tensor> t;
  for (double x : xs) t.push_back(Tensor::scalar(x));
  return t;
}
std::vector<double> firsts(const std::vector<Tensor>& ts) {
  std::vector<double> out;
  for (const Tensor& t : ts) out.push_back(t.data.at(0));
  return out;
}
}  // namespace

std::vector<double> interpret_all(const ir::Graph& g, std::span<const double> inputs) {
  return firsts(interpret_tensors_all(g, scalars(inputs)));
}

std::vector<double> interpret(const ir::Graph& g, std::span<const double> inputs) {
  return firsts(interpret_tensors(g, scalars(inputs)));
}

}  // namespace gradc::runtime
