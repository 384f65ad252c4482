// runtime/init.cpp — seeded draws for param initialisers, and the fans that scale them.
#include "runtime/init.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "ir/builder.h"
#include "runtime/random.h"

namespace gradc::runtime {

namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

struct Spec {
  std::string name;
  std::vector<double> args;
};

// "normal(0, 0.01)" → {"normal", {0, 0.01}}; the frontend has checked the syntax.
Spec parse_spec(const std::string& init) {
  Spec s;
  const size_t open = init.find('('), close = init.rfind(')');
  s.name = init.substr(0, open);
  if (open == std::string::npos || close == std::string::npos || close < open)
    throw std::invalid_argument(fmt::format("initialiser '{}': expected name(args)", init));
  std::string args = init.substr(open + 1, close - open - 1);
  for (size_t at = 0; at < args.size();) {
    const size_t comma = std::min(args.find(',', at), args.size());
    const std::string arg = args.substr(at, comma - at);
    if (arg.find_first_not_of(" \t") != std::string::npos) s.args.push_back(std::stod(arg));
    at = comma + 1;
  }
  return s;
}

Tensor filled(const std::vector<int64_t>& shape, size_t n, auto value) {
  Tensor t{shape, std::vector<double>(n)};
  for (double& x : t.data) x = value();
  return t;
}

}  // namespace

Fans param_fans(const ir::Graph& g, ir::NodeId param) {
  const std::vector<int64_t>& d = g[param].shape.dims;
  if (d.size() >= 2) {
    const int64_t rows = d[d.size() - 2], cols = d.back();
    for (ir::NodeId id = param + 1; id < g.size(); ++id) {
      if (g[id].op != ir::Op::MatMul) continue;
      for (size_t side = 0; side < 2; ++side) {
        const ir::NodeId x = g[id].inputs[side];
        const bool transposed = g[x].op == ir::Op::Transpose && g[x].inputs[0] == param && ir::swaps_last_two(g[x]);
        if (x != param && !transposed) continue;
        // x @ W contracts W's rows; W @ x its columns; a transpose trades the two
        const bool contracts_rows = (side == 1) != transposed;
        return contracts_rows ? Fans{rows, cols} : Fans{cols, rows};
      }
    }
  }
  const int64_t count = ir::element_count(g[param].shape);
  return {count, count};
}

Tensor draw_initial(const std::string& init, const std::vector<int64_t>& shape, Fans fans, uint64_t seed,
                    const std::string& stream) {
  const Spec s = parse_spec(init);
  size_t n = 1;
  for (int64_t x : shape) n *= static_cast<size_t>(x);
  SplitMix64 gen{seed ^ fnv1a(stream)};
  auto arg = [&](size_t i) {
    if (i >= s.args.size()) throw std::invalid_argument(fmt::format("initialiser '{}': too few arguments", init));
    return s.args[i];
  };
  const double in = static_cast<double>(fans.in), out = static_cast<double>(fans.out);
  auto uniform = [&](double lo, double hi) { return filled(shape, n, [&] { return lo + (hi - lo) * gen.uniform01(); }); };
  auto normal = [&](double mean, double sd) { return filled(shape, n, [&] { return mean + sd * gen.normal(); }); };
  if (s.name == "zeros") return filled(shape, n, [] { return 0.0; });
  if (s.name == "ones") return filled(shape, n, [] { return 1.0; });
  if (s.name == "constant") return filled(shape, n, [&] { return arg(0); });
  if (s.name == "uniform") return uniform(arg(0), arg(1));
  if (s.name == "normal") return normal(arg(0), arg(1));
  // Glorot & Bengio 2010: variance 2 / (fan_in + fan_out); U(±a) has variance a²/3.
  if (s.name == "xavier") return uniform(-std::sqrt(6 / (in + out)), std::sqrt(6 / (in + out)));
  if (s.name == "xavier_normal") return normal(0, std::sqrt(2 / (in + out)));
  // He et al. 2015: variance 2 / fan_in keeps a ReLU layer's output variance.
  if (s.name == "he") return normal(0, std::sqrt(2 / in));
  if (s.name == "he_uniform") return uniform(-std::sqrt(6 / in), std::sqrt(6 / in));
  throw std::invalid_argument(fmt::format("unknown initialiser '{}'", init));
}

}  // namespace gradc::runtime
