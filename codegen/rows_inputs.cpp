// codegen/rows_inputs.cpp — inputs passed as tables of row pointers (CodegenOptions::
// inputs_by_rows).
//
// A training batch is a set of shuffled examples scattered through the data set. Copying
// them into one buffer every step costs a pass over the batch through memory; the GEMMs that
// read the batch as op(A) (X·W forward, Xᵀ·dY for dW) can instead read each example where it
// lies, through gradc_gemm_rows_f32. Any other reader gets a workspace copy gathered at the
// start of the call, so every graph stays correct whatever reads the input.
#include <stdexcept>
#include <string>

#include "codegen/tensor_emitter.h"

namespace gradc::codegen::detail::tensor {

namespace {

// u is a 2-D matmul reading x as its left operand only.
bool left_operand_of(const ir::Graph& g, NodeId u, NodeId x) {
  const Node& n = g[u];
  return n.op == Op::MatMul && n.inputs[0] == x && n.inputs[1] != x && g[x].shape.dims.size() == 2 &&
         g[n.inputs[1]].shape.dims.size() == 2;
}

// Whether every live reader of each input in `rows` is a GEMM taking it, or a transpose of it
// folded into the GEMM's trans flag, as op(A): one pass in id order (operands come first).
std::vector<bool> read_by_gemms_only(const ir::Graph& g, const Plan& p, const std::vector<bool>& rows) {
  std::vector<bool> ok = rows;
  std::vector<NodeId> transpose_of(g.size(), ir::kNoNode);  // folded transpose -> its row input
  for (NodeId u = 0; u < g.size(); ++u) {
    if (p.slots[u].where == Where::Dead) continue;
    for (NodeId x : g[u].inputs) {
      const NodeId source = rows[x] ? x : transpose_of[x];
      if (source == ir::kNoNode || left_operand_of(g, u, x)) continue;
      if (rows[x] && g[u].op == Op::Transpose && p.slots[u].where == Where::Folded) transpose_of[u] = x;
      else ok[source] = false;
    }
  }
  for (const ir::Output& o : g.outputs) {  // an output copied from the input reads its buffer
    if (rows[o.id]) ok[o.id] = false;
    if (transpose_of[o.id] != ir::kNoNode) ok[transpose_of[o.id]] = false;
  }
  return ok;
}

}  // namespace

void plan_rows_inputs(const ir::Graph& g, Plan& p, const std::vector<NodeId>& ids, bool direct, size_t elem) {
  if (ids.empty()) return;
  std::vector<bool> rows(g.size(), false);
  for (NodeId id : ids) {
    if (id >= g.size() || g[id].op != Op::Input || g[id].shape.dims.size() != 2)
      throw std::invalid_argument("codegen: input passed by rows must be a 2-D input, not node %" +
                                  std::to_string(id));
    rows[id] = true;
  }
  for (const ir::OutputAlias& a : g.memory.output_aliases)
    if (rows[g.inputs()[a.input]])
      throw std::invalid_argument("codegen: input '" + g[g.inputs()[a.input]].name +
                                  "' is passed by rows and overwritten by an output");
  const std::vector<bool> ok = read_by_gemms_only(g, p, rows);
  for (NodeId id : ids) {
    Slot& s = p.slots[id];
    s.by_rows = true;
    if (!(direct && ok[id])) s.offset = p.take(static_cast<size_t>(count(g[id].shape.dims)) * elem);
  }
}

// copy[r, :] = table[r][0 : cols] for each row r.
void gather_rows(Emitter& e, B& b, NodeId id, Value* table, Value* copy) {
  const Dims& d = e.g[id].shape.dims;
  if (count(d) == 0) return;
  const uint64_t row_bytes = static_cast<uint64_t>(d[1]) * e.elem_size();
  loop_nest(b, {d[0]}, [&](B& lb, const std::vector<Value*>& idx) {
    Value* src = lb.CreateLoad(lb.getPtrTy(), lb.CreateInBoundsGEP(lb.getPtrTy(), table, idx[0]));
    Value* dst = elem(lb, e.t, copy, lb.CreateMul(idx[0], lb.getInt64(d[1]), "", true, true));
    lb.CreateMemCpy(dst, llvm::MaybeAlign(), src, llvm::MaybeAlign(), row_bytes);
  });
}

}  // namespace gradc::codegen::detail::tensor

namespace gradc::codegen::detail {

RowsInputs rows_inputs(const CodegenOptions& opts) {
  return {opts.inputs_by_rows, opts.dtype == ir::DType::F32 && opts.gemm_rows_f32 != nullptr};
}

}  // namespace gradc::codegen::detail
