// runtime/interpreter.cpp — the reference interpreter.
#include "runtime/interpreter.h"

#include <array>

#include "ir/check.h"
#include "ir/rules.h"

namespace gradc::runtime {

std::vector<double> interpret_all(const ir::Graph& g, std::span<const double> inputs) {
  GRADC_ASSERT(inputs.size() == g.inputs().size(), "interpreter: wrong number of inputs");
  std::vector<double> v(g.size());
  for (size_t i = 0; i < inputs.size(); ++i) v[g.inputs()[i]] = inputs[i];
  for (ir::NodeId id = 0; id < g.size(); ++id) {
    const ir::Node& n = g[id];
    if (n.op == ir::Op::Input) {
      // already set
    } else if (n.op == ir::Op::Const) {
      v[id] = n.value;
    } else {
      std::array<double, 3> args{};
      for (size_t i = 0; i < n.inputs.size(); ++i) args[i] = v[n.inputs[i]];
      v[id] = ir::eval_op(n.op, args.data());
    }
    if (n.dtype == ir::DType::F32) v[id] = static_cast<float>(v[id]);
  }
  return v;
}

std::vector<double> interpret(const ir::Graph& g, std::span<const double> inputs) {
  std::vector<double> all = interpret_all(g, inputs);
  std::vector<double> out;
  for (const ir::Output& o : g.outputs) out.push_back(all[o.id]);
  return out;
}

}  // namespace gradc::runtime
