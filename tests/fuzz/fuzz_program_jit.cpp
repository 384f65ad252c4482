// tests/fuzz/fuzz_program_jit.cpp — fuzz_program's stages, then the JIT: every symbolic dim
// bound to 2, every input filled with small distinct values (integer labels 0), compiled by
// LLVM at -O2 and called, exactly as `gradc grad` evaluates. A guard on the graph's size keeps
// each input to milliseconds: a JIT compile is the slow step, and a program declaring
// x[100000, 100000] is a memory limit, not a bug.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ir/bind_dims.h"
#include "tests/fuzz/program_pipeline.h"
#include "tests/fuzz/reject_cleanly.h"
#include "tools/gradc/driver.h"
#include "tools/gradc/tensor_args.h"

namespace {

constexpr gradc::ir::NodeId kMaxNodes = 48;   // nodes as lowered, before autodiff
constexpr int64_t kMaxElements = 1 << 12;     // per node, once dims are bound
constexpr int64_t kSymbolicDim = 2;

bool small_enough(const gradc::ir::Graph& bound) {
  for (const gradc::ir::Node& n : bound.nodes()) {
    int64_t count = 1;
    for (int64_t d : n.shape.dims) {
      if (d > kMaxElements) return false;
      count *= d;
      if (count > kMaxElements) return false;
    }
  }
  return true;
}

std::vector<gradc::runtime::Tensor> input_values(const gradc::ir::Graph& bound) {
  std::vector<gradc::runtime::Tensor> values;
  for (gradc::ir::NodeId id : bound.inputs()) {
    const gradc::ir::Node& n = bound[id];
    gradc::runtime::Tensor t{{n.shape.dims.begin(), n.shape.dims.end()}, {}};
    int64_t count = 1;
    for (int64_t d : t.shape) count *= d;
    for (int64_t i = 0; i < count; ++i)
      t.data.push_back(n.integer ? 0.0 : 0.25 + 0.125 * static_cast<double>((i + values.size()) % 7));
    values.push_back(std::move(t));
  }
  return values;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gradc;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = fuzz::lower_program(text);
  if (!parsed || parsed->size() > kMaxNodes) return 0;
  fuzz::reject_cleanly<cli::UsageError>([&] {
    std::map<std::string, int64_t> dims;
    for (const std::string& name : ir::symbols_used(*parsed)) dims[name] = kSymbolicDim;
    const ir::Graph bound = cli::bind_dims_or_report(*parsed, dims);
    if (!small_enough(bound)) return;
    const std::vector<runtime::Tensor> inputs = input_values(bound);
    cli::check_labels(bound, inputs);
    if (const auto g = fuzz::differentiate_o2(bound)) cli::evaluate_tensors(*g, inputs, cli::Execution{});
  });
  return 0;
}
