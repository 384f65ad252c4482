// tools/gradc/jacobian.cpp — Jacobians by one reverse sweep with a seed input.
#include "tools/gradc/jacobian.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "ir/builder.h"
#include "runtime/tensor_jit.h"
#include "tools/gradc/tensor_args.h"
#include "tools/gradc/driver.h"

namespace gradc::cli {

JacobianResult compute_jacobian(const ir::Graph& bound, const std::string& wrt,
                                const std::vector<runtime::Tensor>& inputs, const Execution& how,
                                const PipelineArgs& args, const frontend::SourceFile* src) {
  const ir::NodeId w = bound.find_input(wrt);
  if (w == ir::kNoNode)
    throw UsageError(fmt::format("--wrt: '{}' is not an input of the program (inputs: {})", wrt,
                                 fmt::join(bound.input_names(), ", ")));
  if (bound[w].integer)
    throw UsageError(fmt::format("--wrt: '{}' holds integer labels, which have no gradient", wrt));
  std::map<std::string, const runtime::Tensor*> by_name;
  for (size_t i = 0; i < bound.inputs().size() && i < inputs.size(); ++i)
    by_name[bound[bound.inputs()[i]].name] = &inputs[i];

  ir::Graph g = bound;
  const ir::Output f = g.outputs.front();
  const ir::Shape y_shape = g[f.id].shape, w_shape = g[w].shape;
  std::string seed_name = "__seed";
  while (g.find_input(seed_name) != ir::kNoNode) seed_name += "_";
  ir::Builder b(g, g[f.id].dtype);
  b.set_role(ir::Role::Backward);
  b.input(seed_name, y_shape);
  g.outputs = {f};
  g = run_pipeline(g, src, args, {true, {wrt}, 1, seed_name, {}});

  runtime::Tensor seed_value{y_shape.dims, std::vector<double>(static_cast<size_t>(ir::element_count(y_shape)), 0.0)};
  std::vector<runtime::Tensor> values;
  size_t seed_pos = 0;
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    const std::string& name = g[g.inputs()[i]].name;
    if (name == seed_name) {
      seed_pos = i;
      values.push_back(seed_value);
    } else {
      values.push_back(*by_name.at(name));
    }
  }

  const size_t rows = seed_value.data.size(), cols = static_cast<size_t>(ir::element_count(w_shape));
  JacobianResult r;
  r.jacobian.shape = y_shape.dims;
  r.jacobian.shape.insert(r.jacobian.shape.end(), w_shape.dims.begin(), w_shape.dims.end());
  r.jacobian.data.reserve(rows * cols);
  // One compilation, one run per output element (a Jacobian row).
  std::optional<runtime::TensorJit> jit;
  if (!how.interpret && !is_scalar_graph(g)) jit = runtime::TensorJit::compile(g, how.llvm_level);
  auto run = [&] { return jit ? jit->run(values) : evaluate_tensors(g, values, how); };
  if (rows == 0) r.value = run().front();
  for (size_t k = 0; k < rows; ++k) {
    std::fill(values[seed_pos].data.begin(), values[seed_pos].data.end(), 0.0);
    values[seed_pos].data[k] = 1.0;
    std::vector<runtime::Tensor> out = run();
    if (k == 0) r.value = out[0];
    r.jacobian.data.insert(r.jacobian.data.end(), out[1].data.begin(), out[1].data.end());
  }
  return r;
}

}  // namespace gradc::cli
