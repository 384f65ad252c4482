// tests/support/memory_workload.cpp — the memory checks' workloads and measurements.
#include "tests/support/memory_workload.h"

#include <fmt/format.h>
#include <malloc.h>

#include <cmath>
#include <fstream>
#include <stdexcept>

#include "frontend/frontend.h"
#include "ir/bind_dims.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"

namespace gradc::memcheck {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// One field of /proc/self/status ("VmRSS:", "VmHWM:"), in MiB.
double status_mib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string key;
  double kib = 0;
  while (status >> key)
    if (key == field && status >> kib) return kib / 1024.0;
  throw std::runtime_error("no " + field + " in /proc/self/status");
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("memory workload: " + what);
}

// Formula i's constant: a different program text for every i, values kept in [1, 2).
double constant(int i) { return 1.0 + (i % 10000) / 10000.0 + (i / 10000) * 1e-9; }

}  // namespace

Memory measure() {
  malloc_trim(0);
  return {status_mib("VmRSS:"), status_mib("RssAnon:"), static_cast<double>(mallinfo2().uordblks) / kMiB};
}

double peak_rss_mib() { return status_mib("VmHWM:"); }

void scalar_cycle(int i, std::vector<Function>* kept) {
  const double c = constant(i);
  Function f = Function::compile(fmt::format("f = sin(x * {0}) + exp(y / {0}) * ln(z + {0})", c));
  const double x = 0.5, y = 1, z = 2;
  const ValueAndGrad r = f.value_and_grad(std::vector<double>{x, y, z});
  const double want = std::sin(x * c) + std::exp(y / c) * std::log(z + c);
  check(std::abs(r.value - want) <= 1e-12 * std::abs(want), fmt::format("scalar formula {} gives {}", i, r.value));
  if (kept) kept->push_back(std::move(f));
}

void tensor_cycle(int i, std::vector<runtime::TensorJit>* kept) {
  // loss = Σ tanh(x @ w + c) · 3 over a 4×2 result; at x = 1, w = 0: 24 tanh(c).
  const double c = constant(i);
  const ir::Graph g = tensor_gradient_graph(
      fmt::format("input x[4, 3]\nparam w[3, 2] = zeros()\nloss = sum(tanh(x @ w + {}) * 3)\n", c), 1);
  runtime::TensorJit jit = runtime::TensorJit::compile(g);
  const runtime::Tensor x{{4, 3}, std::vector<double>(12, 1.0)}, w{{3, 2}, std::vector<double>(6, 0.0)};
  const std::vector<runtime::Tensor> out = jit.run(std::vector<runtime::Tensor>{x, w});
  const double want = 24 * std::tanh(c);
  check(out.size() == 2 && std::abs(out[0].data.at(0) - want) <= 1e-5 * want,
        fmt::format("tensor formula {} gives {}", i, out.empty() ? NAN : out[0].data.at(0)));
  if (kept) kept->push_back(std::move(jit));
}

ir::Graph tensor_gradient_graph(const std::string& program, int64_t batch) {
  frontend::SourceFile src("<memory workload>", program);
  ir::Graph g = frontend::compile_to_ir(src, ir::DType::F32);
  const std::vector<std::string> symbols = ir::symbols_used(g);
  if (!symbols.empty()) g = ir::bind_dims(g, {{"B", batch}});
  passes::PassContext ctx;  // no wrt: by the params
  passes::PassManager pm(passes::build_pipeline({}));
  return pm.run(std::move(g), ctx);
}

namespace {

// Inputs for every node of g.inputs(): labels cycle through 0..9, everything else a small
// deterministic pattern (the values only need to be finite).
std::vector<runtime::Tensor> fixed_inputs(const ir::Graph& g) {
  std::vector<runtime::Tensor> at;
  for (ir::NodeId id : g.inputs()) {
    const ir::Node& n = g[id];
    runtime::Tensor t{std::vector<int64_t>(n.shape.dims.begin(), n.shape.dims.end()), {}};
    size_t count = 1;
    for (int64_t d : t.shape) count *= static_cast<size_t>(d);
    for (size_t k = 0; k < count; ++k)
      t.data.push_back(n.integer ? static_cast<double>(k % 10) : 0.01 * static_cast<double>(k % 17) - 0.08);
    at.push_back(std::move(t));
  }
  return at;
}

}  // namespace

TensorSteps::TensorSteps(const ir::Graph& g) : jit_(runtime::TensorJit::compile(g)), inputs_(fixed_inputs(g)) {}

double TensorSteps::step() const {
  const std::vector<runtime::Tensor> out = jit_.run(inputs_);
  check(!out.empty() && !out[0].data.empty() && std::isfinite(out[0].data[0]), "tensor step: no finite output");
  return out[0].data[0];
}

double call_many(const Function& f, int64_t n) {
  double sum = 0;
  std::vector<double> at(f.inputs().size());
  for (int64_t k = 0; k < n; ++k) {
    for (size_t i = 0; i < at.size(); ++i) at[i] = 1.0 + static_cast<double>((k + static_cast<int64_t>(i)) % 100) / 100;
    sum += f.value_and_grad(at).value;
  }
  return sum;
}

}  // namespace gradc::memcheck
