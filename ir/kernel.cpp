// ir/kernel.cpp — the kernel form's helpers and its printer.
#include "ir/kernel.h"

#include <fmt/format.h>

#include "ir/graph.h"
#include "ir/printer.h"

namespace gradc::ir {

const char* kernel_kind_name(KernelKind k) {
  switch (k) {
    case KernelKind::Elementwise: return "elementwise";
    case KernelKind::Reduce: return "reduce";
    case KernelKind::Gemm: return "gemm";
    case KernelKind::Transpose: return "transpose";
    case KernelKind::OneHot: return "one_hot";
    case KernelKind::View: return "view";
  }
  return "?";
}

std::vector<int> kernel_of(const Graph& g) {
  std::vector<int> k(g.size(), -1);
  for (size_t i = 0; i < g.kernels.size(); ++i)
    for (NodeId id : g.kernels[i].nodes) k[id] = static_cast<int>(i);
  return k;
}

namespace {

std::string name_list(const std::vector<NodeId>& ids, const ValueNames& names) {
  std::vector<std::string> parts;
  for (NodeId id : ids) parts.push_back(names[id]);
  return fmt::format("{}", fmt::join(parts, ", "));
}

// "%9 = reduce_max %8 {axes=[1]} -> f32[B,1]   *"
std::string node_line(const Graph& g, const Kernel& k, NodeId id, const ValueNames& names,
                      const std::vector<bool>& stored) {
  const Node& n = g[id];
  std::string line = fmt::format("    {} = {}", names[id], mnemonic(n.op));
  if (n.op == Op::Const) line += fmt::format(" {}", n.value);
  for (size_t i = 0; i < n.inputs.size(); ++i) line += (i ? ", " : " ") + names[n.inputs[i]];
  if (!n.attr.empty() && n.op != Op::Const) line += fmt::format(" {{[{}]}}", fmt::join(n.attr, ","));
  if (!(n.shape == k.domain)) line += " -> " + g.type_string(id);
  if (stored[id]) line += "   *";
  return line + "\n";
}

}  // namespace

std::string print_kernels(const Graph& g) {
  const ValueNames names(g);
  std::vector<bool> stored(g.size(), false);
  for (const Kernel& k : g.kernels)
    for (NodeId id : k.outputs) stored[id] = true;
  std::string out = fmt::format("kernels ({}) {{\n", g.kernels.size());
  for (size_t i = 0; i < g.kernels.size(); ++i) {
    const Kernel& k = g.kernels[i];
    const DType t = g[k.nodes.back()].dtype;
    out += fmt::format("  k{} {} {}{} in({}) out({})\n", i, kernel_kind_name(k.kind), dtype_name(t),
                       to_string(k.domain, &g.dim_names), name_list(k.inputs, names), name_list(k.outputs, names));
    for (NodeId id : k.nodes) out += node_line(g, k, id, names, stored);
  }
  std::vector<std::string> rets;
  for (const Output& o : g.outputs) rets.push_back(fmt::format("{} = {}", o.name, names[o.id]));
  out += fmt::format("  return {}\n}}\n", fmt::join(rets, ", "));
  if (!g.memory.empty())
    out += fmt::format("workspace {} bytes (peak live {}, {} without reuse)\n", g.memory.workspace_bytes,
                       g.memory.peak_bytes, g.memory.unplanned_bytes);
  return out;
}

}  // namespace gradc::ir
