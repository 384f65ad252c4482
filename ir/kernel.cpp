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
  if (k.kind == KernelKind::Gemm) return has_epilogue(k) ? row_buffered(g, epilogue_of(g, k)) : std::vector<NodeId>{};
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

bool has_epilogue(const Kernel& k) {
  if (k.kind != KernelKind::Gemm) return false;
  for (NodeId id : k.nodes)
    if (!k.gemm.computes(id)) return true;
  return false;
}

Kernel epilogue_of(const Graph& g, const Kernel& k) {
  Kernel e;
  e.domain = k.domain;
  std::vector<bool> mine(g.size(), false);
  for (size_t i = 0; i < k.nodes.size(); ++i)
    if (!k.gemm.computes(k.nodes[i])) {
      e.nodes.push_back(k.nodes[i]);
      e.phase.push_back(k.phase.empty() ? 0 : k.phase[i]);
      mine[k.nodes[i]] = true;
      if (g[k.nodes[i]].op == Op::Sum || g[k.nodes[i]].op == Op::ReduceMax) e.kind = KernelKind::Reduce;
    }
  for (NodeId id : e.nodes)
    for (NodeId x : g[id].inputs)
      if (!mine[x] && g[x].op != Op::Const && std::find(e.inputs.begin(), e.inputs.end(), x) == e.inputs.end())
        e.inputs.push_back(x);
  std::sort(e.inputs.begin(), e.inputs.end());
  for (NodeId id : k.outputs)
    if (mine[id]) e.outputs.push_back(id);
  return e;
}

NodeId gemm_result_home(const Graph& g, const Kernel& k) {
  const NodeId r = k.gemm.result;
  if (!has_epilogue(k) || std::find(k.outputs.begin(), k.outputs.end(), r) != k.outputs.end()) return kNoNode;
  const Kernel e = epilogue_of(g, k);
  if (e.phases() > 1) return kNoNode;
  for (NodeId id : e.nodes)
    if (is_row_node(g, e, id) && g[id].op != Op::Sum && g[id].op != Op::ReduceMax) return kNoNode;
  for (NodeId id : e.outputs)
    if (g[id].shape == k.domain && g[id].dtype == g[r].dtype && g[id].op != Op::Sum && g[id].op != Op::ReduceMax)
      return id;
  return kNoNode;
}

int64_t gemm_block_rows(const Kernel& k, uint64_t elem_bytes) {
  const int64_t m = k.domain.dims.empty() ? 1 : k.domain.dims[0];
  if (!has_epilogue(k) || k.domain.rank() != 2) return m;
  const int64_t row_bytes = std::max<int64_t>(1, k.domain.dims[1]) * static_cast<int64_t>(elem_bytes);
  int64_t rows = std::max<int64_t>(1, static_cast<int64_t>(kGemmBlockBytes) / row_bytes);
  if (rows >= 16) rows = rows / 16 * 16;  // whole register tiles of the library's kernels
  return std::max<int64_t>(1, std::min(m, rows));
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

// Does node `id` of kernel `k` run in a loop over the domain (a loop kernel's node, or a
// Gemm kernel's epilogue), rather than in a call?
bool in_loop(const Kernel& k, NodeId id) {
  return is_loop_kernel(k.kind) || (k.kind == KernelKind::Gemm && !k.gemm.computes(id));
}

// Operand x of node id (kernel ki, at position i): where may it come from?
void verify_operand(const Graph& g, const std::vector<int>& kof, const std::vector<int>& phase_of, size_t ki,
                    NodeId id, NodeId x, std::vector<std::string>& errs) {
  const Kernel& k = g.kernels[ki];
  const int kx = kof[x];
  const bool reduction = g[x].op == Op::Sum || g[x].op == Op::ReduceMax;
  const bool gemm = k.kind == KernelKind::Gemm;
  if (kx < 0) {
    const bool immediate = g[x].op == Op::Const && (in_loop(k, id) || (gemm && id == k.gemm.scaled));
    if (g[x].op != Op::Input && !immediate)
      errs.push_back(fmt::format("kernel {}: node {} reads node {}, which no kernel computes", ki, id, x));
  } else if (static_cast<size_t>(kx) > ki) {
    errs.push_back(fmt::format("kernel {}: node {} reads node {} of the later kernel {}", ki, id, x, kx));
  } else if (static_cast<size_t>(kx) == ki && gemm && (k.gemm.computes(x) || k.gemm.computes(id))) {
    if (!k.gemm.computes(id) ? x != k.gemm.result : !k.gemm.computes(x))
      errs.push_back(fmt::format("kernel {}: node {} reads node {} across its GEMM call's boundary", ki, id, x));
  } else if (static_cast<size_t>(kx) == ki && in_loop(k, id)) {
    if (phase_of[x] > phase_of[id] || (reduction && (phase_of[x] == phase_of[id] || !is_row_reduction(g, k, x))))
      errs.push_back(fmt::format("kernel {}: node {} reads node {} before it is complete", ki, id, x));
  }
}

bool one_element(const Shape& s) {
  for (Dim d : s.dims)
    if (d != 1) return false;
  return true;
}

bool same_operands(const Node& n, NodeId a, NodeId b, bool either_order) {
  return n.inputs == std::vector<NodeId>{a, b} || (either_order && n.inputs == std::vector<NodeId>{b, a});
}

// Is result = base ± (scale·)product as the call says, with base and scale from elsewhere?
bool accumulation_matches(const Graph& g, const std::vector<int>& kof, size_t ki, const GemmCall& c) {
  const NodeId x = c.scaled != kNoNode ? c.scaled : c.product;
  const Node& r = g[c.result];
  const bool from_elsewhere = c.base < g.size() && kof[c.base] != static_cast<int>(ki) && g[c.base].op != Op::Const;
  bool ok = from_elsewhere && g[c.base].shape == g[c.product].shape && c.result != c.product &&
            ((r.op == Op::Add && !c.negate && same_operands(r, c.base, x, true)) ||
             (r.op == Op::Sub && c.negate && same_operands(r, c.base, x, false)));
  if (c.scaled == kNoNode) return ok && c.scale == kNoNode;
  return ok && c.scale < g.size() && kof[c.scale] != static_cast<int>(ki) && one_element(g[c.scale].shape) &&
         g[c.scaled].op == Op::Mul && same_operands(g[c.scaled], c.scale, c.product, true);
}

// A Gemm kernel's call: one matmul, and an accumulation only of the form GemmCall describes.
void verify_gemm(const Graph& g, const std::vector<int>& kof, size_t ki, std::vector<std::string>& errs) {
  const Kernel& k = g.kernels[ki];
  const GemmCall& c = k.gemm;
  auto mine = [&](NodeId id) { return id < g.size() && kof[id] == static_cast<int>(ki); };
  if (!mine(c.product) || g[c.product].op != Op::MatMul || !mine(c.result) ||
      (c.scaled != kNoNode && !mine(c.scaled))) {
    errs.push_back(fmt::format("kernel {}: its GEMM call's nodes are not its own or not a matmul", ki));
    return;
  }
  if (c.accumulates() ? !accumulation_matches(g, kof, ki, c)
                      : c.result != c.product || c.scaled != kNoNode || c.scale != kNoNode)
    errs.push_back(fmt::format("kernel {}: node {} is not what its GEMM call computes", ki, c.result));
  for (NodeId id : k.nodes) {
    if (id != c.product && g[id].op == Op::MatMul)
      errs.push_back(fmt::format("kernel {}: a second matmul, node {}", ki, id));
    if (k.gemm.computes(id) && !(g[id].shape == k.domain))
      errs.push_back(fmt::format("kernel {}: node {} of the GEMM call is not of the product's shape", ki, id));
  }
  const Node& p = g[c.product];
  if ((c.accumulates() || has_epilogue(k)) && (g[p.inputs[0]].shape.rank() != 2 || g[p.inputs[1]].shape.rank() != 2))
    errs.push_back(fmt::format("kernel {}: an epilogue or an accumulation needs a GEMM of 2-D operands", ki));
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
      if (in_loop(k, id) && !fits_domain(g, k, id))
        errs.push_back(fmt::format("kernel {}: node {} ({}) does not fit the domain", ki, id, g.type_string(id)));
      if (!in_loop(k, id) && phase_of[id] != 0)
        errs.push_back(fmt::format("kernel {}: node {} of the GEMM call in phase {}", ki, id, phase_of[id]));
    }
  }
  for (size_t ki = 0; ki < g.kernels.size(); ++ki) {
    if (g.kernels[ki].kind == KernelKind::Gemm) verify_gemm(g, kof, ki, errs);
    else if (!(g.kernels[ki].gemm == GemmCall{}))
      errs.push_back(fmt::format("kernel {}: a GEMM call in a {} kernel", ki, kernel_kind_name(g.kernels[ki].kind)));
  }
  if (!errs.empty()) return errs;
  for (size_t ki = 0; ki < g.kernels.size(); ++ki)
    for (NodeId id : g.kernels[ki].nodes)
      for (NodeId x : g[id].inputs) verify_operand(g, kof, phase_of, ki, id, x, errs);
  for (const Output& o : g.outputs)
    if (o.id < g.size() && kof[o.id] < 0 && g[o.id].op != Op::Input)
      errs.push_back(fmt::format("output {}: no kernel computes it", o.name));
  return errs;
}

namespace {

// "    gemm alpha=-%lr beta=1 C=%9 (holding %c first), per row block:": the call, where it is more
// than a matmul into its own buffer.
std::string gemm_line(const Graph& g, const Kernel& k, const ValueNames& names) {
  const GemmCall& c = k.gemm;
  if (!c.accumulates() && !has_epilogue(k)) return "";
  std::string alpha = c.scale == kNoNode                ? "1"
                      : g[c.scale].op == Op::Const ? fmt::format("{}", g[c.scale].value)
                                                   : names[c.scale];
  if (c.negate) alpha = "-" + alpha;
  std::string line = fmt::format("    gemm alpha={} beta={} C={}", alpha, c.accumulates() ? 1 : 0, names[c.result]);
  if (c.accumulates()) line += fmt::format(" (holding {} first)", names[c.base]);
  if (has_epilogue(k)) line += ", per row block:";
  return line + "\n";
}

std::string kernel_body(const Graph& g, const Kernel& k, const std::vector<int>& kof, const ValueNames& names,
                        const std::vector<bool>& stored) {
  std::string out;
  if (k.kind == KernelKind::Gemm) {
    for (NodeId id : k.nodes)
      if (k.gemm.computes(id)) out += node_line(g, k, id, names, stored);
    out += gemm_line(g, k, names);
    if (!has_epilogue(k)) return out;
    out += "   epilogue\n";
    return out + kernel_body(g, epilogue_of(g, k), kof, names, stored);
  }
  if (is_loop_kernel(k.kind)) out += consts_line(g, k, kof, names);
  for (size_t j = 0; j < k.nodes.size(); ++j) {
    if (k.phases() > 1 && (j == 0 || k.phase[j] != k.phase[j - 1])) out += fmt::format("   phase {}\n", k.phase[j]);
    out += node_line(g, k, k.nodes[j], names, stored);
  }
  return out;
}

}  // namespace

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
    out += kernel_body(g, k, kof, names, stored);
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
