// codegen/output_alias.cpp — outputs written over inputs (ir::MemoryPlan::output_aliases).
//
// Training updates parameters in place: the caller passes one buffer as input i and output
// k. Two things could go wrong. A kernel that reads input i after output k was written
// would read the new value instead of the old; and two noalias pointers to one buffer are
// undefined behaviour. So output k is computed straight into the shared buffer only when
//   - its kernel is elementwise and the output has the kernel's domain (each element is
//     read, then written, at the same index, as plan-memory's in-place pairs are), and that
//     kernel reads input i (through any view) only at that same index; or output k is what a
//     GEMM call accumulates onto input i (C = i ± alpha·A·B, beta = 1: SGD folded into the dW
//     GEMM), and nothing else in that kernel reads input i (not A or B: C would overlap an
//     operand, and not its epilogue, which runs after C is written);
//   - no later kernel reads input i, and no other output is a copy of it;
// it then takes input i's slot, so the kernel function gets one pointer for both. Otherwise
// (and always without kernels, -O0/-O1) output k is computed into a workspace buffer of its
// own and copied over the input after every kernel has run: correct, one copy slower.
#include "codegen/tensor_emitter.h"

namespace gradc::codegen::detail::tensor {

namespace {

// root[id]: the node whose buffer holds id's value, through views (reshape, stop_gradient,
// a transpose folded into its GEMMs) that are not outputs themselves.
std::vector<NodeId> buffer_roots(const ir::Graph& g, const std::vector<int>& kernel, const Plan& p) {
  std::vector<NodeId> root(g.size());
  for (NodeId id = 0; id < g.size(); ++id) {
    root[id] = id;
    const int k = kernel[id];
    const bool view = k >= 0 && g.kernels[static_cast<size_t>(k)].kind == ir::KernelKind::View;
    if (view && p.slots[id].where != Where::Output) root[id] = root[g[id].inputs[0]];
  }
  return root;
}

// Whether the writer's read `x` of the input, by node `id`, is safe with the output in
// the input's buffer: an elementwise kernel's read at the index it writes, or a GEMM
// call's accumulation of its base (the call's only read of C's buffer).
bool reads_in_step(const ir::Graph& g, const ir::Kernel& writer, NodeId id, NodeId x) {
  if (writer.kind == ir::KernelKind::Elementwise) return g[x].shape == writer.domain;
  const ir::GemmCall& c = writer.gemm;
  return x == c.base && id == c.result;
}

bool may_write_in_place(const ir::Graph& g, const Plan& p, const ir::OutputAlias& a) {
  const NodeId out = g.outputs[a.output].id, in = g.inputs()[a.input];
  const std::vector<int> kernel = ir::kernel_of(g);
  if (kernel[out] < 0) return false;
  const ir::Kernel& writer = g.kernels[static_cast<size_t>(kernel[out])];
  const std::vector<NodeId> root = buffer_roots(g, kernel, p);
  if (writer.kind == ir::KernelKind::Elementwise) {
    if (!(g[out].shape == writer.domain)) return false;
  } else if (writer.kind == ir::KernelKind::Gemm) {
    const ir::GemmCall& c = writer.gemm;
    if (out != c.result || !c.accumulates() || root[c.base] != in) return false;
  } else {
    return false;
  }
  for (size_t k = 0; k < g.outputs.size(); ++k)
    if (k != a.output && root[g.outputs[k].id] == in) return false;  // copied at the end
  for (NodeId id = 0; id < g.size(); ++id) {
    if (kernel[id] < 0 || root[id] != id) continue;  // not computed, or a view (its readers count)
    for (NodeId x : g[id].inputs) {
      if (root[x] != in) continue;
      if (kernel[id] > kernel[out]) return false;
      if (kernel[id] == kernel[out] && !reads_in_step(g, writer, id, x)) return false;
    }
  }
  return true;
}

}  // namespace

void place_aliased_outputs(const ir::Graph& g, Plan& p, size_t elem) {
  for (const ir::OutputAlias& a : g.memory.output_aliases) {
    const NodeId out = g.outputs[a.output].id;
    Slot& s = p.slots[out];
    if (s.where != Where::Output || s.index != a.output) continue;  // copied by end_entry anyway
    if (!g.kernels.empty() && may_write_in_place(g, p, a)) {
      s.where = Where::Input;
      s.index = a.input;
    } else {
      s.where = Where::Workspace;
      s.offset = p.take(static_cast<size_t>(count(g[out].shape.dims)) * elem);
    }
  }
}

bool written_in_place(const ir::Graph& g, const Plan& p, size_t output) {
  const Slot& s = p.slots[g.outputs[output].id];
  for (const ir::OutputAlias& a : g.memory.output_aliases)
    if (a.output == output) return s.where == Where::Input && s.index == a.input;
  return false;
}

bool is_aliased_output(const ir::Graph& g, size_t output) {
  for (const ir::OutputAlias& a : g.memory.output_aliases)
    if (a.output == output) return true;
  return false;
}

}  // namespace gradc::codegen::detail::tensor
