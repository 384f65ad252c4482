// codegen/emit_kernel.cpp — a graph in kernel form (ir/kernel.h) → one LLVM function per kernel.
//
// The entry calls the kernels in g.kernels' order. A loop kernel is one loop nest over its
// domain: each iteration loads its inputs (broadcast strides, so a [256] bias or a [B,1] row
// maximum is read in place), computes every node in registers in id order, stores the
// nodes other kernels read, and folds its reductions' operands into their accumulators.
// Axes contiguous for every buffer are merged (fuse_axes), so the innermost loop is long; a
// reduction whose innermost axis is reduced accumulates in a register (`reassoc` only on
// that add, so the vectoriser may keep partial sums), the others in memory. f32 sums
// accumulate in f64 (scratch from the memory plan) as in the one-node-per-function path.
// Buffers come from g.memory, or from ir::plan_memory here when the graph was planned for
// another element size or not at all (dims bound after the passes ran). Every kernel
// function takes one noalias pointer per distinct buffer: an output computed in place of
// an input is one parameter, read then written at the same index, never two aliasing ones.
#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "codegen/tensor_emitter.h"
#include "ir/check.h"

namespace gradc::codegen::detail::tensor {

namespace {

bool is_reduction(Op op) { return op == Op::Sum || op == Op::ReduceMax; }

const ir::MemoryPlan& plan_for(const ir::Graph& g, size_t elem, ir::MemoryPlan& own) {
  if (g.memory.elem_bytes == elem && g.memory.offset.size() == g.size()) return g.memory;
  own = ir::plan_memory(g, elem);
  return own;
}

std::vector<size_t> first_output_of(const ir::Graph& g) {
  std::vector<size_t> out_of(g.size(), SIZE_MAX);
  for (size_t k = g.outputs.size(); k-- > 0;) out_of[g.outputs[k].id] = k;
  return out_of;
}

// A node of a View kernel: reshape and stop_gradient alias their operand's buffer, a
// transpose is read by its GEMMs through the trans flags.
void view_slot(const ir::Graph& g, const Plan& p, NodeId id, Slot& s) {
  if (g[id].op == Op::Transpose) {
    s.where = Where::Folded;
    return;
  }
  const NodeId x = g[id].inputs[0];
  const Slot& xs = p.slots[x];
  s.where = Where::Alias;
  s.alias = xs.where == Where::Alias ? xs.alias : x;
}

}  // namespace

Plan kernel_plan(const ir::Graph& g, size_t elem) {
  ir::MemoryPlan own;
  const ir::MemoryPlan& mp = plan_for(g, elem, own);
  const std::vector<int> kernel = ir::kernel_of(g);
  const std::vector<size_t> out_of = first_output_of(g);
  Plan p;
  p.slots.resize(g.size());
  p.bytes = mp.workspace_bytes;
  for (NodeId id = 0; id < g.size(); ++id) {
    Slot& s = p.slots[id];
    if (g[id].op == Op::Input) {
      s.where = Where::Input;
      while (g.inputs()[s.index] != id) ++s.index;
    } else if (kernel[id] < 0) {
      continue;  // dead, or a constant used as an immediate
    } else if (out_of[id] != SIZE_MAX) {
      s.where = Where::Output;
      s.index = out_of[id];
    } else if (g.kernels[static_cast<size_t>(kernel[id])].kind == ir::KernelKind::View) {
      view_slot(g, p, id, s);
    } else if (mp.offset[id] != ir::MemoryPlan::kNone) {
      s.where = Where::Workspace;
      s.offset = mp.offset[id];
    } else {
      s.where = Where::Register;
    }
    if (mp.scratch[id] != ir::MemoryPlan::kNone) s.scratch = mp.scratch[id];
  }
  for (const ir::Kernel& k : g.kernels)  // a GEMM result only its epilogue reads: in an output's rows, or one block
    if (k.kind == ir::KernelKind::Gemm && p.slots[k.gemm.result].where == Where::Register) {
      Slot& s = p.slots[k.gemm.result];
      if (const NodeId home = ir::gemm_result_home(g, k); home != ir::kNoNode) s = Slot{Where::Alias, 0, 0, home, kNoScratch, false};
      else if (s.scratch != kNoScratch) s = Slot{Where::Workspace, 0, s.scratch, 0, kNoScratch, true};
    }
  return p;
}

namespace {

// The kernel function's pointer parameters: one per distinct buffer (a node's slot, seen
// through aliases, or a sum's scratch), writable if anything stores to it.
class Params {
 public:
  Params(Emitter& e, Value* workspace) : e_(e), ws_(workspace) {}

  unsigned of(NodeId id, bool write) {
    const Slot* s = &e_.plan.slots[id];
    if (s->where == Where::Alias) s = &e_.plan.slots[s->alias];
    GRADC_ASSERT(s->where == Where::Input || s->where == Where::Output || s->where == Where::Workspace,
                 "codegen: a kernel reads or writes a value that has no buffer");
    const size_t at = s->where == Where::Workspace ? s->offset : s->index;
    return param({static_cast<int>(s->where), at}, e_.ptr[id], write);
  }
  unsigned scratch(size_t offset, B& b) {
    return param({-1, offset}, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), ws_, offset), true);
  }
  const std::vector<Value*>& args() const { return args_; }
  const std::vector<bool>& written() const { return written_; }

 private:
  unsigned param(std::pair<int, size_t> key, Value* ptr, bool write) {
    auto [it, fresh] = index_.emplace(key, static_cast<unsigned>(args_.size()));
    if (fresh) {
      args_.push_back(ptr);
      written_.push_back(false);
    }
    if (write) written_[it->second] = true;
    return it->second;
  }
  Emitter& e_;
  Value* ws_;
  std::map<std::pair<int, size_t>, unsigned> index_;
  std::vector<Value*> args_;
  std::vector<bool> written_;
};

struct Access {
  NodeId node;
  unsigned param;
  size_t strides;  // index into LoopKernel::strides
};

struct Reduction {
  NodeId node;
  bool is_max;
  llvm::Type* acc_type;  // f64 for f32 sums
  unsigned acc, out;     // parameters: accumulators, result (the same unless f32 sum)
  size_t strides;
  bool in_register = false;  // innermost axis reduced
  bool stored = true;        // false: a row reduction only its kernel's later phases read
};

// What one loop kernel reads, stores and accumulates, with every stride vector over the
// (then axis-fused) domain.
struct LoopKernel {
  const ir::Kernel& k;
  Dims dims;
  std::vector<Dims> strides;
  std::vector<Access> leaves, stores;
  std::vector<Reduction> reductions;
  std::vector<int64_t> row_step;  // per stride vector, in a function over a block of rows; else empty
};

// Accumulator strides over the domain: 0 along the reduced axes, row-major over the kept.
Dims accumulator_strides(const Node& n, const Dims& domain) {
  std::vector<bool> reduced(domain.size(), false);
  for (int64_t a : n.attr) reduced[static_cast<size_t>(a)] = true;
  Dims s(domain.size(), 0);
  int64_t step = 1;
  for (size_t a = domain.size(); a-- > 0;)
    if (!reduced[a]) {
      s[a] = step;
      step *= domain[a];
    }
  return s;
}

// Each access's step per row of the domain, for a function run on a block of rows starting at
// its last argument (a GEMM epilogue): the stride along the first axis, or 0 for a GEMM
// result's block scratch, which every block fills from its start.
std::vector<int64_t> row_steps(const Emitter& e, const std::vector<Dims>& strides, const std::vector<Access>& leaves) {
  std::vector<int64_t> steps;
  for (const Dims& s : strides) steps.push_back(s.empty() ? 0 : s.front());
  for (const Access& a : leaves)
    if (e.plan.slots[a.node].block) steps[a.strides] = 0;
  return steps;
}

// The byte offset of element `idx` of an access with `strides`, in a function that may start at row `row0`.
Value* access_offset(B& b, const std::vector<Value*>& idx, const Dims& strides, Value* row0, int64_t row_step) {
  Value* off = offset(b, idx, strides);
  if (!row0 || row_step == 0) return off;
  return b.CreateAdd(off, b.CreateMul(row0, b.getInt64(row_step), "", true, true), "", true, true);
}

// `rows` >= 0: the loops cover that many rows of the domain from a row given at run time (a
// GEMM epilogue's block; strides stay the whole domain's).
LoopKernel describe(Emitter& e, const ir::Kernel& k, Params& ps, B& b, int64_t rows) {
  LoopKernel lk{k, k.domain.dims, {}, {}, {}, {}, {}};
  for (NodeId x : k.inputs) {
    lk.leaves.push_back({x, ps.of(x, false), lk.strides.size()});
    lk.strides.push_back(broadcast_strides(e.g[x].shape.dims, lk.dims));
  }
  for (NodeId id : k.outputs)
    if (!is_reduction(e.g[id].op)) {
      lk.stores.push_back({id, ps.of(id, true), lk.strides.size()});
      lk.strides.push_back(strides_of(lk.dims));
    }
  for (NodeId id : k.nodes) {
    const Node& n = e.g[id];
    if (!is_reduction(n.op)) continue;
    const size_t scratch = e.plan.slots[id].scratch;
    Reduction r{id, n.op == Op::ReduceMax, e.t, 0, ps.of(id, true), lk.strides.size()};
    if (scratch != kNoScratch) r.acc_type = llvm::Type::getDoubleTy(e.ctx());
    r.acc = scratch != kNoScratch ? ps.scratch(scratch, b) : r.out;
    lk.reductions.push_back(r);
    lk.strides.push_back(accumulator_strides(n, lk.dims));
  }
  if (rows >= 0) {
    lk.row_step = row_steps(e, lk.strides, lk.leaves);
    lk.dims.front() = rows;
  }
  fuse_axes(lk.dims, lk.strides);
  if (lk.dims.empty()) {  // a scalar domain, or only unit axes
    lk.dims = {1};
    for (Dims& s : lk.strides) s = {0};
  }
  for (Reduction& r : lk.reductions) r.in_register = lk.strides[r.strides].back() == 0;
  return lk;
}

// One iteration's values: kernel nodes in id order; leaves loaded once, constants immediate.
class Iteration {
 public:
  Iteration(Emitter& e, const LoopKernel& lk, llvm::Function* f, B& b, std::vector<Value*> idx)
      : e_(e), lk_(lk), f_(f), b_(b), idx_(std::move(idx)) {
    for (const Access& a : lk.leaves) leaf_[a.node] = &a;
  }

  Value* value(NodeId x) {
    if (auto it = val_.find(x); it != val_.end()) return it->second;
    if (e_.g[x].op == Op::Const) return llvm::ConstantFP::get(e_.t, e_.g[x].value);
    const Access& a = *leaf_.at(x);
    Value* v = b_.CreateLoad(e_.t, at(e_.t, a.param, a.strides));
    val_[x] = v;
    return v;
  }
  Value* at(llvm::Type* t, unsigned param, size_t strides) {
    Value* row0 = lk_.row_step.empty() ? nullptr : f_->getArg(f_->arg_size() - 1);
    const int64_t step = lk_.row_step.empty() ? 0 : lk_.row_step[strides];
    return elem(b_, t, f_->getArg(param), access_offset(b_, idx_, lk_.strides[strides], row0, step));
  }
  void compute(NodeId id) {
    const Node& n = e_.g[id];
    if (n.op == Op::Const) val_[id] = llvm::ConstantFP::get(e_.t, n.value);
    else if (n.op == Op::Broadcast || n.op == Op::StopGrad) val_[id] = value(n.inputs[0]);
    else if (!is_reduction(n.op)) {
      std::vector<Value*> xs;
      for (NodeId x : n.inputs) xs.push_back(value(x));
      val_[id] = emit_op(b_, n, xs);
    }
  }
  Value* operand_of(const Reduction& r) {
    Value* v = value(e_.g[r.node].inputs[0]);
    return r.acc_type == e_.t ? v : b_.CreateFPExt(v, r.acc_type);
  }
  void store_outputs() {
    for (const Access& a : lk_.stores) b_.CreateStore(val_.at(a.node), at(e_.t, a.param, a.strides));
  }

 private:
  Emitter& e_;
  const LoopKernel& lk_;
  llvm::Function* f_;
  B& b_;
  std::vector<Value*> idx_;
  std::unordered_map<NodeId, Value*> val_;
  std::unordered_map<NodeId, const Access*> leaf_;
};

// One loop over a row, p = 0 .. len-1, and its register accumulators: loaded before the
// loop (or started afresh when only the kernel reads them), PHIs in it, stored after it.
// Reductions that are not in a register accumulate in memory in the loop body.
class RowLoop {
 public:
  // `at(r)`: the address of r's accumulator for this row, before the loop.
  RowLoop(Emitter& e, llvm::Function* f, B& b, std::vector<const Reduction*> reds,
          const std::function<Value*(const Reduction&)>& at)
      : b_(b), reds_(std::move(reds)), at_(reds_.size(), nullptr), phi_(reds_.size(), nullptr),
        next_(reds_.size(), nullptr) {
    pre_ = b.GetInsertBlock();
    loop_ = llvm::BasicBlock::Create(e.ctx(), "row", f);
    exit_ = llvm::BasicBlock::Create(e.ctx(), "row.exit", f);
    std::vector<Value*> init(reds_.size(), nullptr);
    for (size_t i = 0; i < reds_.size(); ++i) {
      const Reduction& r = *reds_[i];
      if (!r.stored) init[i] = llvm::ConstantFP::get(r.acc_type, r.is_max ? -std::numeric_limits<double>::infinity() : 0.0);
      else if (r.in_register) init[i] = b.CreateLoad(r.acc_type, at_[i] = at(r));
    }
    b.CreateBr(loop_);
    b.SetInsertPoint(loop_);
    p_ = b.CreatePHI(b.getInt64Ty(), 2, "p");
    p_->addIncoming(b.getInt64(0), pre_);
    for (size_t i = 0; i < reds_.size(); ++i)
      if (init[i]) {
        phi_[i] = b.CreatePHI(reds_[i]->acc_type, 2, "acc");
        phi_[i]->addIncoming(init[i], pre_);
      }
  }
  Value* index() const { return p_; }
  // Reduction i folds v: in its register, or in memory at `mem()`.
  void fold(size_t i, Value* v, const std::function<Value*()>& mem) {
    const Reduction& r = *reds_[i];
    if (phi_[i]) {
      next_[i] = combine(b_, r.is_max, phi_[i], v, true);
      return;
    }
    Value* at = mem();
    b_.CreateStore(combine(b_, r.is_max, b_.CreateLoad(r.acc_type, at), v, false), at);
  }
  void close(int64_t len) {
    Value* next = b_.CreateAdd(p_, b_.getInt64(1), "p.next", true, true);
    p_->addIncoming(next, b_.GetInsertBlock());
    for (size_t i = 0; i < phi_.size(); ++i)
      if (phi_[i]) phi_[i]->addIncoming(next_[i], b_.GetInsertBlock());
    b_.CreateCondBr(b_.CreateICmpEQ(next, b_.getInt64(len)), exit_, loop_);
    b_.SetInsertPoint(exit_);
    for (size_t i = 0; i < phi_.size(); ++i)
      if (at_[i]) b_.CreateStore(next_[i], at_[i]);
  }
  Value* total(size_t i) const { return next_[i]; }  // after close(): a register's final value

 private:
  B& b_;
  std::vector<const Reduction*> reds_;
  std::vector<Value*> at_;
  std::vector<llvm::PHINode*> phi_;
  std::vector<Value*> next_;
  llvm::BasicBlock *pre_, *loop_, *exit_;
  llvm::PHINode* p_;
};

// The innermost loop over lk.dims.back(), `outer` the enclosing indices.
void emit_row(Emitter& e, const LoopKernel& lk, llvm::Function* f, B& b, const std::vector<Value*>& outer) {
  Iteration head(e, lk, f, b, outer);
  std::vector<const Reduction*> reds;
  for (const Reduction& r : lk.reductions) reds.push_back(&r);
  RowLoop row(e, f, b, reds, [&](const Reduction& r) { return head.at(r.acc_type, r.acc, r.strides); });
  std::vector<Value*> idx = outer;
  idx.push_back(row.index());
  Iteration it(e, lk, f, b, idx);
  for (NodeId id : lk.k.nodes) it.compute(id);
  for (size_t i = 0; i < reds.size(); ++i)
    row.fold(i, it.operand_of(*reds[i]), [&] { return it.at(reds[i]->acc_type, reds[i]->acc, reds[i]->strides); });
  it.store_outputs();
  row.close(lk.dims.back());
}

// Accumulators start at 0 (sum) or -inf (max); f32 sums end converted from f64.
void init_accumulators(Emitter& e, const LoopKernel& lk, llvm::Function* f, B& b) {
  for (const Reduction& r : lk.reductions) {
    const int64_t n = count(e.g[r.node].shape.dims);
    if (n == 0 || !r.stored) continue;
    const double init = r.is_max ? -std::numeric_limits<double>::infinity() : 0.0;
    loop_nest(b, {n}, [&](B& lb, const std::vector<Value*>& idx) {
      lb.CreateStore(llvm::ConstantFP::get(r.acc_type, init), elem(lb, r.acc_type, f->getArg(r.acc), idx[0]));
    });
  }
}

void finish_accumulators(Emitter& e, const LoopKernel& lk, llvm::Function* f, B& b) {
  for (const Reduction& r : lk.reductions) {
    const int64_t n = count(e.g[r.node].shape.dims);
    if (r.acc == r.out || n == 0 || !r.stored) continue;
    loop_nest(b, {n}, [&](B& lb, const std::vector<Value*>& idx) {
      Value* v = lb.CreateLoad(r.acc_type, elem(lb, r.acc_type, f->getArg(r.acc), idx[0]));
      lb.CreateStore(lb.CreateFPTrunc(v, e.t), elem(lb, e.t, f->getArg(r.out), idx[0]));
    });
  }
}

// ---- phased kernels (ir/kernel.h): per row, one loop over the row per phase ----

// Strides over the domain: the outer axes (fused) and the row's.
struct PhasedKernel {
  const ir::Kernel& k;
  Dims outer;
  int64_t row = 0;
  std::vector<Dims> strides;  // per access: the outer axes' strides, then the row's
  std::vector<Access> leaves, stores, buffers;
  std::vector<Reduction> reductions;
  std::unordered_map<NodeId, int> phase;
  std::unordered_map<NodeId, const Access*> leaf, store, buffer;
  std::vector<int64_t> row_step;  // as LoopKernel's
};

// Strides of one value per row, stored: 0 along the row, row-major over the outer axes.
Dims row_value_strides(const Dims& domain) {
  Dims s(domain.size(), 0);
  int64_t step = 1;
  for (size_t a = domain.size() - 1; a-- > 0;) {
    s[a] = step;
    step *= domain[a];
  }
  return s;
}

// The outer axes merged where every access is contiguous across them (the row axis stays).
void fuse_outer_axes(PhasedKernel& pk) {
  std::vector<Dims> outer_strides;
  for (Dims& s : pk.strides) outer_strides.push_back(Dims(s.begin(), s.end() - 1));
  fuse_axes(pk.outer, outer_strides);
  if (pk.outer.empty()) {
    pk.outer = {1};
    for (Dims& s : outer_strides) s = {0};
  }
  for (size_t i = 0; i < pk.strides.size(); ++i) {
    outer_strides[i].push_back(pk.strides[i].back());
    pk.strides[i] = std::move(outer_strides[i]);
  }
}

// A reduction of phased kernel pk: its accumulators (f64 scratch for f32 sums) if stored.
void add_reduction(Emitter& e, PhasedKernel& pk, Params& ps, B& b, NodeId id) {
  const Node& n = e.g[id];
  Reduction r{id, n.op == Op::ReduceMax, e.t, 0, 0, pk.strides.size()};
  pk.strides.push_back(accumulator_strides(n, pk.k.domain.dims));
  r.in_register = pk.strides.back().back() == 0;
  r.stored = std::find(pk.k.outputs.begin(), pk.k.outputs.end(), id) != pk.k.outputs.end();
  if (n.op == Op::Sum && e.t->isFloatTy()) r.acc_type = llvm::Type::getDoubleTy(e.ctx());
  if (r.stored) {
    const size_t scratch = e.plan.slots[id].scratch;
    r.out = ps.of(id, true);
    r.acc = scratch != kNoScratch ? ps.scratch(scratch, b) : r.out;
    GRADC_ASSERT((scratch != kNoScratch) == (r.acc_type != e.t), "codegen: f32 sum without f64 accumulators");
  }
  pk.reductions.push_back(r);
}

PhasedKernel describe_phased(Emitter& e, const ir::Kernel& k, Params& ps, B& b, int64_t rows) {
  PhasedKernel pk{k, k.domain.dims, k.domain.dims.back(), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  pk.outer.pop_back();
  const Dims& d = k.domain.dims;
  auto add = [&](std::vector<Access>& to, NodeId id, unsigned param, Dims strides) {
    to.push_back({id, param, pk.strides.size()});
    pk.strides.push_back(std::move(strides));
  };
  for (NodeId x : k.inputs) add(pk.leaves, x, ps.of(x, false), broadcast_strides(e.g[x].shape.dims, d));
  for (NodeId id : k.outputs)
    if (!is_reduction(e.g[id].op))
      add(pk.stores, id, ps.of(id, true), ir::is_row_node(e.g, k, id) ? row_value_strides(d) : strides_of(d));
  Dims in_row(d.size(), 0);
  in_row.back() = 1;
  for (NodeId id : ir::row_buffered(e.g, k)) add(pk.buffers, id, ps.scratch(e.plan.slots[id].scratch, b), in_row);
  for (size_t i = 0; i < k.nodes.size(); ++i) {
    pk.phase[k.nodes[i]] = k.phase[i];
    if (is_reduction(e.g[k.nodes[i]].op)) add_reduction(e, pk, ps, b, k.nodes[i]);
  }
  if (rows >= 0) {
    pk.row_step = row_steps(e, pk.strides, pk.leaves);
    pk.outer.front() = rows;
  }
  fuse_outer_axes(pk);
  for (const Access& a : pk.leaves) pk.leaf[a.node] = &a;
  for (const Access& a : pk.stores) pk.store[a.node] = &a;
  for (const Access& a : pk.buffers) pk.buffer[a.node] = &a;
  return pk;
}

// Values within one row: row values (known for the whole row) and one phase's elements.
class PhaseValues {
 public:
  PhaseValues(Emitter& e, const PhasedKernel& pk, llvm::Function* f, B& b, std::vector<Value*> idx,
              const std::unordered_map<NodeId, Value*>& row)
      : e_(e), pk_(pk), f_(f), b_(b), idx_(std::move(idx)), row_(row) {}

  Value* at(llvm::Type* t, const Access& a) { return at(t, a.param, a.strides); }
  Value* at(llvm::Type* t, unsigned param, size_t strides) {
    Value* row0 = pk_.row_step.empty() ? nullptr : f_->getArg(f_->arg_size() - 1);
    const int64_t step = pk_.row_step.empty() ? 0 : pk_.row_step[strides];
    return elem(b_, t, f_->getArg(param), access_offset(b_, idx_, pk_.strides[strides], row0, step));
  }
  Value* value(NodeId x) {
    if (auto it = val_.find(x); it != val_.end()) return it->second;
    if (e_.g[x].op == Op::Const) return llvm::ConstantFP::get(e_.t, e_.g[x].value);
    if (auto it = row_.find(x); it != row_.end()) return it->second;
    const Access* a = pk_.buffer.count(x) ? pk_.buffer.at(x) : pk_.store.count(x) ? pk_.store.at(x) : pk_.leaf.at(x);
    return val_[x] = b_.CreateLoad(e_.t, at(e_.t, *a));
  }
  // An element node, a row node (from row values) or a reduction's operand.
  Value* compute(NodeId id) {
    const Node& n = e_.g[id];
    if (n.op == Op::Const) return val_[id] = llvm::ConstantFP::get(e_.t, n.value);
    if (n.op == Op::Broadcast || n.op == Op::StopGrad || n.op == Op::Reshape) return val_[id] = value(n.inputs[0]);
    std::vector<Value*> xs;
    for (NodeId x : n.inputs) xs.push_back(value(x));
    return val_[id] = emit_op(b_, n, xs);
  }
  Value* operand_of(const Reduction& r) {
    Value* v = value(e_.g[r.node].inputs[0]);
    return r.acc_type == e_.t ? v : b_.CreateFPExt(v, r.acc_type);
  }
  Value* computed(NodeId id) const { return val_.at(id); }

 private:
  Emitter& e_;
  const PhasedKernel& pk_;
  llvm::Function* f_;
  B& b_;
  std::vector<Value*> idx_;
  const std::unordered_map<NodeId, Value*>& row_;
  std::unordered_map<NodeId, Value*> val_;
};

bool in_phase_loop(const ir::Graph& g, const PhasedKernel& pk, NodeId id, int phase) {
  return pk.phase.at(id) == phase && (!ir::is_row_node(g, pk.k, id) || ir::is_row_reduction(g, pk.k, id));
}

// Phase `phase`'s loop over the row; its row reductions' values are added to `row`.
void emit_phase(Emitter& e, const PhasedKernel& pk, llvm::Function* f, B& b, const std::vector<Value*>& outer,
                int phase, std::unordered_map<NodeId, Value*>& row) {
  std::vector<const Reduction*> reds;
  for (const Reduction& r : pk.reductions)
    if (pk.phase.at(r.node) == phase) reds.push_back(&r);
  PhaseValues head(e, pk, f, b, outer, row);
  RowLoop loop(e, f, b, reds, [&](const Reduction& r) { return head.at(r.acc_type, r.acc, r.strides); });
  std::vector<Value*> idx = outer;
  idx.push_back(loop.index());
  PhaseValues it(e, pk, f, b, idx, row);
  for (NodeId id : pk.k.nodes)
    if (in_phase_loop(e.g, pk, id, phase) && !is_reduction(e.g[id].op)) it.compute(id);
  for (size_t i = 0; i < reds.size(); ++i)
    loop.fold(i, it.operand_of(*reds[i]), [&] { return it.at(reds[i]->acc_type, reds[i]->acc, reds[i]->strides); });
  for (const std::vector<Access>* list : {&pk.stores, &pk.buffers})
    for (const Access& a : *list)
      if (in_phase_loop(e.g, pk, a.node, phase) && !is_reduction(e.g[a.node].op))
        b.CreateStore(it.computed(a.node), it.at(e.t, a));
  loop.close(pk.row);
  for (size_t i = 0; i < reds.size(); ++i)  // row reductions: in registers (the row axis is reduced)
    if (ir::is_row_reduction(e.g, pk.k, reds[i]->node))
      row[reds[i]->node] = reds[i]->acc_type == e.t ? loop.total(i) : b.CreateFPTrunc(loop.total(i), e.t);
}

// Row nodes of phase `phase` (ready before its loop), computed once per row and stored if read elsewhere.
void emit_row_nodes(Emitter& e, const PhasedKernel& pk, llvm::Function* f, B& b, const std::vector<Value*>& outer,
                    int phase, std::unordered_map<NodeId, Value*>& row) {
  PhaseValues v(e, pk, f, b, outer, row);
  for (NodeId id : pk.k.nodes)
    if (pk.phase.at(id) == phase && ir::is_row_node(e.g, pk.k, id) && !is_reduction(e.g[id].op)) {
      row[id] = v.compute(id);
      if (auto it = pk.store.find(id); it != pk.store.end()) b.CreateStore(row[id], v.at(e.t, *it->second));
    }
}

bool phase_has_loop(const ir::Graph& g, const PhasedKernel& pk, int phase) {
  for (NodeId id : pk.k.nodes)
    if (in_phase_loop(g, pk, id, phase)) return true;
  return false;
}

bool is_phased(const ir::Graph& g, const ir::Kernel& k) {
  if (k.phases() > 1) return true;
  for (NodeId id : k.nodes)
    if (ir::is_row_node(g, k, id) && !is_reduction(g[id].op)) return true;
  return false;
}

// Which part of a loop kernel a function runs: all of it, or (a GEMM epilogue, whose blocks
// share accumulators) its loops, or its accumulators' start, or their end.
enum class Part { Whole, Loops, Start, Finish };

// Kernel k's `part` as a function of ps's parameters; its loops cover `rows` rows of the
// domain (< 0: all of them).
// Part::Loops with rows >= 0 takes the first row as a last, i64 argument.
llvm::Function* loop_function(Emitter& e, const ir::Kernel& k, Params& ps, B& b, const std::string& name, Part part,
                              int64_t rows) {
  const bool start = part == Part::Whole || part == Part::Start, finish = part == Part::Whole || part == Part::Finish;
  const bool loops = (part == Part::Whole || part == Part::Loops) && count(k.domain.dims) > 0 && rows != 0;
  const int64_t block = part == Part::Loops ? rows : -1;
  if (is_phased(e.g, k)) {
    const PhasedKernel pk = describe_phased(e, k, ps, b, block);
    llvm::Function* f = kernel_function(e, name, ps.written(), block >= 0);
    B kb(&f->getEntryBlock());
    const LoopKernel lk{k, {}, pk.strides, {}, {}, pk.reductions, {}};
    if (start) init_accumulators(e, lk, f, kb);
    if (loops)
      loop_nest(kb, pk.outer, [&](B& lb, const std::vector<Value*>& idx) {
        std::unordered_map<NodeId, Value*> row;
        for (int phase = 0; phase < k.phases(); ++phase) {
          emit_row_nodes(e, pk, f, lb, idx, phase, row);
          if (phase_has_loop(e.g, pk, phase)) emit_phase(e, pk, f, lb, idx, phase, row);
        }
      });
    if (finish) finish_accumulators(e, lk, f, kb);
    kb.CreateRetVoid();
    return f;
  }
  const LoopKernel lk = describe(e, k, ps, b, block);
  llvm::Function* f = kernel_function(e, name, ps.written(), block >= 0);
  B kb(&f->getEntryBlock());
  if (start) init_accumulators(e, lk, f, kb);
  if (loops) {
    const Dims outer(lk.dims.begin(), lk.dims.end() - 1);
    loop_nest(kb, outer, [&](B& lb, const std::vector<Value*>& idx) { emit_row(e, lk, f, lb, idx); });
  }
  if (finish) finish_accumulators(e, lk, f, kb);
  kb.CreateRetVoid();
  return f;
}

std::string kernel_name(const ir::Kernel& k, size_t index) {
  return fmt::format("k{}.{}", index, ir::kernel_kind_name(k.kind));
}

void emit_loop_kernel(Emitter& e, B& b, size_t index) {
  const ir::Kernel& k = e.g.kernels[index];
  Params ps(e, b.GetInsertBlock()->getParent()->getArg(2));
  llvm::Function* f = loop_function(e, k, ps, b, kernel_name(k, index), Part::Whole, -1);
  b.CreateCall(f, ps.args());
}

// ---- GEMM kernels: the call, block by block, and its epilogue on each block ----

// The epilogue's functions over one set of parameters: its loops over a full block of rows
// and over the last, shorter one (both given the first row), its accumulators' start and end.
struct Epilogue {
  std::vector<Value*> args;
  llvm::Function *full = nullptr, *tail = nullptr, *start = nullptr, *finish = nullptr;
};

Epilogue make_epilogue(Emitter& e, B& b, const ir::Kernel& k, size_t index, int64_t rows, int64_t tail_rows) {
  const ir::Kernel view = ir::epilogue_of(e.g, k);
  Params ps(e, b.GetInsertBlock()->getParent()->getArg(2));
  Epilogue ep;
  const std::string name = kernel_name(k, index) + ".epilogue";
  ep.full = loop_function(e, view, ps, b, name, Part::Loops, rows);
  if (tail_rows > 0) ep.tail = loop_function(e, view, ps, b, name + ".tail", Part::Loops, tail_rows);
  bool accumulators = false;
  for (NodeId id : view.outputs) accumulators = accumulators || is_reduction(e.g[id].op);
  if (accumulators) {
    ep.start = loop_function(e, view, ps, b, name + ".start", Part::Start, 0);
    ep.finish = loop_function(e, view, ps, b, name + ".finish", Part::Finish, 0);
  }
  ep.args = ps.args();
  GRADC_ASSERT(ep.args.size() + 1 == ep.full->arg_size(), "codegen: an epilogue's parameters changed");
  return ep;
}

// alpha: ±1 or ±scale (an immediate, or loaded from its one-element buffer).
Value* gemm_alpha(Emitter& e, B& b, const ir::GemmCall& c) {
  Value* s = nullptr;
  if (c.scale == ir::kNoNode) s = llvm::ConstantFP::get(e.t, 1.0);
  else if (e.g[c.scale].op == Op::Const) s = llvm::ConstantFP::get(e.t, e.g[c.scale].value);
  else s = b.CreateLoad(e.t, e.ptr[c.scale]);
  return c.negate ? b.CreateFNeg(s) : s;
}

// The call's C for rows [row0, row0 + rows): the result's block scratch, or its rows in its
// buffer; accumulating, C first gets base's rows unless it already is base's buffer (in place,
// or the caller passed one buffer for an output and the input it overwrites).
Value* gemm_block_c(Emitter& e, B& b, const ir::GemmCall& c, int64_t n, Value* row0, int64_t rows) {
  const Slot& r = e.plan.slots[c.result];
  Value* at = b.CreateMul(row0, b.getInt64(n), "", true, true);
  Value* dst = r.block ? e.ptr[c.result] : elem(b, e.t, e.ptr[c.result], at);
  if (!c.accumulates()) return dst;
  Value* src = elem(b, e.t, e.ptr[c.base], at);
  llvm::Function* f = b.GetInsertBlock()->getParent();
  auto* copy = llvm::BasicBlock::Create(e.ctx(), "base.copy", f);
  auto* done = llvm::BasicBlock::Create(e.ctx(), "base.done", f);
  b.CreateCondBr(b.CreateICmpNE(dst, src), copy, done);
  b.SetInsertPoint(copy);
  b.CreateMemCpy(dst, llvm::MaybeAlign(), src, llvm::MaybeAlign(), static_cast<uint64_t>(rows * n) * e.elem_size());
  b.CreateBr(done);
  b.SetInsertPoint(done);
  return dst;
}

void emit_gemm_kernel(Emitter& e, B& b, size_t index) {
  const ir::Kernel& k = e.g.kernels[index];
  const ir::GemmCall& c = k.gemm;
  if (!c.accumulates() && !ir::has_epilogue(k)) {
    if (count(e.g[c.product].shape.dims) > 0) emit_matmul(e, b, c.product);
    return;
  }
  const Gemm2D gm = gemm_2d(e, c.product);
  const int64_t rows = ir::gemm_block_rows(k, e.elem_size());
  const int64_t full = gm.n > 0 ? gm.m / rows : 0, tail = gm.n > 0 ? gm.m - full * rows : 0;
  Epilogue ep;
  if (ir::has_epilogue(k)) ep = make_epilogue(e, b, k, index, rows, tail);
  if (ep.start) b.CreateCall(ep.start, ep.args);
  Value* alpha = gemm_alpha(e, b, c);
  Value* beta = llvm::ConstantFP::get(e.t, c.accumulates() ? 1.0 : 0.0);
  auto block = [&](B& lb, Value* row0, int64_t n_rows, llvm::Function* loops) {
    call_gemm(e, lb, gm, row0, n_rows, alpha, beta, gemm_block_c(e, lb, c, gm.n, row0, n_rows));
    if (!loops) return;
    std::vector<Value*> args = ep.args;
    args.push_back(row0);
    lb.CreateCall(loops, args);
  };
  if (full > 0)
    loop_nest(b, {full}, [&](B& lb, const std::vector<Value*>& idx) {
      block(lb, lb.CreateMul(idx[0], lb.getInt64(rows), "row0", true, true), rows, ep.full);
    });
  if (tail > 0) block(b, b.getInt64(full * rows), tail, ep.tail);
  if (ep.finish) b.CreateCall(ep.finish, ep.args);
}

void emit_kernel(Emitter& e, B& b, size_t index) {
  const ir::Kernel& k = e.g.kernels[index];
  const NodeId id = k.nodes.front();
  const bool empty = count(e.g[id].shape.dims) == 0;
  switch (k.kind) {
    case ir::KernelKind::Elementwise:
    case ir::KernelKind::Reduce: return emit_loop_kernel(e, b, index);
    case ir::KernelKind::Gemm: return emit_gemm_kernel(e, b, index);
    case ir::KernelKind::Transpose:
      if (!empty) emit_transpose(e, b, id);
      return;
    case ir::KernelKind::OneHot:
      if (!empty) emit_one_hot(e, b, id);
      return;
    case ir::KernelKind::View:  // code only when it is an output: a copy of its operand
      if (e.plan.slots[id].where == Where::Output && !empty)
        b.CreateMemCpy(e.ptr[id], llvm::MaybeAlign(), e.ptr[e.g[id].inputs[0]], llvm::MaybeAlign(), e.bytes(id));
      return;
  }
}

}  // namespace

void emit_kernel_entry(Emitter& e, const std::string& name) {
  B b(e.ctx());
  std::vector<Value*> outs;
  begin_entry(e, b, name, outs);
  for (size_t k = 0; k < e.g.kernels.size(); ++k) emit_kernel(e, b, k);
  end_entry(e, b, outs);
}

}  // namespace gradc::codegen::detail::tensor
