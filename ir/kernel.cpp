// ir/kernel.cpp — the kernel form's helpers and its printer.
#include "ir/kernel.h"

#include <fmt/format.h>

#include <algorithm>

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

int Kernel::phases() const {
  int p = 0;
  for (int x : phase) p = std::max(p, x);
  return p + 1;
}

bool is_row_reduction(const Graph& g, const Kernel& k, NodeId id) {
  const Node& n = g[id];
  const int64_t last = static_cast<int64_t>(k.domain.rank()) - 1;
  return (n.op == Op::Sum || n.op == Op::ReduceMax) && last >= 0 && n.attr == std::vector<int64_t>{last} &&
         g[n.inputs[0]].shape == k.domain;
}

bool is_row_node(const Graph& g, const Kernel& k, NodeId id) {
  const Node& n = g[id];
  if (n.op == Op::Sum || n.op == Op::ReduceMax) return is_row_reduction(g, k, id);
  return !(n.shape == k.domain);
}

std::vector<NodeId> row_buffered(const Graph& g, const Kernel& k) {
  std::vector<int> phase_of(g.size(), -1);
  for (size_t i = 0; i < k.nodes.size(); ++i) phase_of[k.nodes[i]] = k.phase.empty() ? 0 : k.phase[i];
  std::vector<bool> need(g.size(), false), stored(g.size(), false);
  for (NodeId id : k.outputs) stored[id] = true;
  for (NodeId id : k.nodes)
    if (!is_row_node(g, k, id) || is_row_reduction(g, k, id))
      for (NodeId x : g[id].inputs)
        if (phase_of[x] >= 0 && phase_of[x] < phase_of[id] && !is_row_node(g, k, x) && !stored[x]) need[x] = true;
  std::vector<NodeId> out;
  for (NodeId id : k.nodes)
    if (need[id]) out.push_back(id);
  return out;
}

std::vector<int> kernel_of(const Graph& g) {
  std::vector<int> k(g.size(), -1);
  for (size_t i = 0; i < g.kernels.size(); ++i)
    for (NodeId id : g.kernels[i].nodes) k[id] = static_cast<int>(i);
  return k;
}

namespace {

bool fits_domain(const Graph& g, const Kernel& k, NodeId id) {
  const Node& n = g[id];
  if (n.op == Op::Sum || n.op == Op::ReduceMax) return g[n.inputs[0]].shape == k.domain;
  if (n.shape == k.domain) return true;
  if (k.domain.rank() == 0) return false;
  Shape keep = k.domain, drop = k.domain;
  keep.dims.back() = 1;
  drop.dims.pop_back();
  return n.shape == keep || n.shape == drop;
}

// Operand x of node id (kernel ki, at position i): where may it come from?
void verify_operand(const Graph& g, const std::vector<int>& kof, const std::vector<int>& phase_of, size_t ki,
                    NodeId id, NodeId x, std::vector<std::string>& errs) {
  const Kernel& k = g.kernels[ki];
  const int kx = kof[x];
  const bool reduction = g[x].op == Op::Sum || g[x].op == Op::ReduceMax;
  if (kx < 0) {
    if (g[x].op != Op::Input && !(g[x].op == Op::Const && is_loop_kernel(k.kind)))
      errs.push_back(fmt::format("kernel {}: node {} reads node {}, which no kernel computes", ki, id, x));
  } else if (static_cast<size_t>(kx) > ki) {
    errs.push_back(fmt::format("kernel {}: node {} reads node {} of the later kernel {}", ki, id, x, kx));
  } else if (static_cast<size_t>(kx) == ki && is_loop_kernel(k.kind)) {
    if (phase_of[x] > phase_of[id] || (reduction && (phase_of[x] == phase_of[id] || !is_row_reduction(g, k, x))))
      errs.push_back(fmt::format("kernel {}: node {} reads node {} before it is complete", ki, id, x));
  }
}

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

// The constants a loop kernel uses as immediates: "    consts %6 = 0.7071067811865476, %9 = 1".
std::string consts_line(const Graph& g, const Kernel& k, const std::vector<int>& kof, const ValueNames& names) {
  std::vector<NodeId> ids;
  for (NodeId id : k.nodes)
    for (NodeId x : g[id].inputs)
      if (g[x].op == Op::Const && kof[x] < 0 && std::find(ids.begin(), ids.end(), x) == ids.end()) ids.push_back(x);
  if (ids.empty()) return "";
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> parts;
  for (NodeId x : ids)  // an unbound count (Builder::count) is named by its dims until they are bound
    parts.push_back(g[x].attr.empty() ? fmt::format("{} = {}", names[x], g[x].value)
                                      : fmt::format("{} = count{}", names[x], to_string(Shape{g[x].attr}, &g.dim_names)));
  return fmt::format("    consts {}\n", fmt::join(parts, ", "));
}

}  // namespace

std::vector<std::string> verify_kernels(const Graph& g) {
  std::vector<std::string> errs;
  std::vector<int> kof(g.size(), -1), phase_of(g.size(), 0);
  for (size_t ki = 0; ki < g.kernels.size(); ++ki) {
    const Kernel& k = g.kernels[ki];
    if (k.nodes.empty() || (!k.phase.empty() && k.phase.size() != k.nodes.size()))
      errs.push_back(fmt::format("kernel {}: no nodes, or phases for some only", ki));
    for (size_t i = 0; i < k.nodes.size(); ++i) {
      const NodeId id = k.nodes[i];
      if (id >= g.size() || kof[id] >= 0) {
        errs.push_back(fmt::format("kernel {}: node {} out of range or in two kernels", ki, id));
        return errs;
      }
      kof[id] = static_cast<int>(ki);
      phase_of[id] = k.phase.empty() ? 0 : k.phase[i];
      if (is_loop_kernel(k.kind) && !fits_domain(g, k, id))
        errs.push_back(fmt::format("kernel {}: node {} ({}) does not fit the domain", ki, id, g.type_string(id)));
    }
  }
  for (size_t ki = 0; ki < g.kernels.size(); ++ki)
    for (NodeId id : g.kernels[ki].nodes)
      for (NodeId x : g[id].inputs) verify_operand(g, kof, phase_of, ki, id, x, errs);
  for (const Output& o : g.outputs)
    if (o.id < g.size() && kof[o.id] < 0 && g[o.id].op != Op::Input)
      errs.push_back(fmt::format("output {}: no kernel computes it", o.name));
  return errs;
}

std::string print_kernels(const Graph& g) {
  const ValueNames names(g);
  std::vector<bool> stored(g.size(), false);
  for (const Kernel& k : g.kernels)
    for (NodeId id : k.outputs) stored[id] = true;
  const std::vector<int> kof = kernel_of(g);
  std::string out = fmt::format("kernels ({}) {{\n", g.kernels.size());
  for (size_t i = 0; i < g.kernels.size(); ++i) {
    const Kernel& k = g.kernels[i];
    const DType t = g[k.nodes.back()].dtype;
    out += fmt::format("  k{} {} {}{} in({}) out({})\n", i, kernel_kind_name(k.kind), dtype_name(t),
                       to_string(k.domain, &g.dim_names), name_list(k.inputs, names), name_list(k.outputs, names));
    if (is_loop_kernel(k.kind)) out += consts_line(g, k, kof, names);
    for (size_t j = 0; j < k.nodes.size(); ++j) {
      if (k.phases() > 1 && (j == 0 || k.phase[j] != k.phase[j - 1])) out += fmt::format("   phase {}\n", k.phase[j]);
      out += node_line(g, k, k.nodes[j], names, stored);
    }
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
