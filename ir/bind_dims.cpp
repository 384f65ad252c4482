// ir/bind_dims.cpp — substitute symbolic dims by their values.
#include "ir/bind_dims.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

namespace gradc::ir {

std::vector<std::string> symbols_used(const Graph& g) {
  std::set<int> used;
  for (const Node& n : g.nodes()) {
    for (Dim d : n.shape.dims)
      if (is_symbolic(d)) used.insert(symbol_index(d));
    if (n.op == Op::Const)
      for (Dim d : n.attr)
        if (is_symbolic(d)) used.insert(symbol_index(d));
  }
  std::vector<std::string> names;
  for (int k : used)
    names.push_back(k < static_cast<int>(g.dim_names.names.size()) ? g.dim_names.names[k] : fmt::format("?{}", k));
  return names;
}

Graph bind_dims(const Graph& g, const std::map<std::string, int64_t>& dims) {
  auto value = [&](Dim d) -> Dim {
    if (!is_symbolic(d)) return d;
    const int k = symbol_index(d);
    const std::string name = k < static_cast<int>(g.dim_names.names.size()) ? g.dim_names.names[k] : "?";
    auto it = dims.find(name);
    if (it == dims.end())
      throw ShapeError(fmt::format("dimension {} is not bound: feed an input that has it, or bind it with --dim {}=N",
                                   name, name));
    return it->second;
  };
  Graph out = g;
  for (NodeId id = 0; id < out.size(); ++id) {
    Node& n = out[id];
    for (Dim& d : n.shape.dims) d = value(d);
    if (n.op == Op::Const && !n.attr.empty()) {  // a count: the product of its dims
      double c = 1;
      for (Dim d : n.attr) c *= static_cast<double>(value(d));
      n.value = n.dtype == DType::F32 ? static_cast<float>(c) : c;
      n.attr.clear();
    }
  }
  for (Kernel& k : out.kernels)  // the kernel form (ir/kernel.h) loops over bound dims too
    for (Dim& d : k.domain.dims) d = value(d);
  return out;
}

}  // namespace gradc::ir
